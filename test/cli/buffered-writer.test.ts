// scan's output writer (bin/cli/io.ts BufferedWriter): lines encoded straight into byte blocks, JSON lines escaped
// for the terminal only when their bytes show a character that may need it. The bytes must be those of escaping
// and encoding each whole line, and a block written to the stream always ends at a line end. The JSON detection
// writer (bin/cli/scan.ts) on top of it writes what JSON.stringify would, and leaves each detection unchanged.

import { Writable } from 'node:stream';
import { BufferedWriter } from '../../bin/cli/io';
import { detectionJsonWriter } from '../../bin/cli/scan';
import type { Detection } from '../../lambda/sigma/types';
import { escapeForTerminalKeepingLines } from '../../lambda/sigma/terminal-text';

class Chunks extends Writable {
  chunks: Buffer[] = [];
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.chunks.push(Buffer.from(chunk));
    callback();
  }
}

const VALUES = [
  'plain ascii', 'del\u007fhere', 'c1\u0085control', 'bidi\u202eoverride', 'zero\u200bwidth', 'tag\u{e0041}char',
  'line\u2028separator', 'é漢字🦊', 'lone \ud800 surrogate', 'controls \u0000\u001b[2J\n\t', '',
];

describe('BufferedWriter', () => {
  test('jsonLine writes the bytes of escaping and encoding the whole line', async () => {
    const stream = new Chunks();
    const writer = new BufferedWriter(stream, 256);
    const expected: string[] = [];
    const prefix = Buffer.from('{"rule":{"title":"safe already"},');
    for (const value of VALUES) {
      for (const json of [JSON.stringify({ user_name: value, n: 1 }), JSON.stringify(value.repeat(40))]) {
        writer.jsonLine(prefix, json.slice(1));
        expected.push(escapeForTerminalKeepingLines(`${prefix.toString()}${json.slice(1)}`));
        writer.jsonLine(new Uint8Array(0), json);
        expected.push(escapeForTerminalKeepingLines(json));
      }
    }
    await writer.flush();
    expect(Buffer.concat(stream.chunks).toString('utf8')).toBe(`${expected.join('\n')}\n`);
    // The escaping did happen where it had to (the test would pass vacuously otherwise).
    expect(expected.join('')).toContain('\\u202e');
    expect(expected.join('')).toContain('\\u007f');
  });

  test('blocks end at line ends, lines longer than a block included, and line() encodes as UTF-8', async () => {
    const stream = new Chunks();
    const writer = new BufferedWriter(stream, 64);
    const lines: string[] = [];
    for (let i = 0; i < 200; i++) {
      const text = `${i} ${'é漢🦊x'.repeat(i % 37)}`;
      lines.push(text);
      writer.line(text);
      if (i % 50 === 49) {
        expect(writer.full).toBe(true);
        await writer.flush();
      }
    }
    // A JSON line whose escaped form is twice its encoded size, in a block too small for either.
    const wide = JSON.stringify('\u202e'.repeat(100));
    writer.jsonLine(new Uint8Array(0), wide);
    lines.push(escapeForTerminalKeepingLines(wide));
    await writer.flush();
    expect(stream.chunks.length).toBeGreaterThan(10);
    for (const chunk of stream.chunks) expect(chunk[chunk.length - 1]).toBe(0x0a);
    expect(Buffer.concat(stream.chunks).toString('utf8')).toBe(`${lines.join('\n')}\n`);
  });

  test('after a write error, lines are dropped and the error is kept', async () => {
    const failing = new Writable({
      write(_chunk, _encoding, callback) {
        callback(Object.assign(new Error('EPIPE'), { code: 'EPIPE' }));
      },
    });
    const writer = new BufferedWriter(failing, 64);
    writer.line('first');
    await writer.flush();
    await new Promise((resolve) => setImmediate(resolve));
    expect(writer.error?.message).toBe('EPIPE');
    writer.line('dropped');
    expect(writer.full).toBe(false);
  });

  test('detectionJsonWriter: each line is JSON.stringify(detection) escaped; the detection is left as it was', async () => {
    const stream = new Chunks();
    const writer = new BufferedWriter(stream, 128);
    const write = detectionJsonWriter(writer);
    const rule = { id: 'r1', title: 'Rule \u202e one', level: 'high', tags: ['t'], meta: { description: 'del\u007f' } } as Detection['rule'];
    const detections: Detection[] = [
      { rule, log_id: 'a', user_name: 'mallory\u200b', matched: ['selection'] },
      { rule: { ...rule }, date: '2026-11-01T00:00:00Z', field_values: { 'data.x': ['é', '\u0085'] } },
      { rule },
      Object.freeze({ rule, log_id: 'frozen' }),
      { log_id: 'rule-not-first', rule },
    ];
    const before = detections.map((d) => [Object.keys(d), d.rule]);
    for (const d of detections) write(d);
    await writer.flush();
    const expected = detections.map((d) => escapeForTerminalKeepingLines(JSON.stringify(d)));
    expect(Buffer.concat(stream.chunks).toString('utf8')).toBe(`${expected.join('\n')}\n`);
    expect(detections.map((d) => [Object.keys(d), d.rule])).toEqual(before);
  });
});

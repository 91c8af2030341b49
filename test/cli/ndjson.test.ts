import * as fc from 'fast-check';
import { JsonItemReader } from '../../lambda/sigma/ndjson';

interface Read {
  items: { value: unknown; line: number }[];
  problems: { line: number; message: string; lost: boolean }[];
  format: string | undefined;
}

/** Feeds `text` in pieces cut at the given offsets. */
function read(text: string, cuts: number[] = [], maxItemBytes?: number): Read {
  const out: Read = { items: [], problems: [], format: undefined };
  const reader = new JsonItemReader(
    (value, line) => out.items.push({ value, line }),
    (line, message, lost) => out.problems.push({ line, message, lost }),
    { maxItemBytes },
  );
  const points = [...new Set(cuts.filter((c) => c > 0 && c < text.length))].sort((a, b) => a - b);
  let start = 0;
  for (const p of [...points, text.length]) {
    reader.push(text.slice(start, p));
    start = p;
  }
  reader.end();
  out.format = reader.format;
  return out;
}

describe('JsonItemReader: NDJSON', () => {
  test('one item per line with its line number; blank lines and CRLF are fine', () => {
    const r = read('{"a":1}\r\n\n  \n{"b":2}\n{"c":3}');
    expect(r.format).toBe('ndjson');
    expect(r.items).toEqual([
      { value: { a: 1 }, line: 1 },
      { value: { b: 2 }, line: 4 },
      { value: { c: 3 }, line: 5 },
    ]);
    expect(r.problems).toEqual([]);
  });

  test('a malformed line is reported with its line number and skipped; the next lines are read', () => {
    const r = read('{"a":1}\n{"a": \n{"b":2}\n');
    expect(r.items.map((i) => i.line)).toEqual([1, 3]);
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]).toMatchObject({ line: 2, lost: true });
    expect(r.problems[0].message).toMatch(/^invalid JSON: /);
  });

  test('error messages never quote the event text', () => {
    const secret = 'hunter2-secret-password';
    const r = read(`{"password": "${secret}", oops}\n`);
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0].message).not.toContain(secret);
  });

  test('multi-byte characters survive any split', () => {
    const text = '{"name":"Zoë 🙂"}\n{"name":"ümlaut"}\n';
    for (let cut = 1; cut < text.length; cut++) {
      expect(read(text, [cut]).items.map((i) => i.value)).toEqual([{ name: 'Zoë 🙂' }, { name: 'ümlaut' }]);
    }
  });
});

describe('JsonItemReader: JSON array', () => {
  test('detected by the first non-blank character and split into top-level elements', () => {
    const r = read('\n\n  [\n  {"a": [1, 2, {"b": "],}"}]},\n  {"s": "a \\"quoted\\" ] string"}\n]\n');
    expect(r.format).toBe('json-array');
    expect(r.items).toEqual([
      { value: { a: [1, 2, { b: '],}' }] }, line: 4 },
      { value: { s: 'a "quoted" ] string' }, line: 5 },
    ]);
    expect(r.problems).toEqual([]);
  });

  test('escaped quotes and backslashes inside strings, split at every position', () => {
    const values = [{ a: 'x\\' }, { b: 'say \\"hi\\" ]},[' }, { c: '\\\\"' }];
    const text = JSON.stringify(values, null, 1);
    for (let cut = 1; cut < text.length; cut++) {
      const r = read(text, [cut]);
      expect(r.items.map((i) => i.value)).toEqual(values);
      expect(r.problems).toEqual([]);
    }
  });

  test('a malformed element is skipped with its line; the others are read', () => {
    const r = read('[{"a":1},\n{"a": },\n{"b":2}]');
    expect(r.items).toEqual([
      { value: { a: 1 }, line: 1 },
      { value: { b: 2 }, line: 3 },
    ]);
    expect(r.problems).toEqual([expect.objectContaining({ line: 2, lost: true })]);
  });

  test('an empty element, text after the array and a missing "]" are reported', () => {
    expect(read('[{"a":1},,{"b":2}]').problems).toEqual([expect.objectContaining({ lost: true, message: expect.stringContaining('empty array element') })]);
    expect(read('[{"a":1}]\ntrailing').problems).toEqual([expect.objectContaining({ line: 2, lost: false })]);
    const unclosed = read('[{"a":1},\n');
    expect(unclosed.items).toHaveLength(1);
    expect(unclosed.problems).toEqual([expect.objectContaining({ lost: false, message: expect.stringContaining('not closed') })]);
    const cut = read('[{"a":1},\n{"b": "x');
    expect(cut.problems).toEqual([expect.objectContaining({ line: 2, lost: true, message: expect.stringContaining('unterminated') })]);
  });

  test('an empty array gives no items and no problems', () => {
    expect(read('[]')).toEqual({ items: [], problems: [], format: 'json-array' });
    expect(read('  [ \n ] \n')).toEqual({ items: [], problems: [], format: 'json-array' });
  });
});

describe('JsonItemReader: pretty-printed objects', () => {
  test('a first line that is "{" alone means a sequence of pretty-printed objects (jq output, an event file)', () => {
    const text = '{\n  "log_id": "1",\n  "data": { "type": "s" }\n}\n{\n  "log_id": "2",\n  "data": { "note": "} { ]" }\n}\n';
    const r = read(text);
    expect(r.format).toBe('json-seq');
    expect(r.items).toEqual([
      { value: { log_id: '1', data: { type: 's' } }, line: 1 },
      { value: { log_id: '2', data: { note: '} { ]' } }, line: 5 },
    ]);
    expect(r.problems).toEqual([]);
  });

  test('a stray scalar line is reported and skipped; a cut-off object is reported as unterminated', () => {
    const r = read('{\n "a": 1\n}\noops\n{\n "b": 2\n}\n{\n "c": ');
    expect(r.items.map((i) => i.value)).toEqual([{ a: 1 }, { b: 2 }]);
    expect(r.problems).toEqual([
      expect.objectContaining({ line: 4, lost: true, message: expect.stringMatching(/^invalid JSON/) }),
      expect.objectContaining({ line: 8, lost: true, message: expect.stringContaining('unterminated') }),
    ]);
  });

  test('a one-line first object means NDJSON', () => {
    expect(read('{"a": 1}\n{"b": 2}\n').format).toBe('ndjson');
  });
});

describe('JsonItemReader: chunking never changes the result', () => {
  // Items are objects, as log events are (an NDJSON file whose first item is an array would read as a JSON array).
  const item = fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 4 });
  test('NDJSON and arrays, cut anywhere, give the same items and lines as one push', () => {
    fc.assert(
      fc.property(
        fc.array(item, { maxLength: 8 }),
        fc.constantFrom('array', 'ndjson', 'seq'),
        fc.boolean(),
        fc.array(fc.nat(2000), { maxLength: 12 }),
        (items, shape, pretty, cuts) => {
          // A sequence is recognised by a first line that is "{" alone: its first object must not be empty.
          const values = shape === 'seq' ? [{ log_id: 'first' }, ...items] : items;
          const text =
            shape === 'array'
              ? JSON.stringify(values, null, pretty ? 2 : undefined)
              : shape === 'seq'
                ? values.map((v) => JSON.stringify(v, null, 2)).join(pretty ? '\n\n' : '\n')
                : values.map((v) => JSON.stringify(v)).join(pretty ? '\n\n' : '\n');
          const whole = read(text);
          const pieces = read(text, cuts);
          expect(pieces).toEqual(whole);
          expect(whole.problems).toEqual([]);
          // JSON.stringify turns -0 into 0; compare through a round trip.
          expect(whole.items.map((i) => i.value)).toEqual(values.map((v) => JSON.parse(JSON.stringify(v))));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('JsonItemReader: item size limit', () => {
  const oversized = expect.stringMatching(/longer than 100 bytes skipped/);

  test('an NDJSON line over the limit is reported once with its line and skipped; the next lines are read', () => {
    const long = JSON.stringify({ a: 'x'.repeat(500) });
    for (const cuts of [[], [3, 50, 120, 300, 505]]) {
      const r = read(`{"first":1}\n${long}\n{"next":2}\n`, cuts, 100);
      expect(r.items).toEqual([{ value: { first: 1 }, line: 1 }, { value: { next: 2 }, line: 3 }]);
      expect(r.problems).toEqual([{ line: 2, lost: true, message: oversized }]);
    }
  });

  test('the limit counts UTF-8 bytes: 40 three-byte characters are over 100 bytes', () => {
    const r = read(`${JSON.stringify({ a: '€'.repeat(40) })}\n{"ok":1}`, [], 100);
    expect(r.items.map((i) => i.value)).toEqual([{ ok: 1 }]);
    expect(r.problems).toEqual([{ line: 1, lost: true, message: oversized }]);
  });

  test('a line without a newline at the end of input is cut off at the limit, not kept whole', () => {
    const r = read(`{"ok":1}\n{"a":"${'y'.repeat(1000)}`, [20, 40, 60, 200], 100);
    expect(r.items).toEqual([{ value: { ok: 1 }, line: 1 }]);
    expect(r.problems).toEqual([{ line: 2, lost: true, message: oversized }]);
  });

  test('an array element and a pretty-printed object over the limit are skipped; their neighbours are read', () => {
    const big = { user_name: 'z'.repeat(300), note: 'a "quoted" \\ value' };
    const array = JSON.stringify([{ a: 1 }, big, { b: 2 }], null, 2);
    const seq = [{ log_id: 'first' }, big, { b: 2 }].map((v) => JSON.stringify(v, null, 2)).join('\n');
    for (const [text, what] of [[array, 'array element'], [seq, 'JSON value']] as const) {
      const whole = read(text, [], 100);
      expect(whole.problems).toEqual([{ line: expect.any(Number), lost: true, message: expect.stringContaining(`${what} longer than 100 bytes`) }]);
      expect(whole.items.map((i) => i.value)).toEqual(text === array ? [{ a: 1 }, { b: 2 }] : [{ log_id: 'first' }, { b: 2 }]);
      for (let cut = 1; cut < text.length; cut += 17) expect(read(text, [cut, cut + 5, cut + 90], 100)).toEqual(whole);
    }
  });

  test('the limit is checked: zero, negative and fractional limits are refused', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) expect(() => new JsonItemReader(() => undefined, () => undefined, { maxItemBytes: bad })).toThrow(RangeError);
  });

  test('items under the limit, cut anywhere, read the same as one push', () => {
    const item = fc.dictionary(fc.string({ maxLength: 6 }), fc.oneof(fc.string({ maxLength: 80 }), fc.integer()), { maxKeys: 4 });
    fc.assert(
      fc.property(fc.array(item, { maxLength: 6 }), fc.constantFrom('array', 'ndjson'), fc.array(fc.nat(600), { maxLength: 10 }), (items, shape, cuts) => {
        const text = shape === 'array' ? JSON.stringify(items) : items.map((v) => JSON.stringify(v)).join('\n');
        const whole = read(text, [], 120);
        expect(read(text, cuts, 120)).toEqual(whole);
        const expected = items.filter((v) => Buffer.byteLength(JSON.stringify(v)) <= 120);
        expect(whole.items.map((i) => i.value)).toEqual(expected);
        expect(whole.problems).toHaveLength(items.length - expected.length);
      }),
      { numRuns: 200 },
    );
  });
});

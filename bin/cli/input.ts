// Streams scan input (files or stdin) chunk by chunk into the JSON item reader: nothing is read whole.

import * as fs from 'node:fs';
import { isAscii } from 'node:buffer';
import { StringDecoder } from 'node:string_decoder';
import { JsonItemReader, type JsonItemReaderOptions } from '../../lambda/sigma/ndjson';
import { UsageError, displayPath, resolvePath, type CliIO } from './io';

export interface InputSource {
  /** Name shown in reports: the path as given relative to cwd, or `<stdin>`. */
  name: string;
  /** Absolute path, or undefined for stdin. */
  file?: string;
  /** Size in bytes when known (regular files): drives the progress bar. */
  size?: number;
}

export interface InputCallbacks {
  item(value: unknown, source: string, line: number): void;
  malformed(source: string, line: number, message: string, lostItem: boolean): void;
  /** After each chunk (bytes of that chunk): progress and output flushing happen here, not per item. */
  chunk(bytes: number): Promise<void> | void;
}

/** Stream chunks (stdin, pipes); also where a file's events go to the observers (parallel-scan.ts keeps these points). */
export const CHUNK_SIZE = 256 * 1024;
/** Reads of a regular file: fewer, larger reads and decodes; the buffer is reused, so memory stays flat. */
const FILE_READ_SIZE = 1024 * 1024;
const NEWLINE = 0x0a;

/** Checks every input before any is read, so a typo fails fast instead of after a long scan. */
export function resolveInputs(io: CliIO, args: string[]): InputSource[] {
  if (args.length === 0) args = ['-'];
  if (args.filter((a) => a === '-').length > 1) throw new UsageError("stdin ('-') can be given only once");
  return args.map((arg) => {
    if (arg === '-') {
      if ((io.stdin as { isTTY?: boolean }).isTTY) {
        throw new UsageError('no input: give log files (NDJSON or a JSON array), or pipe logs into stdin');
      }
      return { name: '<stdin>' };
    }
    const file = resolvePath(io, arg);
    let stat: fs.Stats;
    try {
      stat = fs.statSync(file);
    } catch (err) {
      throw new UsageError(`cannot read input '${arg}': ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
    }
    if (stat.isDirectory()) throw new UsageError(`input '${arg}' is a directory: give the log files inside it`);
    return { name: displayPath(io, file), file, size: stat.isFile() ? stat.size : undefined };
  });
}

/** Reads one source to its end, delivering items in order. */
export async function readSource(io: CliIO, source: InputSource, callbacks: InputCallbacks, options: JsonItemReaderOptions = {}): Promise<void> {
  const name = source.name;
  const reader = new JsonItemReader(
    (value, line) => callbacks.item(value, name, line),
    (line, message, lostItem) => callbacks.malformed(name, line, message, lostItem),
    options,
  );
  // A regular file is read synchronously in large blocks (no stream machinery, no thread-pool round trip per
  // block); stdin, pipes and devices are streamed.
  if (source.file && source.size !== undefined) await readFileBlocks(source.file, reader, callbacks);
  else await readStream(source.file ? fs.createReadStream(source.file, { highWaterMark: CHUNK_SIZE }) : io.stdin, reader, callbacks);
  reader.end();
  await callbacks.chunk(0);
}

async function readStream(stream: NodeJS.ReadableStream, reader: JsonItemReader, callbacks: InputCallbacks): Promise<void> {
  const decoder = new StringDecoder('utf8');
  for await (const chunk of stream) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    reader.push(decoder.write(buffer));
    await callbacks.chunk(buffer.length);
  }
  reader.push(decoder.end());
}

/**
 * Reads a file in blocks of FILE_READ_SIZE into one reused buffer and decodes it in pieces that end at a line
 * break: a line break byte never occurs inside a UTF-8 sequence, so every piece is whole text and decoding does
 * not depend on where the blocks fall; the bytes after the last line break move to the front of the buffer for
 * the next read. ASCII text (what JSON logs almost always are) is decoded as Latin-1: the same characters, faster.
 * A line longer than the buffer is handed over in pieces cut at a character boundary (the item reader joins them,
 * or drops them past --max-item-size).
 *
 * `chunk` is called at every multiple of CHUNK_SIZE bytes of the file, after exactly the lines that end before
 * that offset, as with a stream of CHUNK_SIZE chunks: the pipeline hands events to the correlations at the same
 * points, so the order of detections in the output is the same whatever the read size.
 */
async function readFileBlocks(file: string, reader: JsonItemReader, callbacks: InputCallbacks): Promise<void> {
  const fd = fs.openSync(file, 'r');
  try {
    const buffer = Buffer.allocUnsafe(FILE_READ_SIZE);
    /** File offset of the next byte to read. */
    let offset = 0;
    /** Bytes at the front of the buffer not handed over yet (the start of an unfinished line). */
    let kept = 0;
    /** Bytes read since the last `chunk` call. */
    let unreported = 0;
    for (;;) {
      const read = fs.readSync(fd, buffer, kept, buffer.length - kept, null);
      if (read === 0) break;
      const end = kept + read;
      const bufferStart = offset - kept;
      offset += read;
      unreported += read;
      let from = 0;
      // Every CHUNK_SIZE boundary this read crossed: hand over the lines that end before it, then `chunk`.
      for (let boundary = (Math.floor((offset - read) / CHUNK_SIZE) + 1) * CHUNK_SIZE; boundary <= offset; boundary += CHUNK_SIZE) {
        const cut = buffer.lastIndexOf(NEWLINE, boundary - bufferStart - 1) + 1;
        if (cut > from) {
          reader.push(decode(buffer, from, cut));
          from = cut;
        }
        const bytes = unreported - (offset - boundary);
        unreported -= bytes;
        await callbacks.chunk(bytes);
      }
      let cut = buffer.lastIndexOf(NEWLINE, end - 1) + 1;
      // No line break in a full buffer: hand over what is whole text (a character cut by the buffer's end waits).
      if (cut <= from && from === 0 && end === buffer.length) cut = completeUtf8End(buffer, end);
      if (cut > from) {
        reader.push(decode(buffer, from, cut));
        from = cut;
      }
      kept = end - from;
      if (kept > 0 && from > 0) buffer.copyWithin(0, from, end);
    }
    // The last, partial chunk; then what is left of an unterminated last line (the reader ends it).
    if (unreported > 0) await callbacks.chunk(unreported);
    if (kept > 0) reader.push(decode(buffer, 0, kept));
  } finally {
    fs.closeSync(fd);
  }
}

export function decode(buffer: Buffer, start: number, end: number): string {
  const bytes = buffer.subarray(start, end);
  return isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8');
}

/** End of the last complete UTF-8 character in buffer[0, end): an incomplete sequence at the end is left out. */
export function completeUtf8End(buffer: Buffer, end: number): number {
  // Walk back over continuation bytes (10xxxxxx) to the sequence's lead byte, at most 3.
  let i = end - 1;
  while (i > 0 && end - i < 4 && (buffer[i] & 0xc0) === 0x80) i--;
  const lead = buffer[i];
  const length = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  // A lead byte whose sequence is cut waits for the next read; anything else (whole, or invalid) goes now.
  return lead >= 0xc0 && i + length > end ? i : end;
}

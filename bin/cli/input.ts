// Streams scan input (files or stdin) chunk by chunk into the JSON item reader: nothing is read whole.

import * as fs from 'node:fs';
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

const CHUNK_SIZE = 256 * 1024;

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
  const stream: NodeJS.ReadableStream = source.file ? fs.createReadStream(source.file, { highWaterMark: CHUNK_SIZE }) : io.stdin;
  const decoder = new StringDecoder('utf8');
  const name = source.name;
  const reader = new JsonItemReader(
    (value, line) => callbacks.item(value, name, line),
    (line, message, lostItem) => callbacks.malformed(name, line, message, lostItem),
    options,
  );
  for await (const chunk of stream) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    reader.push(decoder.write(buffer));
    await callbacks.chunk(buffer.length);
  }
  reader.push(decoder.end());
  reader.end();
  await callbacks.chunk(0);
}

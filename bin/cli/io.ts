// The CLI's streams and working directory, passed in so tests can run `main` in-process and read what it printed.

import * as path from 'node:path';
import { escapeForTerminal, escapeForTerminalKeepingLines } from '../../lambda/sigma/terminal-text';
import { ruleCacheDir } from './rule-cache';

export interface CliIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
  /** Directory relative paths are resolved against, and diagnostics are printed relative to. */
  cwd: string;
  /** The progress bar is drawn only on a terminal. */
  stderrIsTTY: boolean;
  /** Raw stderr for the progress bar's own ANSI drawing (set by terminalSafeIO; stderr otherwise). */
  terminal?: NodeJS.WritableStream;
  /**
   * stdout without the escaping layer (set by terminalSafeIO), for output that escapes its text as it builds it:
   * scan's detections, whose rule part is escaped once per rule instead of once per detection.
   */
  escapedStdout?: NodeJS.WritableStream;
  /**
   * Folder of scan's cache of loaded rule sets (bin/cli/rule-cache.ts), from the environment; undefined: no cache
   * (the cache is off, or the IO is a test's).
   */
  ruleCacheDir?: string;
}

export function processIO(): CliIO {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    cwd: process.cwd(),
    stderrIsTTY: Boolean(process.stderr.isTTY),
    ruleCacheDir: ruleCacheDir(),
  };
}

/** A mistake in how the command was called (unknown option, missing file): exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/**
 * A log value for a terminal line: controls, line breaks, bidi, zero-width and tag characters escaped (log
 * injection, text that hides or reorders itself), missing values as `-`.
 */
export function printable(value: unknown): string {
  if (value === undefined || value === null || value === '') return '-';
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  return escapeForTerminal(text);
}

/**
 * The CLI's streams with every write passed through escapeForTerminalKeepingLines: whatever a command prints
 * (titles, ids, field values, diagnostics, explain trees, commander's messages), no character from a rule file
 * or an event reaches the terminal raw. JSON output stays valid and equal (the escapes are JSON escapes).
 * `terminal` keeps the raw stderr for the progress bar, which draws with ANSI sequences of its own.
 */
export function terminalSafeIO(io: CliIO): CliIO {
  if ((io as { terminalSafe?: boolean }).terminalSafe) return io;
  return {
    ...io, stdout: escapingStream(io.stdout), stderr: escapingStream(io.stderr), terminal: io.terminal ?? io.stderr,
    escapedStdout: io.escapedStdout ?? io.stdout, terminalSafe: true,
  } as CliIO;
}

function escapingStream(stream: NodeJS.WritableStream): NodeJS.WritableStream {
  return new Proxy(stream, {
    get(target, prop, receiver) {
      if (prop === 'write') {
        return (chunk: unknown, ...rest: unknown[]): boolean => {
          const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk);
          return (target.write as (c: string, ...r: unknown[]) => boolean).call(target, escapeForTerminalKeepingLines(text), ...rest);
        };
      }
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/**
 * A whole number with thousands separators, as `toLocaleString('en-US')` writes it, without loading ICU's locale
 * data (about 25 ms on the first call: a sizeable part of a CLI start).
 */
export function formatCount(n: number): string {
  const digits = String(Math.abs(Math.round(n)));
  return `${n < 0 && digits !== '0' ? '-' : ''}${digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}`;
}

export function resolvePath(io: CliIO, p: string): string {
  return path.resolve(io.cwd, p);
}

/** A path as shown to the user: relative to the working directory when it is below it. */
export function displayPath(io: CliIO, p: string): string {
  const rel = path.relative(io.cwd, p);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : p;
}

/**
 * Buffers output lines as UTF-8 in blocks of bytes and writes whole blocks, waiting for the stream to drain when
 * it asks to: a scan that finds millions of detections neither makes one write call per line nor piles up
 * unbounded memory behind a slow pipe, and each line is encoded once, straight into the block that is written
 * (no joined string to flatten and encode again). A block always ends at a line end. A write error (EPIPE when the
 * reader, e.g. `head`, went away) is kept in `error` instead of crashing the process.
 */
export class BufferedWriter {
  /** Filled blocks not written yet. */
  private filled: Buffer[] = [];
  private block: Buffer;
  private used = 0;
  private pendingBytes = 0;
  error: Error | undefined;

  constructor(
    private readonly stream: NodeJS.WritableStream,
    private readonly blockSize = 256 * 1024,
  ) {
    this.block = Buffer.allocUnsafe(blockSize);
    stream.on('error', (err: Error) => {
      this.error ??= err;
    });
  }

  line(text: string): void {
    if (this.error) return;
    this.reserve(maxUtf8Bytes(text) + 1);
    this.used += this.block.write(text, this.used);
    this.block[this.used++] = NEWLINE;
  }

  /**
   * `prefix` (bytes: terminal-safe JSON text), then `json` (JSON.stringify output), then a line break; `json`
   * passed through escapeForTerminalKeepingLines, the same bytes as escaping the joined line. JSON.stringify
   * escapes every C0 control and lone surrogate, so what that escaping can change in its output is DEL (0x7f) or a
   * character above it: a `json` that encodes to one byte per character (ASCII) without a DEL byte is already
   * safe, which the encoded bytes show without a separate scan of the text.
   */
  jsonLine(prefix: Uint8Array, json: string): void {
    if (this.error) return;
    this.reserve(prefix.length + maxUtf8Bytes(json) + 1);
    const start = this.used;
    const from = start + prefix.length;
    const block = this.block;
    block.set(prefix, start);
    const end = from + block.write(json, from);
    if (end - from === json.length && block.subarray(from, end).indexOf(DEL) < 0) {
      block[end] = NEWLINE;
      this.used = end + 1;
      return;
    }
    // Escaped text can be longer (a character becomes `\uXXXX`): written again, into a new block if need be.
    const escaped = escapeForTerminalKeepingLines(json);
    this.reserve(prefix.length + Buffer.byteLength(escaped) + 1);
    this.block.set(prefix, this.used);
    this.used += prefix.length;
    this.used += this.block.write(escaped, this.used);
    this.block[this.used++] = NEWLINE;
  }

  /** True when enough is buffered that the caller should `flush()` at its next await point. */
  get full(): boolean {
    return this.pendingBytes + this.used >= this.blockSize;
  }

  async flush(): Promise<void> {
    if (this.error) return;
    if (this.used > 0) {
      this.filled.push(this.block.subarray(0, this.used));
      this.block = Buffer.allocUnsafe(this.blockSize);
      this.used = 0;
    }
    if (this.filled.length === 0) return;
    const blocks = this.filled;
    this.filled = [];
    this.pendingBytes = 0;
    let ready = true;
    for (const block of blocks) ready = this.stream.write(block);
    if (ready) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        this.stream.removeListener('drain', done);
        this.stream.removeListener('error', done);
        this.stream.removeListener('close', done);
        resolve();
      };
      this.stream.on('drain', done);
      this.stream.on('error', done);
      this.stream.on('close', done);
    });
  }

  /** Room for `bytes` more in the current block: a new block when it has not (a line never spans two blocks). */
  private reserve(bytes: number): void {
    if (this.used + bytes <= this.block.length) return;
    if (this.used > 0) {
      this.filled.push(this.block.subarray(0, this.used));
      this.pendingBytes += this.used;
    }
    // The block written to the stream is not reused (the stream may still hold it): a fresh one, larger for a long line.
    this.block = Buffer.allocUnsafe(Math.max(this.blockSize, bytes));
    this.used = 0;
  }
}

const NEWLINE = 0x0a;
const DEL = 0x7f;

/** At least the UTF-8 length of `text` (3 bytes per UTF-16 unit at most); exact for long texts. */
function maxUtf8Bytes(text: string): number {
  return text.length > 16 * 1024 ? Buffer.byteLength(text) : text.length * 3;
}

// A worker thread of the parallel scan (parallel-scan.ts): reads byte ranges of one NDJSON file, parses, normalises
// and matches their lines with its own compiled copy of the rule set, and sends back per range only what the main
// thread needs: the summary figures, and for each event that matched a rule its line, its matches and its JSON text.
//
// A range owns the lines that start inside it: it skips the end of a line begun in the range before, and reads past
// its own end to finish its last line. Each matched event carries the observer chunk (input.ts CHUNK_SIZE) its line
// ends in, so the main thread hands events to the correlations at exactly the points the sequential scan does.

import * as fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { JsonItemReader } from '../../lambda/sigma/ndjson';
import { CompiledRuleSet, type RuleMatch } from '../../lambda/sigma/ruleset';
import type { RuleSetModel } from '../../lambda/sigma/types';
import { CHUNK_SIZE, completeUtf8End, decode } from './input';
import { ScanPipeline, type PartSummary } from './scan-pipeline';

export interface WorkerSetup {
  model: RuleSetModel;
  maxItemBytes: number;
}

export interface RangeRequest {
  file: string;
  index: number;
  start: number;
  end: number;
}

/** A match as sent between threads: the rule by id (the main thread has the same model), the rest as is. */
export interface SentMatch {
  ruleId: string;
  matched: RuleMatch['matched'];
  skippedRules?: RuleMatch['skippedRules'];
}

export interface MatchedLine {
  /** Line within the range (1 = the range's first line). */
  line: number;
  /** The observer chunk the line ends in (its end offset / CHUNK_SIZE); LAST_LINE for an unterminated last line. */
  chunk: number;
  text: string;
  matches: SentMatch[];
}

export interface RangeResult {
  index: number;
  /** Lines the range owns (line breaks read): the next range's first line is this many lines further. */
  lines: number;
  summary: PartSummary;
  matched: MatchedLine[];
}

/** The observer chunk of a last line without a line break: after every chunk's flush, as the sequential read does. */
export const LAST_LINE = Number.MAX_SAFE_INTEGER;

/** Test-only: the range index at which a worker fails on purpose (to check that a crash is reported, not hung on). */
export const CRASH_HOOK_ENV = 'AUTH0_SIGMA_TEST_SCAN_WORKER_CRASH_AT';

const NEWLINE = 0x0a;
const READ_SIZE = 1024 * 1024;

class RangeScanner {
  private readonly pipeline: ScanPipeline;
  /** The file being read (the pool serves every file of a scan, one after the other). */
  private fd = -1;
  private file: string | undefined;
  private readonly block = Buffer.allocUnsafe(READ_SIZE);
  /** A range's bytes, reused from range to range (a fresh buffer per range is external memory for the GC to chase). */
  private rangeBuffer = Buffer.alloc(0);
  private matched: MatchedLine[] = [];
  private chunk = 0;
  private lastText = '';
  /** Test-only (CRASH_HOOK_ENV): the range index to fail at, read once. */
  private readonly crashAt = process.env[CRASH_HOOK_ENV] === undefined ? undefined : Number(process.env[CRASH_HOOK_ENV]);

  constructor(private readonly setup: WorkerSetup) {
    const ruleSet = new CompiledRuleSet(setup.model);
    this.pipeline = new ScanPipeline(ruleSet, setup.model.rules, () => undefined);
    this.pipeline.matchedSink = (matches, line) => this.matched.push({ line, chunk: this.chunk, text: this.lastText, matches: matches.map(toSent) });
  }

  scan({ file, index, start, end }: RangeRequest): RangeResult {
    if (file !== this.file) {
      if (this.fd >= 0) fs.closeSync(this.fd);
      this.fd = fs.openSync(file, 'r');
      this.file = file;
    }
    if (this.crashAt === index) throw new Error(`forced crash of a scan worker at range ${index} (${CRASH_HOOK_ENV})`);
    this.matched = [];
    const pipeline = this.pipeline;
    const reader = new JsonItemReader(
      (value, line, text) => {
        this.lastText = text;
        pipeline.processItem(value, '', line);
      },
      (line, message, lostItem) => {
        if (lostItem) pipeline.processUnparsable('', line, message);
        else pipeline.noteInput('', line, message);
      },
      { maxItemBytes: this.setup.maxItemBytes, format: 'ndjson' },
    );
    const first = this.firstLineStart(start, end);
    if (first < end) this.readLines(reader, first, end);
    return { index, lines: reader.nextLine - 1, summary: pipeline.takePartSummary(), matched: this.matched };
  }

  /** Offset of the first line that starts in [start, end), or `end` when none does. */
  private firstLineStart(start: number, end: number): number {
    if (start === 0) return 0;
    // A line starts after each line break; the one at start - 1 (if any) makes `start` itself a line start.
    for (let pos = start - 1; pos < end - 1; ) {
      const read = fs.readSync(this.fd, this.block, 0, Math.min(this.block.length, end - 1 - pos), pos);
      if (read === 0) break;
      const nl = this.block.subarray(0, read).indexOf(NEWLINE);
      if (nl >= 0) return pos + nl + 1;
      pos += read;
    }
    return end;
  }

  private readLines(reader: JsonItemReader, first: number, end: number): void {
    if (this.rangeBuffer.length < end - first) this.rangeBuffer = Buffer.allocUnsafe(end - first);
    const buffer = this.rangeBuffer.subarray(0, end - first);
    let filled = 0;
    while (filled < buffer.length) {
      const read = fs.readSync(this.fd, buffer, filled, buffer.length - filled, first + filled);
      if (read === 0) break;
      filled += read;
    }
    // Lines by the observer chunk their line break falls in.
    let from = 0;
    for (let boundary = (Math.floor(first / CHUNK_SIZE) + 1) * CHUNK_SIZE; ; boundary += CHUNK_SIZE) {
      const cut = buffer.lastIndexOf(NEWLINE, Math.min(boundary, first + filled) - first - 1) + 1;
      if (cut > from) {
        this.chunk = boundary / CHUNK_SIZE - 1;
        reader.push(decode(buffer, from, cut));
        from = cut;
      }
      if (boundary >= first + filled) break;
    }
    if (from < filled) this.finishLastLine(reader, buffer.subarray(from, filled), first + filled);
    else reader.end();
  }

  /** The range's last line goes on past its end: read on to its line break (or the end of the file). */
  private finishLastLine(reader: JsonItemReader, start: Buffer, offset: number): void {
    let carry = Buffer.from(start);
    for (let pos = offset; ; ) {
      const read = fs.readSync(this.fd, this.block, 0, this.block.length, pos);
      if (read === 0) {
        // End of file: an unterminated last line, ended by the reader after every observer chunk.
        this.chunk = LAST_LINE;
        if (carry.length > 0) reader.push(decode(carry, 0, carry.length));
        reader.end();
        return;
      }
      const nl = this.block.subarray(0, read).indexOf(NEWLINE);
      if (nl >= 0) {
        this.chunk = Math.floor((pos + nl) / CHUNK_SIZE);
        const piece = Buffer.concat([carry, this.block.subarray(0, nl + 1)]);
        reader.push(decode(piece, 0, piece.length));
        reader.end();
        return;
      }
      // No line break yet: hand over the whole characters (the reader keeps or drops them), keep a cut one.
      const joined = Buffer.concat([carry, this.block.subarray(0, read)]);
      const cut = completeUtf8End(joined, joined.length);
      if (cut > 0) reader.push(decode(joined, 0, cut));
      carry = Buffer.from(joined.subarray(cut));
      pos += read;
    }
  }
}

// Field by field (an object spread costs more than the rest of the message); a key RuleMatch gains must be added here.
function toSent(match: RuleMatch): SentMatch {
  const sent: SentMatch = { ruleId: match.rule.id, matched: match.matched };
  if (match.skippedRules !== undefined) sent.skippedRules = match.skippedRules;
  return sent;
}

// Only as a scan worker (a test importing CRASH_HOOK_ENV, or a test runner's own worker thread, is not one).
if (parentPort && (workerData as Partial<WorkerSetup> | null)?.model !== undefined) {
  const port = parentPort;
  const scanner = new RangeScanner(workerData as WorkerSetup);
  port.on('message', (request: RangeRequest) => {
    port.postMessage(scanner.scan(request));
  });
}

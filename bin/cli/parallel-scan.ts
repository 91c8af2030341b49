// The parallel scan of a regular NDJSON file (`scan --threads N`, N > 1): worker threads (scan-worker.ts) parse,
// normalise and match byte ranges of the file; the main thread takes their results strictly in file order and runs
// what depends on order (detections, the correlation stage, the summary) on the few events that matched, re-parsed
// from their text. The output and every summary figure are those of the sequential scan: events reach the
// observers at the same observer-chunk points, malformed lines carry their line in the file.
//
// Memory stays bounded: at most 2 ranges per worker are dispatched and not yet consumed, and a range's result
// holds only its matched lines. stdin, pipes and files that are not NDJSON (a JSON array, pretty-printed objects)
// keep the sequential path.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { JsonItemReader } from '../../lambda/sigma/ndjson';
import { normalizeEvent } from '../../lambda/sigma/events';
import { BUDGET_RULE } from '../../lambda/sigma/budget';
import type { RuleMatch } from '../../lambda/sigma/ruleset';
import type { RuleModel, RuleSetModel } from '../../lambda/sigma/types';
import { completeUtf8End, decode, type InputSource } from './input';
import type { ScanPipeline } from './scan-pipeline';
import type { RangeRequest, RangeResult, WorkerSetup } from './scan-worker';

/** Bytes per range handed to a worker: large enough that messages cost little, small enough to keep memory low. */
export const DEFAULT_RANGE_SIZE = 4 * 1024 * 1024;
/** Ranges dispatched per worker and not yet consumed: one being scanned, one waiting, so a worker never idles. */
const IN_FLIGHT_PER_WORKER = 2;
/** Bytes read from the start of a file to tell NDJSON from a JSON array or pretty-printed objects. */
const FORMAT_PROBE_BYTES = 64 * 1024;

export interface ParallelOptions {
  threads: number;
  rangeSize: number;
  maxItemBytes: number;
}

/** Below this many cores the default is the sequential scan (docs/cli.md: on two cores, two threads gained nothing). */
export const MIN_CORES_FOR_PARALLEL_DEFAULT = 4;

/**
 * Default `--threads`: the cores this process may use, at most 4, on a machine with at least 4 cores; otherwise 1.
 * On the two-core reference machine, quiet, two threads took the same wall time as one (the main thread's
 * correlation stage sets the pace) for 40% more CPU, so fewer cores keep the sequential scan unless asked.
 */
export function defaultThreads(cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length): number {
  return cores < MIN_CORES_FOR_PARALLEL_DEFAULT ? 1 : Math.min(cores, 4);
}

/** Whether a source is scanned in parallel: a regular NDJSON file of at least two ranges, more than one thread. */
export function scansInParallel(source: InputSource, options: ParallelOptions): boolean {
  if (options.threads < 2 || source.file === undefined || source.size === undefined || source.size < 2 * options.rangeSize) return false;
  return startsAsNdjson(source.file);
}

/** The item reader's own format detection, on the start of the file. */
function startsAsNdjson(file: string): boolean {
  const fd = fs.openSync(file, 'r');
  try {
    const probe = Buffer.allocUnsafe(FORMAT_PROBE_BYTES);
    const read = fs.readSync(fd, probe, 0, probe.length, 0);
    const reader = new JsonItemReader(() => undefined, () => undefined);
    reader.push(decode(probe, 0, completeUtf8End(probe, read)));
    return reader.format === 'ndjson';
  } finally {
    fs.closeSync(fd);
  }
}

/** The worker's module: compiled JavaScript beside this file, or the TypeScript source through tsx (a checkout, tests). */
function startWorker(setup: WorkerSetup): Worker {
  const compiled = path.join(__dirname, 'scan-worker.js');
  // `env` given explicitly: this module's process.env (under a test runner's sandbox, the one the test sets).
  if (fs.existsSync(compiled)) return new Worker(compiled, { workerData: setup, env: process.env });
  const source = path.join(__dirname, 'scan-worker.ts');
  const code = `require(${JSON.stringify(require.resolve('tsx/cjs'))}); require(${JSON.stringify(source)});`;
  return new Worker(code, { eval: true, workerData: setup, env: process.env });
}

export interface ParallelHooks {
  /** After each range's results are taken (bytes of the range): progress, output flushing, a closed output. */
  afterRange(bytes: number): Promise<void>;
}

interface PoolJob {
  result(result: RangeResult): void;
  failed(worker: number, message: string): void;
}

/**
 * The worker threads of one scan, started as soon as the rules are loaded (they load and compile them while the
 * main thread compiles its own copy and sets up) and serving every parallel file of the scan in turn.
 */
export class ScanWorkerPool {
  private readonly workers: Worker[];
  private job: PoolJob | undefined;
  /** A failure while no file was being scanned (a worker that could not start): reported to the next job. */
  private early: { worker: number; message: string } | undefined;
  private stopping = false;

  constructor(
    setup: WorkerSetup,
    threads: number,
    /** The sources this pool scans (decided once, before any is read). */
    private readonly sources: ReadonlySet<InputSource>,
  ) {
    this.workers = Array.from({ length: threads }, () => startWorker(setup));
    this.workers.forEach((worker, w) => {
      worker.on('message', (result: RangeResult) => this.job?.result(result));
      const failed = (message: string): void => {
        if (this.job) this.job.failed(w, message);
        else this.early ??= { worker: w, message };
      };
      worker.on('error', (err: Error) => failed(err.message));
      worker.on('exit', (code) => {
        if (!this.stopping) failed(`it exited (code ${code}) before the scan ended`);
      });
    });
  }

  serves(source: InputSource): boolean {
    return this.sources.has(source);
  }

  get size(): number {
    return this.workers.length;
  }

  post(worker: number, request: RangeRequest): void {
    this.workers[worker].postMessage(request);
  }

  /** Routes the workers' results and failures to `job` until the returned function is called. */
  attach(job: PoolJob): () => void {
    this.job = job;
    if (this.early) job.failed(this.early.worker, this.early.message);
    return () => {
      this.job = undefined;
    };
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/**
 * The pool for the sources that will be scanned in parallel, or undefined when none will: one worker per thread,
 * no more than the largest such file has ranges.
 */
export function startWorkerPool(sources: readonly InputSource[], model: RuleSetModel, options: ParallelOptions): ScanWorkerPool | undefined {
  const parallel = sources.filter((s) => scansInParallel(s, options));
  if (parallel.length === 0) return undefined;
  const ranges = Math.max(...parallel.map((s) => Math.ceil((s.size ?? 0) / options.rangeSize)));
  return new ScanWorkerPool({ model, maxItemBytes: options.maxItemBytes }, Math.min(options.threads, ranges), new Set(parallel));
}

/**
 * Scans one file with the pool's workers into `pipeline`, as `readSource` with the sequential pipeline would.
 * Rejects when a worker fails (with the range it was reading) or when `hooks` throws; the caller stops the pool.
 */
export async function scanFileInParallel(
  source: InputSource & { file: string; size: number },
  model: RuleSetModel,
  pool: ScanWorkerPool,
  pipeline: ScanPipeline,
  hooks: ParallelHooks,
  options: ParallelOptions,
): Promise<void> {
  const rulesById = new Map<string, RuleModel>([...model.rules, BUDGET_RULE].map((r) => [r.id, r]));
  const ranges = Math.ceil(source.size / options.rangeSize);
  const pending = new Map<number, RangeResult>();
  const assigned = new Map<number, number>(); // range index → worker index
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const signal = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const rangeOf = (index: number): RangeRequest => ({
    file: source.file,
    index,
    start: index * options.rangeSize,
    end: Math.min((index + 1) * options.rangeSize, source.size),
  });
  const detach = pool.attach({
    result: (result) => {
      assigned.delete(result.index);
      pending.set(result.index, result);
      signal();
    },
    failed: (worker, message) => {
      const at = [...assigned].find(([, owner]) => owner === worker)?.[0];
      const where = at === undefined ? '' : ` (bytes ${rangeOf(at).start}-${rangeOf(at).end})`;
      failure ??= new Error(`a scan worker failed while reading ${source.name}${where}: ${message}`);
      signal();
    },
  });
  let dispatched = 0;
  let consumed = 0;
  const dispatch = (): void => {
    while (dispatched < ranges && dispatched - consumed < pool.size * IN_FLIGHT_PER_WORKER) {
      const index = dispatched++;
      const w = index % pool.size;
      assigned.set(index, w);
      pool.post(w, rangeOf(index));
    }
  };
  try {
    dispatch();
    let lineOffset = 0;
    let observerChunk = -1;
    while (consumed < ranges) {
      if (failure) throw failure;
      const result = pending.get(consumed);
      if (!result) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        continue;
      }
      pending.delete(consumed);
      consumed++;
      dispatch();
      pipeline.addPartSummary(result.summary, source.name, lineOffset);
      for (const m of result.matched) {
        // The sequential scan hands queued events to the observers at the end of each observer chunk.
        if (m.chunk !== observerChunk) {
          if (observerChunk >= 0) await pipeline.flush();
          observerChunk = m.chunk;
        }
        const normalized = normalizeEvent(JSON.parse(m.text));
        if ('error' in normalized) throw new Error(`${source.name}:${m.line + lineOffset}: a worker matched an item that is not a log event`);
        const matches: RuleMatch[] = m.matches.map((sent) => {
          const rule = rulesById.get(sent.ruleId);
          if (!rule) throw new Error(`a scan worker matched an unknown rule '${sent.ruleId}'`);
          const match: RuleMatch = { rule, matched: sent.matched };
          if (sent.skippedRules !== undefined) match.skippedRules = sent.skippedRules;
          return match;
        });
        pipeline.processMatches(normalized.event, matches);
      }
      lineOffset += result.lines;
      const { start, end } = rangeOf(result.index);
      await hooks.afterRange(end - start);
    }
    await pipeline.flush();
  } finally {
    detach();
  }
}

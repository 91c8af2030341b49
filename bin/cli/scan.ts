// `auth0-sigma scan`: run the rules over log files (or stdin) and print detections; summary on stderr.

import { performance } from 'node:perf_hooks';
import type * as CliProgress from 'cli-progress';
import { CompiledRuleSet } from '../../lambda/sigma/ruleset';
import { RuleModelCache } from './rule-cache';
import { BUDGET_RULE } from '../../lambda/sigma/budget';
import { escapeForTerminal, escapeForTerminalKeepingLines } from '../../lambda/sigma/terminal-text';
import type { Detection, RuleSetModel, RuleSummary } from '../../lambda/sigma/types';
import { BufferedWriter, EXIT_FAILURE, EXIT_OK, UsageError, formatCount, printable, type CliIO } from './io';
import { readSource, resolveInputs, type InputSource } from './input';
import { loadRuleSet, plural, printDiagnostics, rulesWithErrors, type RuleOptions } from './rule-options';
import { MALFORMED_REPORT_LIMIT, ScanPipeline, type EventObserver } from './scan-pipeline';
import { schemaKnows } from './lint';
import { createCorrelationObserver } from './correlation';
import { AlertVolume, DEFAULT_NOISY_THRESHOLD, formatAlertVolume, type AlertVolumeOptions } from './alert-volume';
import { scanLimits, type ScanLimitOptions } from './limits';
import { SCAN_FORMATS } from './scan-formats';
import { DEFAULT_RANGE_SIZE, defaultThreads, scanFileInParallel, startWorkerPool, type ParallelOptions, type ScanWorkerPool } from './parallel-scan';

/** stdout failed (EPIPE when `| head` exits): stop reading input, there is nowhere to write detections. */
class OutputClosedError extends Error {
  constructor(cause: Error) {
    super((cause as NodeJS.ErrnoException).code ?? cause.message);
  }
}

export interface ScanOptions extends RuleOptions, Partial<ScanLimitOptions>, AlertVolumeOptions {
  format: string;
  /** Exit 0 even when some rules failed to load (they are still left out, and said so). */
  allowRuleErrors?: boolean;
  /** Threads scanning a regular NDJSON file (1: the sequential scan, which stdin and pipes always use). */
  threads?: number;
  /** Bytes per range a thread takes (hidden option: tests force many ranges with a small one). */
  rangeSize?: number;
  /** `--no-rule-cache`: false loads the rules without the cache of loaded rule sets. */
  ruleCache?: boolean;
}

export { SCAN_FORMATS };

function withName(id: string | undefined, name: string | undefined): string {
  if (id === undefined && name === undefined) return '-';
  if (id === undefined) return printable(name);
  return name === undefined ? printable(id) : `${printable(name)} (${printable(id)})`;
}

/** One readable line per detection. */
export function formatDetectionText(d: Detection): string {
  const head = `[${d.rule.level}] ${printable(d.rule.title)}`;
  if (d.correlation) {
    const c = d.correlation;
    const group = Object.entries(c.group).map(([k, v]) => `${printable(k)}=${printable(v)}`).join(' ') || '-';
    return `${head} | ${c.type} value=${c.value} | window=${c.window.start}..${c.window.end} | group: ${group} | log_ids=${c.log_ids.map((id) => printable(id)).join(',') || '-'}`;
  }
  // The budget rule names the rules it stopped (rule titles come from rule files: printable too).
  const skipped = d.skipped_rules ? ` | skipped rules: ${d.skipped_rules.map((r) => withName(r.id, r.title)).join(', ')}` : '';
  return (
    `${head} | date=${printable(d.date)} type=${printable(d.type)} user=${withName(d.user_id, d.user_name)} ` +
    `ip=${printable(d.ip)} client=${withName(d.client_id, d.client_name)} log_id=${printable(d.log_id)}${skipped}`
  );
}

/**
 * Writes each detection as the line `JSON.stringify(detection)` escaped for the terminal
 * (escapeForTerminalKeepingLines: the same JSON value), with the rule part (most of a detection's text:
 * description, references, prevention...) serialised, escaped and encoded once per rule: the same bytes as
 * escaping and encoding the whole line, a fraction of the work.
 */
export function detectionJsonWriter(writer: BufferedWriter): (d: Detection) => void {
  const rules = new Map<string, { summary: RuleSummary; prefix: Buffer }>();
  return (d) => {
    let first: string | undefined;
    for (const key in d) {
      first = key;
      break;
    }
    if (first !== 'rule') {
      writer.jsonLine(NO_PREFIX, JSON.stringify(d));
      return;
    }
    const rule = d.rule;
    let cached = rules.get(rule.id);
    if (!cached || !sameSummary(cached.summary, rule)) {
      const prefix = Buffer.from(`{"rule":${escapeForTerminalKeepingLines(JSON.stringify(rule))},`);
      rules.set(rule.id, (cached = { summary: rule, prefix }));
    }
    // The rest of the detection, in its own key order: JSON.stringify leaves out a property whose value is
    // undefined, so the rule is set aside for the call (put back at once) instead of copying the other properties.
    let rest: string;
    if (Object.isFrozen(d)) {
      const { rule: _rule, ...copy } = d;
      rest = JSON.stringify(copy);
    } else {
      (d as { rule: RuleSummary | undefined }).rule = undefined;
      try {
        rest = JSON.stringify(d);
      } finally {
        d.rule = rule;
      }
    }
    if (rest === '{}') writer.jsonLine(cached.prefix.subarray(0, cached.prefix.length - 1), '}');
    else writer.jsonLine(cached.prefix, rest.slice(1));
  };
}

const NO_PREFIX = new Uint8Array(0);

/** Two rule summaries that serialise alike (the same rule's summary is rebuilt for every detection). */
function sameSummary(a: RuleSummary, b: RuleSummary): boolean {
  if (a === b) return true;
  if (a.id !== b.id || a.title !== b.title || a.level !== b.level || a.meta !== b.meta || a.tags.length !== b.tags.length) return false;
  for (let i = 0; i < a.tags.length; i++) if (a.tags[i] !== b.tags[i]) return false;
  let keys = 0;
  for (const key in b) {
    if (!Object.prototype.hasOwnProperty.call(a, key)) return false;
    keys++;
  }
  return keys === Object.keys(a).length;
}

function formatRate(events: number, seconds: number): string {
  if (seconds <= 0) return 'n/a';
  return formatCount(events / seconds);
}

export async function runScan(io: CliIO, options: ScanOptions, inputs: string[]): Promise<number> {
  if (!(SCAN_FORMATS as readonly string[]).includes(options.format)) {
    throw new UsageError(`--format must be one of ${SCAN_FORMATS.join(', ')} (got '${options.format}')`);
  }
  if (options.noisyThreshold !== undefined && !(Number.isSafeInteger(options.noisyThreshold) && options.noisyThreshold >= 1)) {
    throw new UsageError(`--noisy-threshold must be a whole number of detections a day, 1 or more (got '${String(options.noisyThreshold)}')`);
  }
  const sources = resolveInputs(io, inputs);
  const strict = Boolean(options.strict);
  // Loading the rules is pure (files, options, engine code): a scan reuses an earlier load of the same rules.
  const cache = options.ruleCache !== false && io.ruleCacheDir !== undefined ? new RuleModelCache(io.ruleCacheDir) : undefined;
  const loaded = loadRuleSet(io, options, strict ? 'error' : 'skip-rule', cache);
  const { result } = loaded;
  const err = io.stderr;

  printDiagnostics(err, loaded.diagnostics.filter((d) => d.severity !== 'note'));
  // Refused for safety, the cache would stay unused scan after scan without a word: say why, once per scan.
  if (cache?.refused) err.write(`note: the rule cache was not used: ${escapeForTerminal(cache.refused)} (make it yours with mode 700, or --no-rule-cache)\n`);
  if (strict && loaded.errors > 0) {
    err.write(`scan stopped before reading input: ${plural(loaded.errors, 'error')} in the rules (--strict)\n`);
    return EXIT_FAILURE;
  }
  // Skipped rules a warning above already names (unresolved placeholders) are not repeated; the others were
  // skipped on purpose (another logsource, deprecated) and get a one-line note.
  const warned = new Set(loaded.diagnostics.filter((d) => d.severity !== 'note').map((d) => `${d.loc.file}\u0000${d.ruleTitle ?? ''}`));
  for (const s of result.skipped) {
    if (!warned.has(`${s.file}\u0000${s.title}`)) err.write(`note: rule '${s.title}' (${s.file}:${s.line}) skipped: ${s.reason}\n`);
  }
  // A scan that silently ran without some rules would read as "nothing found": the exit code says otherwise.
  const failedRules = rulesWithErrors(loaded.diagnostics);
  const ruleErrorsMessage =
    loaded.errors > 0
      ? `${plural(failedRules, 'rule')} failed to load and ${failedRules === 1 ? 'was' : 'were'} NOT evaluated ` +
        `(${plural(loaded.errors, 'error')} above; \`auth0-sigma check\` lists them)`
      : undefined;
  if (ruleErrorsMessage) {
    err.write(
      options.allowRuleErrors
        ? `warning: ${ruleErrorsMessage}; scanning with the others (--allow-rule-errors)\n`
        : `error: ${ruleErrorsMessage}; scanning with the others, then exiting 1 (--allow-rule-errors accepts this, --strict stops at once)\n`,
    );
  }
  if (result.model.rules.length === 0) err.write('warning: no rule is enabled: nothing can be detected\n');

  const limits = scanLimits(options);
  const parallel: ParallelOptions = {
    threads: options.threads ?? defaultThreads(),
    rangeSize: options.rangeSize ?? DEFAULT_RANGE_SIZE,
    maxItemBytes: limits.maxItemSize,
  };
  // Started now: the workers load and compile the rules while this thread compiles its own copy and sets up.
  const pool = startWorkerPool(sources, result.model, parallel);
  try {
    return await scanSources(io, options, sources, result.model, ruleErrorsMessage, limits, parallel, pool);
  } finally {
    await pool?.stop();
  }
}

/** The scan proper, once the rules are loaded: read, match, correlate, write; then the summary. */
async function scanSources(
  io: CliIO,
  options: ScanOptions,
  sources: InputSource[],
  model: RuleSetModel,
  ruleErrorsMessage: string | undefined,
  limits: ScanLimitOptions,
  parallel: ParallelOptions,
  pool: ScanWorkerPool | undefined,
): Promise<number> {
  const err = io.stderr;
  const ruleSet = new CompiledRuleSet(model);
  // Each formatted detection is escaped for the terminal as it is made (the JSON's rule part once per rule), so
  // the writer goes to stdout without the escaping layer, which would scan the whole output again.
  const writer = new BufferedWriter(io.escapedStdout ?? io.stdout);
  const write = options.format === 'json' ? detectionJsonWriter(writer) : (d: Detection) => writer.line(escapeForTerminalKeepingLines(formatDetectionText(d)));
  const correlation = createCorrelationObserver(model, {
    maxGroups: limits.maxCorrelationGroups,
    maxBytes: limits.maxCorrelationMemory,
    onLimitReached: (message) => err.write(`warning: ${message}\n`),
  });
  for (const w of correlation?.warnings ?? []) err.write(`warning: ${w}\n`);
  const observers: EventObserver[] = correlation ? [correlation] : [];
  const volume = new AlertVolume(options.noisyThreshold ?? DEFAULT_NOISY_THRESHOLD);
  const pipeline = new ScanPipeline(ruleSet, model.rules, (d) => {
    volume.add(d);
    write(d);
  }, observers);

  const started = performance.now();
  const progress = io.stderrIsTTY ? startProgress(io, sources) : undefined;
  let bytesRead = 0;
  const afterChunk = async (bytes: number): Promise<void> => {
    bytesRead += bytes;
    progress?.update(bytesRead, { events: pipeline.eventsEvaluated, detections: pipeline.detectionsTotal });
    if (writer.full) await writer.flush();
    if (writer.error) throw new OutputClosedError(writer.error);
  };
  try {
    for (const source of sources) {
      if (pool && source.file !== undefined && source.size !== undefined && pool.serves(source)) {
        await scanFileInParallel({ ...source, file: source.file, size: source.size }, model, pool, pipeline, { afterRange: afterChunk }, parallel);
        continue;
      }
      await readSource(io, source, {
        item: (value, name, line) => pipeline.processItem(value, name, line),
        malformed: (name, line, message, lostItem) => {
          if (lostItem) pipeline.processUnparsable(name, line, message);
          else pipeline.noteInput(name, line, message);
        },
        chunk: async (bytes) => {
          await pipeline.flush();
          await afterChunk(bytes);
          // stdin or a pipe may be a live stream (`tail -F … | auth0-sigma scan -`): its detections go out as each
          // piece of input is read, not once a block has filled.
          if (source.size === undefined) await writer.flush();
        },
      }, { maxItemBytes: limits.maxItemSize });
    }
    await pipeline.finish();
    await writer.flush();
    if (writer.error) throw new OutputClosedError(writer.error);
  } catch (e) {
    progress?.stop();
    if (e instanceof OutputClosedError) {
      err.write(`scan stopped: cannot write detections (${e.message}); was the output pipe closed?\n`);
    } else {
      await writer.flush();
      err.write(`scan failed while reading input: ${(e as Error).message}\n`);
    }
    return EXIT_FAILURE;
  }
  progress?.stop();
  const seconds = (performance.now() - started) / 1000;

  // Summary (stderr, so stdout stays pure detections).
  for (const m of pipeline.malformedShown) err.write(`${m.source}:${m.line}: skipped: ${m.message}\n`);
  const hidden = pipeline.malformedCount - pipeline.malformedShown.length;
  if (hidden > 0) err.write(`... ${plural(hidden, 'more malformed item')} skipped (only the first ${MALFORMED_REPORT_LIMIT} are shown)\n`);
  for (const n of pipeline.inputNotes) err.write(`${n.source}:${n.line}: note: ${n.message}\n`);

  err.write(
    `scan: ${plural(sources.length, 'input')}, ${plural(pipeline.itemsRead, 'item')} read, ${pipeline.malformedCount} malformed (skipped), ` +
      `${plural(pipeline.eventsEvaluated, 'event')} evaluated against ${plural(model.rules.length, 'rule')}, ` +
      `${plural(pipeline.detectionsTotal, 'detection')} in ${seconds.toFixed(2)} s (${formatRate(pipeline.eventsEvaluated, seconds)} events/s)\n`,
  );
  for (const line of correlation?.summary() ?? []) err.write(`${line}\n`);
  const rulesById = new Map([...model.rules, BUDGET_RULE].map((r) => [r.id, r]));
  if (pipeline.detectionsByRule.size > 0) {
    err.write('detections per rule:\n');
    const rows = [...pipeline.detectionsByRule].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    for (const [id, count] of rows) {
      const rule = rulesById.get(id);
      err.write(`  ${String(count).padStart(7)}  [${rule?.level ?? '?'}] ${rule?.title ?? id} (${id})\n`);
    }
  }
  // Alert volume per rule and day of log time, noisy rules flagged; with --format json also as one JSON line.
  const alertVolume = volume.summary();
  for (const line of formatAlertVolume(alertVolume)) err.write(`${line}\n`);
  if (options.format === 'json') err.write(`${JSON.stringify({ alert_volume: alertVolume })}\n`);
  if (pipeline.failuresByRule.size > 0) {
    const budget = pipeline.budgetExceededEvents;
    err.write(`rule evaluation failures (each contained to its rule and event; the other rules still ran)${budget ? `; ${plural(budget, 'event')} exceeded the regex budget` : ''}:\n`);
    const rows = [...pipeline.failuresByRule].sort((a, b) => b[1].count - a[1].count || (a[0] < b[0] ? -1 : 1));
    for (const [id, { count, reasons }] of rows) {
      const why = [...reasons].map(([reason, n]) => (reasons.size > 1 ? `${reason} (${n})` : reason)).join('; ');
      err.write(`  ${String(count).padStart(7)}  ${printable(rulesById.get(id)?.title ?? id)} (${printable(id)}): ${why}\n`);
    }
  }
  if (pipeline.silentMatchesByRule.size > 0) {
    err.write('matches of rules that only feed correlations (no detection of their own):\n');
    for (const [id, count] of pipeline.silentMatchesByRule) err.write(`  ${String(count).padStart(7)}  ${rulesById.get(id)?.title ?? id} (${id})\n`);
  }
  const coverage = pipeline.coverage();
  if (coverage.length > 0 && pipeline.eventsEvaluated > 0) {
    err.write('fields never present in the scanned events (a rule reading them cannot fire on this input; a wrong path?):\n');
    for (const { rule, missing } of coverage) {
      err.write(`  ${rule.title} (${rule.file}:${rule.line}):\n`);
      for (const field of missing) {
        const known = schemaKnows(rule, field);
        const verdict = known === true ? 'defined in the Auth0 log schemas' : known === false ? 'NOT defined in the Auth0 schemas of the log types this rule can match: check the path' : 'not checked against the schemas';
        err.write(`    ${field} (${verdict})\n`);
      }
    }
  }
  if (ruleErrorsMessage && !options.allowRuleErrors) {
    err.write(`scan incomplete: ${ruleErrorsMessage}; fix them, or pass --allow-rule-errors to accept a scan without them\n`);
    return EXIT_FAILURE;
  }
  return EXIT_OK;
}

function startProgress(io: CliIO, sources: InputSource[]): CliProgress.SingleBar {
  // Loaded only for a terminal: a piped or redirected scan starts without it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const cliProgress = require('cli-progress') as typeof CliProgress;
  const sizes = sources.map((s) => s.size);
  const known = sizes.every((s): s is number => s !== undefined);
  const total = known ? sizes.reduce((a, b) => a + b, 0) : 0;
  const bar = new cliProgress.SingleBar(
    {
      stream: io.terminal ?? io.stderr, // raw: the bar draws with ANSI sequences
      fps: 5,
      clearOnComplete: true,
      hideCursor: null,
      format: known
        ? 'scanning [{bar}] {percentage}% | {events} events | {detections} detections | {duration_formatted}'
        : 'scanning {value} bytes | {events} events | {detections} detections | {duration_formatted}',
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(known ? Math.max(total, 1) : 0, 0, { events: 0, detections: 0 });
  return bar;
}

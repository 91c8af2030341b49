// `scan`'s fast input path (large synchronous reads, decoding at line breaks, Latin-1 for ASCII blocks) and its
// output shortcuts (the rule part of a detection serialised and escaped once per rule, no second escaping pass)
// must not change what it reports. This compares the CLI on a generated
// corpus with hostile lines against a straightforward reference built from the engine's parts (whole file split on
// "\n", JSON.parse, normalise, match, one JSON.stringify per detection, every field checked on every event), and the
// file path against stdin (the streamed path) and a JSON array of the same events.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generateCorpus } from '../../scripts/bench/corpus';
import { loadRules } from '../../lambda/sigma/loader';
import { CompiledRuleSet } from '../../lambda/sigma/ruleset';
import { normalizeEvent } from '../../lambda/sigma/events';
import { buildDetection } from '../../lambda/sigma/detection';
import { compilePath, fieldIsPresent } from '../../lambda/sigma/fieldpath';
import { escapeForTerminalKeepingLines } from '../../lambda/sigma/terminal-text';
import { createCorrelationObserver } from '../../bin/cli/correlation';
import { CRASH_HOOK_ENV } from '../../bin/cli/scan-worker';
import type { Detection, RuleModel } from '../../lambda/sigma/types';
import { REPO, lines, run } from './helpers';

const MAX_ITEM = 2_000_000;
const PLACEHOLDERS = ['--set', 'api_explorer_client_id=BenchApiExplorerClient000000000'];

/** Text that is not plain ASCII, crossing many block and chunk boundaries in the file. */
const WIDE = 'é漢字🦊\u202e\u200bÿ';

function hostileLines(i: number): string[] {
  const base = { log_id: `hostile-${i}`, data: { type: 'fp', date: '2026-11-01T00:10:00.000Z', ip: '203.0.113.9', user_name: `ü${WIDE}${i}` } };
  switch (i % 12) {
    case 0: return ['{"log_id": "broken", data: }'];
    case 1: return ['[1, 2, 3]', '42', '"just a string"', 'null'];
    case 2: return ['', '   ', '\t'];
    case 3: return [`${JSON.stringify(base)}\r`];
    case 4: return [JSON.stringify({ ...base, data: { ...base.data, description: `${WIDE.repeat(50)}\u0000\u001b[2J` } })];
    case 5: return ['{"log_id":"lone","data":{"type":"fp","user_name":"\\ud800 alone","d\\u0061te":"2026-11-01T00:11:00Z"}}'];
    case 6: return [`\ufeff${JSON.stringify(base)}`];
    case 7: return [JSON.stringify({ ...base, data: { ...base.data, details: { request: { body: { status: 'paused' } } } } })];
    default: return [];
  }
}

/** The corpus: generated events with hostile lines between them, a long valid line and an oversized one. */
function corpusText(): string {
  const out: string[] = [];
  let i = 0;
  for (const event of generateCorpus({ count: 1500 })) {
    out.push(JSON.stringify(event));
    if (i % 47 === 0) out.push(...hostileLines(i / 47));
    i++;
  }
  // Longer than the 1 MiB read buffer, within --max-item-size: read in pieces, cut between UTF-8 sequences.
  out.splice(700, 0, JSON.stringify({ log_id: 'long', data: { type: 'limit_wc', ip: '198.51.100.1', user_name: `mallory${WIDE}`, user_agent: WIDE.repeat(80_000) } }));
  // Over --max-item-size: reported and skipped (early, among the malformed items the summary lists).
  out.splice(1, 0, JSON.stringify({ log_id: 'huge', data: { type: 'fp', user_agent: 'x'.repeat(MAX_ITEM + 10) } }));
  return `${out.join('\n')}\n{"log_id":"last-without-newline","data":{"type":"fp","ip":"198.51.100.2"}}`;
}

interface Summary {
  items: number;
  malformed: number;
  evaluated: number;
  detections: number;
  perRule: Map<string, number>;
  missing: string[];
}

const isBlank = (c: number): boolean => c === 32 || c === 9 || c === 10 || c === 13 || c === 0xfeff;

function trim(text: string): string {
  let s = 0;
  let e = text.length;
  while (s < e && isBlank(text.charCodeAt(s))) s++;
  while (e > s && isBlank(text.charCodeAt(e - 1))) e--;
  return text.slice(s, e);
}

/** The fields the scan's coverage report tracks for a rule (as bin/cli/scan-pipeline.ts defines them). */
function ruleFields(ruleSet: CompiledRuleSet, rule: RuleModel): string[] {
  if (rule.kind === 'detection') return ruleSet.fieldsRead(rule.id);
  const c = rule.correlation;
  if (!c) return [];
  const fields = [...c.groupBy, ...(c.condition.field !== undefined ? [c.condition.field] : [])];
  return fields.filter((f) => !Object.prototype.hasOwnProperty.call(c.aliases, f));
}

/** The straightforward scan: every line in order, every field of every rule checked on every event. */
async function reference(text: string): Promise<{ single: string[]; correlation: string[]; summary: Summary }> {
  const { model } = loadRules([path.join(REPO, 'rules')], { placeholders: { api_explorer_client_id: 'BenchApiExplorerClient000000000' }, root: REPO });
  const ruleSet = new CompiledRuleSet(model);
  const observer = createCorrelationObserver(model);
  const fields = [...new Set(model.rules.flatMap((r) => ruleFields(ruleSet, r)))].map((field) => ({ field, path: compilePath(field), seen: false }));
  const single: string[] = [];
  const correlation: string[] = [];
  const summary: Summary = { items: 0, malformed: 0, evaluated: 0, detections: 0, perRule: new Map(), missing: [] };
  const count = (d: Detection): void => {
    summary.detections++;
    summary.perRule.set(d.rule.id, (summary.perRule.get(d.rule.id) ?? 0) + 1);
  };
  for (const rawLine of text.split('\n')) {
    const line = trim(rawLine);
    if (line === '') continue;
    summary.items++;
    if (Buffer.byteLength(line) > MAX_ITEM) {
      summary.malformed++;
      continue;
    }
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      summary.malformed++;
      continue;
    }
    const normalized = normalizeEvent(value);
    if ('error' in normalized) {
      summary.malformed++;
      continue;
    }
    summary.evaluated++;
    for (const f of fields) if (!f.seen && fieldIsPresent(normalized.event, f.path)) f.seen = true;
    const matches = ruleSet.match(normalized.event);
    for (const m of matches) {
      if (!m.rule.alerts) continue;
      const d = buildDetection(m, normalized.event);
      count(d);
      single.push(escapeForTerminalKeepingLines(JSON.stringify(d)));
    }
    if (observer?.wants(matches)) {
      for (const d of await observer.process([{ event: normalized.event, matches }])) {
        count(d);
        correlation.push(escapeForTerminalKeepingLines(JSON.stringify(d)));
      }
    }
  }
  for (const d of (await observer?.end()) ?? []) {
    count(d);
    correlation.push(escapeForTerminalKeepingLines(JSON.stringify(d)));
  }
  summary.missing = fields.filter((f) => !f.seen).map((f) => f.field).sort();
  return { single, correlation, summary };
}

function parseSummary(stderr: string): Summary {
  const head = /scan: \d+ inputs?, (\d+) items? read, (\d+) malformed \(skipped\), (\d+) events? evaluated against \d+ rules?, (\d+) detections?/.exec(stderr);
  if (!head) throw new Error(`no summary line in:\n${stderr}`);
  const perRule = new Map<string, number>();
  const perRuleSection = stderr.split('detections per rule:\n')[1]?.split('\n') ?? [];
  for (const line of perRuleSection) {
    const m = /^ +(\d+) {2}\[[a-z?]+\] .* \(([^()]+)\)$/.exec(line);
    if (!m) break;
    perRule.set(m[2], Number(m[1]));
  }
  const missingSection = stderr.split('fields never present in the scanned events')[1]?.split('\n').slice(1) ?? [];
  const missing = missingSection.filter((l) => l.startsWith('    ')).map((l) => l.trim().replace(/ \(.*\)$/, ''));
  return { items: Number(head[1]), malformed: Number(head[2]), evaluated: Number(head[3]), detections: Number(head[4]), perRule, missing: [...new Set(missing)].sort() };
}

/** stderr without the run's duration and rate (the only part that differs between two runs of the same scan). */
const untimed = (stderr: string): string => stderr.replace(/ in \d+\.\d+ s \([\d,n/a]+ events\/s\)/, '');
const isCorrelation = (line: string): boolean => (JSON.parse(line) as Detection).correlation !== undefined;
const sorted = (list: string[]): string[] => [...list].sort();

describe('scan: fast input and output paths against a straightforward reference', () => {
  let dir: string;
  let text: string;
  let file: string;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scan-equivalence-'));
    text = corpusText();
    file = path.join(dir, 'corpus.ndjson');
    fs.writeFileSync(file, text);
  });

  afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('the file path reports what the reference finds: same detections, same order of single-event detections, same summary', async () => {
    // The corpus crosses several 1 MiB read blocks and 256 KiB chunks, with multi-byte text at many boundaries.
    expect(Buffer.byteLength(text)).toBeGreaterThan(3 * 1024 * 1024);
    const [cli, ref] = await Promise.all([
      run(['scan', '--format', 'json', '--max-item-size', String(MAX_ITEM), ...PLACEHOLDERS, file]),
      reference(text),
    ]);
    expect(cli.code).toBe(0);
    const out = lines(cli.stdout);
    expect(out.filter((l) => !isCorrelation(l))).toEqual(ref.single);
    expect(sorted(out.filter(isCorrelation))).toEqual(sorted(ref.correlation));
    expect(ref.single.length).toBeGreaterThan(10);
    expect(ref.correlation.length).toBeGreaterThan(0);
    const summary = parseSummary(cli.stderr);
    expect(summary).toEqual(ref.summary);
    // The hostile lines were read as such: some malformed, the long line parsed, the oversized one skipped.
    expect(ref.summary.malformed).toBeGreaterThan(10);
    expect(/corpus\.ndjson:2: skipped: line longer than 2000000 bytes skipped/.test(cli.stderr)).toBe(true);
    expect(out.filter((l) => l.includes('"log_id":"long"'))).toHaveLength(1);
    // Nothing the events carried reaches the output raw (escaped as JSON escapes).
    expect(/[\u0000-\u0009\u000b-\u001f\u202e\u200b]/.test(cli.stdout)).toBe(false);
    expect(out.some((l) => l.includes('\\u202e'))).toBe(true);
  });

  it('stdin (streamed in other chunk sizes) and a JSON array of the same events report the same', async () => {
    const fromFile = await run(['scan', '--format', 'json', '--max-item-size', String(MAX_ITEM), ...PLACEHOLDERS, file]);
    const fromStdin = await run(['scan', '--format', 'json', '--max-item-size', String(MAX_ITEM), ...PLACEHOLDERS, '-'], { stdin: text });
    expect(sorted(lines(fromStdin.stdout))).toEqual(sorted(lines(fromFile.stdout)));
    expect(parseSummary(fromStdin.stderr)).toEqual(parseSummary(fromFile.stderr));

    const events = text.split('\n').map(trim).filter((l) => l !== '' && Buffer.byteLength(l) <= MAX_ITEM).flatMap((l) => {
      try {
        const v: unknown = JSON.parse(l);
        return v !== null && typeof v === 'object' && !Array.isArray(v) ? [l] : [];
      } catch {
        return [];
      }
    });
    const arrayFile = path.join(dir, 'corpus.json');
    fs.writeFileSync(arrayFile, `[\n${events.join(',\n')}\n]\n`);
    const fromArray = await run(['scan', '--format', 'json', '--max-item-size', String(MAX_ITEM), ...PLACEHOLDERS, arrayFile]);
    const ndjsonEvents = lines(fromFile.stdout);
    expect(sorted(lines(fromArray.stdout))).toEqual(sorted(ndjsonEvents));
  });

  it('the parallel scan (--threads 2, many small ranges in flight) prints and reports byte for byte what --threads 1 does', async () => {
    const args = ['scan', '--format', 'json', '--max-item-size', String(MAX_ITEM), ...PLACEHOLDERS, file];
    // 64 KiB ranges: ~60 of them, 4 in flight; the oversized line (2 MB) and the long one (1 MB) each span many.
    const [sequential, parallel] = await Promise.all([run([...args, '--threads', '1']), run([...args, '--threads', '2', '--range-size', '64K'])]);
    expect(parallel.code).toBe(0);
    expect(sequential.code).toBe(0);
    expect(parallel.stdout).toBe(sequential.stdout);
    expect(untimed(parallel.stderr)).toBe(untimed(sequential.stderr));
    // The runs saw what the test is about: malformed lines reported with their line in the file, correlations
    // (whose events span ranges).
    expect(parallel.stderr).toMatch(/corpus\.ndjson:2: skipped: line longer than 2000000 bytes/);
    expect(parseSummary(parallel.stderr).malformed).toBeGreaterThan(10);
    expect(lines(parallel.stdout).filter(isCorrelation).length).toBeGreaterThan(0);
    // The same arguments with a worker made to fail do fail: the run above went through the worker threads.
    process.env[CRASH_HOOK_ENV] = '7';
    try {
      const crashed = await run([...args, '--threads', '2', '--range-size', '64K']);
      expect(crashed.code).toBe(1);
      expect(crashed.stderr).toContain('forced crash of a scan worker at range 7');
    } finally {
      delete process.env[CRASH_HOOK_ENV];
    }
  });

  it('two inputs, one parallel and one read from stdin: the same output and summary as one thread', async () => {
    const args = ['scan', '--max-item-size', String(MAX_ITEM), ...PLACEHOLDERS, file, '-'];
    const stdin = text.slice(0, 300_000);
    const [sequential, parallel] = await Promise.all([run([...args, '--threads', '1'], { stdin }), run([...args, '--threads', '2', '--range-size', '256K'], { stdin })]);
    expect(parallel.code).toBe(0);
    expect(parallel.stdout).toBe(sequential.stdout);
    expect(untimed(parallel.stderr)).toBe(untimed(sequential.stderr));
    expect(parallel.stderr).toContain('scan: 2 inputs,');
  });

  it('the parallel scan with a smaller --max-item-size: the long line is skipped at its own line, as sequentially', async () => {
    const args = ['scan', '--format', 'json', '--max-item-size', '512K', ...PLACEHOLDERS, file];
    const [sequential, parallel] = await Promise.all([run([...args, '--threads', '1']), run([...args, '--threads', '3', '--range-size', '48K'])]);
    expect(parallel.stdout).toBe(sequential.stdout);
    expect(untimed(parallel.stderr)).toBe(untimed(sequential.stderr));
    expect(parallel.stderr).toMatch(/corpus\.ndjson:\d+: skipped: line longer than 524288 bytes/);
  });

  it('text output: one escaped line per detection, as the JSON run finds them', async () => {
    const textRun = await run(['scan', '--max-item-size', String(MAX_ITEM), ...PLACEHOLDERS, file]);
    const jsonRun = await run(['scan', '--format', 'json', '--max-item-size', String(MAX_ITEM), ...PLACEHOLDERS, file]);
    expect(lines(textRun.stdout)).toHaveLength(lines(jsonRun.stdout).length);
    expect(/[\u0000-\u0009\u000b-\u001f\u202e\u200b]/.test(textRun.stdout)).toBe(false);
  });
});

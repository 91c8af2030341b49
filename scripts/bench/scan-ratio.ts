// Issue 11, goal 1: `auth0-sigma scan` as a whole process (start-up included) against a bare Node script that streams
// the same file line by line and JSON.parses each line. Each round runs, back to back so they share the machine's
// load: (a) the bare read + parse, (b) `scan --format json` with the shipped rules, (c) the same with the shipped
// rules plus Auth0's published catalog (../shared, placeholders set from the corpus generator's tenant). The ratios
// b/a and c/a are taken per round, wall and CPU time (user + system, from the child's own resource usage), and the
// medians reported. The CLI runs from dist/ (`npm run bench` builds it first), as the installed package runs it:
// bin/auth0-sigma.js would fall back to tsx in a checkout whose sources changed after the build.
// scan keeps a cache of loaded rule sets (bin/cli/rule-cache.ts): the runs use one in the work folder, emptied
// first; one untimed-for-the-ratio run of (b) and (c) fills it (reported as the cold start), and the rounds run
// with it warm, as a user's repeated scans do.

import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { CATALOG, GENERATOR, HAVE_CATALOG, catalogPlaceholders } from './prefilter-goal';

const ROOT = path.resolve(__dirname, '..', '..');

export const SCAN_RATIO_LIMITS = { shipped: 1.5, catalog: 2.5 } as const;

export interface ProcessRun {
  wallMs: number;
  cpuMs: number;
  exitCode: number | null;
}

export interface RatioFigures {
  /** Median over rounds of the per-round ratio to the bare read + parse. */
  wall: number;
  cpu: number;
  limit: number;
  /** Met when the wall-time ratio is within the limit (the figure is wall time). */
  met: boolean;
}

export interface ScanRatio {
  corpus: { source: string; events: number; bytes: number };
  rounds: { bare: ProcessRun; shipped: ProcessRun; catalog?: ProcessRun }[];
  /** 1-minute load average before and after the runs. */
  load: [number, number];
  shipped: RatioFigures;
  catalog?: RatioFigures;
  /** Why (c) did not run, when it did not. */
  catalogSkipped?: string;
  /** (b) and (c) once with the rule cache empty, before the rounds. */
  cold: { shipped: ProcessRun; catalog?: ProcessRun };
}

const BARE_SCRIPT = `// The baseline: stream the file, split it into lines, JSON.parse each one.
const fs = require('node:fs');
const { StringDecoder } = require('node:string_decoder');
const decoder = new StringDecoder('utf8');
let rest = '';
let n = 0;
const stream = fs.createReadStream(process.argv[2], { highWaterMark: 256 * 1024 });
stream.on('data', (chunk) => {
  const text = rest + decoder.write(chunk);
  let start = 0;
  for (let nl = text.indexOf('\\n'); nl >= 0; nl = text.indexOf('\\n', start)) {
    if (nl > start) { JSON.parse(text.slice(start, nl)); n++; }
    start = nl + 1;
  }
  rest = text.slice(start);
});
stream.on('end', () => { if (rest.trim() !== '') { JSON.parse(rest); n++; } });
`;

const CPU_PROBE = `process.on('exit', () => {
  const u = process.resourceUsage();
  require('fs').writeFileSync(process.env.BENCH_CPU_FILE, String((u.userCPUTime + u.systemCPUTime) / 1000));
});
`;

function median(values: number[]): number {
  const s = values.slice().sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Runs `node <args>` with stdout discarded; wall time from here, CPU time from the child's resource usage. */
function runTimed(args: string[], workDir: string): Promise<ProcessRun> {
  const cpuFile = path.join(workDir, `cpu-${process.hrtime.bigint()}.txt`);
  const probe = path.join(workDir, 'cpu-probe.cjs');
  if (!fs.existsSync(probe)) fs.writeFileSync(probe, CPU_PROBE);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, ['--require', probe, ...args], {
      cwd: ROOT,
      env: { ...process.env, BENCH_CPU_FILE: cpuFile, AUTH0_SIGMA_RULE_CACHE: path.join(workDir, 'rule-cache') },
      stdio: ['ignore', 'ignore', 'ignore'],
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const wallMs = performance.now() - started;
      const cpuMs = fs.existsSync(cpuFile) ? Number(fs.readFileSync(cpuFile, 'utf8')) : NaN;
      resolve({ wallMs, cpuMs, exitCode: code });
    });
  });
}

/** The reference corpus (../shared's generator, 100,000 events by default), or undefined when ../shared is absent. */
function referenceCorpus(count: number, workDir: string): { file: string; ids: Parameters<typeof catalogPlaceholders>[0] } | undefined {
  if (!fs.existsSync(GENERATOR)) return undefined;
  const file = path.join(workDir, `reference-${count}.ndjson`);
  const out = fs.openSync(file, 'w');
  try {
    const run = spawnSync(process.execPath, [GENERATOR, '--count', String(count)], { stdio: ['ignore', out, 'pipe'], encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`${GENERATOR} failed: ${run.stderr}`);
    const id = (name: string): string => new RegExp(`${name}=(\\S+)`).exec(run.stderr)?.[1] ?? '';
    return { file, ids: { api_explorer_client_id: id('api_explorer_client_id'), global_client_id: id('global_client_id'), hostname: id('hostname') } };
  } finally {
    fs.closeSync(out);
  }
}

function countLines(file: string): number {
  const text = fs.readFileSync(file, 'utf8');
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return text.endsWith('\n') || text === '' ? n : n + 1;
}

/**
 * Goal 1's ratios on the reference corpus (or `fallbackFile`, the bench's own corpus, when ../shared is absent:
 * then (c) is skipped). `rounds` back-to-back rounds of (a), (b), (c).
 */
export async function measureScanRatio(
  fallbackFile: string,
  workDir: string,
  options: { rounds: number; count: number; /** Another build's bin/cli.js (to compare builds); default dist/. */ compiledCli?: string },
): Promise<ScanRatio> {
  const compiled = options.compiledCli ?? path.join(ROOT, 'dist', 'bin', 'cli.js');
  if (!fs.existsSync(compiled)) throw new Error(`${compiled} is missing: run \`npm run build\` first (npm run bench does)`);
  const runner = path.join(workDir, 'scan-cli.cjs');
  fs.writeFileSync(runner, `require(${JSON.stringify(compiled)}).main(process.argv).then((code) => { process.exitCode = code; });\n`);
  const bare = path.join(workDir, 'bare-read-parse.cjs');
  fs.writeFileSync(bare, BARE_SCRIPT);

  const reference = referenceCorpus(options.count, workDir);
  const file = reference?.file ?? fallbackFile;
  // The seed rule needs its placeholder; without it the shipped run would skip a rule (the generator's id, when known).
  const seedId = reference?.ids.api_explorer_client_id;
  const shippedArgs = [runner, 'scan', ...(seedId ? ['--set', `api_explorer_client_id=${seedId}`] : []), '--format', 'json', file];
  let catalogArgs: string[] | undefined;
  let catalogSkipped: string | undefined;
  if (!reference || !HAVE_CATALOG) {
    catalogSkipped = `../shared is absent (${path.relative(ROOT, CATALOG)}): the catalog run needs Auth0's published detections and the reference generator`;
  } else {
    const sets = Object.entries(catalogPlaceholders(reference.ids)).flatMap(([k, v]) => ['--set', `${k}=${v}`]);
    catalogArgs = [runner, 'scan', '--rules', path.join(ROOT, 'rules'), '--rules', CATALOG, ...sets, '--format', 'json', file];
  }

  fs.rmSync(path.join(workDir, 'rule-cache'), { recursive: true, force: true });
  const cold: ScanRatio['cold'] = { shipped: await runTimed(shippedArgs, workDir) };
  if (catalogArgs) cold.catalog = await runTimed(catalogArgs, workDir);
  const loadBefore = os.loadavg()[0]!;
  const rounds: ScanRatio['rounds'] = [];
  for (let i = 0; i < options.rounds; i++) {
    const round: ScanRatio['rounds'][number] = {
      bare: await runTimed([bare, file], workDir),
      shipped: await runTimed(shippedArgs, workDir),
    };
    if (catalogArgs) round.catalog = await runTimed(catalogArgs, workDir);
    for (const [name, r] of Object.entries(round)) {
      if (r && r.exitCode !== 0) throw new Error(`scan ratio: the ${name} run exited with ${r.exitCode}`);
    }
    rounds.push(round);
  }
  const loadAfter = os.loadavg()[0]!;
  const figures = (pick: (r: ScanRatio['rounds'][number]) => ProcessRun | undefined, limit: number): RatioFigures => {
    const wall = median(rounds.map((r) => pick(r)!.wallMs / r.bare.wallMs));
    const cpu = median(rounds.map((r) => pick(r)!.cpuMs / r.bare.cpuMs));
    return { wall, cpu, limit, met: wall <= limit };
  };
  return {
    corpus: { source: reference ? `${path.relative(ROOT, GENERATOR)} --count ${options.count}` : file, events: countLines(file), bytes: fs.statSync(file).size },
    rounds,
    load: [loadBefore, loadAfter],
    shipped: figures((r) => r.shipped, SCAN_RATIO_LIMITS.shipped),
    catalog: catalogArgs ? figures((r) => r.catalog, SCAN_RATIO_LIMITS.catalog) : undefined,
    catalogSkipped,
    cold,
  };
}

/** The report lines. */
export function formatScanRatio(r: ScanRatio): string[] {
  const f = (n: number, d = 2): string => n.toFixed(d);
  const per = (pick: (x: ScanRatio['rounds'][number]) => ProcessRun | undefined): string =>
    r.rounds.map((x) => `${f(pick(x)!.wallMs / 1000)} s / ${f(pick(x)!.cpuMs / 1000)} s`).join(', ');
  const lines = [
    `scan vs the bare streamed read + JSON.parse (issue 11 goal 1): ${r.corpus.events.toLocaleString('en-US')} events, ${(r.corpus.bytes / 2 ** 20).toFixed(1)} MiB (${r.corpus.source}); ` +
      `${r.rounds.length} rounds back to back, load average ${f(r.load[0])} before, ${f(r.load[1])} after; wall / CPU per round:`,
    `  (a) bare read + parse:              ${per((x) => x.bare)}`,
    `  (b) scan, shipped rules:            ${per((x) => x.shipped)}`,
  ];
  if (r.catalog) lines.push(`  (c) scan, shipped rules + catalog:  ${per((x) => x.catalog)}`);
  const verdict = (name: string, x: RatioFigures): string =>
    `  ${name}: ${f(x.wall)}x wall (${f(x.cpu)}x CPU), median of the rounds; target <= ${x.limit}x: ${x.met ? 'met' : 'MISSED'}`;
  lines.push(verdict('(b)/(a)', r.shipped));
  if (r.catalog) lines.push(verdict('(c)/(a)', r.catalog));
  else lines.push(`  (c) skipped: ${r.catalogSkipped}`);
  const coldRun = (x: ProcessRun | undefined): string => (x ? `${f(x.wallMs / 1000)} s / ${f(x.cpuMs / 1000)} s` : 'skipped');
  lines.push(`  rule cache warm in the rounds; empty (one run before them): (b) ${coldRun(r.cold.shipped)}, (c) ${coldRun(r.cold.catalog)}`);
  return lines;
}

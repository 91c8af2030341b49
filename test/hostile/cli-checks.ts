// Runs hostile cases through the real CLI (`node bin/auth0-sigma.js scan`, a subprocess) and checks the corpus
// contract on what it printed. Shared by cli-scan.test.ts (fast cases) and cli-scan.long.test.ts (heavy ones).

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { jsonText } from '../../lambda/sigma/bounded-json';
import type { Detection } from '../../lambda/sigma/types';
import { CANARY_RULE_ID, HOSTILE_RULES_DIR, caseLogId, firstUnsafeCharacter, flatEvent, type HostileCase } from './corpus';

export const REPO = path.resolve(__dirname, '../..');

export interface ScanRun {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Writes the cases as NDJSON (one event per line, plus `extraLines`) into a temporary file. */
export function writeCorpusFile(cases: readonly { c: HostileCase; index: number }[], extraLines: string[] = []): { file: string; cleanup(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'auth0-sigma-hostile-'));
  const file = path.join(dir, 'corpus.ndjson');
  const fd = fs.openSync(file, 'w');
  try {
    // jsonText writes without recursion: JSON.stringify overflows the stack on the deeply nested cases.
    for (const { c, index } of cases) fs.writeSync(fd, `${jsonText(flatEvent(c, index))}\n`);
    for (const line of extraLines) fs.writeSync(fd, `${line}\n`);
  } finally {
    fs.closeSync(fd);
  }
  return { file, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

export function scan(args: string[], timeoutMs = 120_000): ScanRun {
  const r = spawnSync(process.execPath, ['bin/auth0-sigma.js', 'scan', '--rules', HOSTILE_RULES_DIR, ...args], {
    cwd: REPO, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 256 * 1024 * 1024,
  });
  return { status: r.status, signal: r.signal, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** The process ended on its own with exit 0, without a stack trace or a V8 fatal error. */
export function expectCleanExit(run: ScanRun): void {
  expect({ status: run.status, signal: run.signal }).toEqual({ status: 0, signal: null });
  expect(run.stderr).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
  expect(run.stderr).not.toMatch(/FATAL ERROR|heap out of memory|Maximum call stack/);
}

export function jsonDetections(run: ScanRun): Detection[] {
  return run.stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Detection);
}

/** The case's canary detection, from `--format json` output. */
export function canaryDetections(detections: Detection[], c: HostileCase): Detection[] {
  return detections.filter((d) => d.rule.id === CANARY_RULE_ID && d.log_id === caseLogId(c));
}

/** Neither stream holds a raw control or invisible character (line feeds and tabs are the output's own layout). */
export function expectNothingRaw(run: ScanRun): void {
  expect(firstUnsafeCharacter(run.stdout)).toBeUndefined();
  expect(firstUnsafeCharacter(run.stderr)).toBeUndefined();
}

// The parallel scan's failure paths, as a real process (worker threads, a closed pipe, a crashed worker): each ends
// the scan with exit 1 and a clear message, never a hang. Equivalence with the sequential scan is in
// scan-equivalence.test.ts.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { defaultThreads } from '../../bin/cli/parallel-scan';
import { CRASH_HOOK_ENV } from '../../bin/cli/scan-worker';
import { RULE_CACHE_ENV } from '../../bin/cli/rule-cache';
import { API_EXPLORER_ID, REPO, run } from './helpers';

const LINES = 6000;
const RULE = ['--rules', 'rules/api_explorer_token_copy.yml', '--set', `api_explorer_client_id=${API_EXPLORER_ID}`];

interface Finished {
  code: number | null;
  stderr: string;
  stdoutBytes: number;
}

/** Runs the CLI; `closeStdout` closes our end of its stdout after the first output (what `| head` does). */
function scan(args: string[], options: { closeStdout?: boolean; env?: Record<string, string> } = {}): Promise<Finished> {
  // No cache of loaded rule sets in the user's home from a test run.
  const env = { ...process.env, [RULE_CACHE_ENV]: 'off', ...options.env };
  const child = spawn(process.execPath, ['bin/auth0-sigma.js', 'scan', ...args], { cwd: REPO, env });
  let stderr = '';
  let stdoutBytes = 0;
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.on('data', (d: Buffer) => (stdoutBytes += d.length));
  if (options.closeStdout) child.stdout.once('data', () => child.stdout.destroy());
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr, stdoutBytes })));
}

describe('scan --threads: failures of the parallel path', () => {
  let dir: string;
  let file: string;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'auth0-sigma-parallel-'));
    file = path.join(dir, 'many.ndjson');
    // ~1.8 MB of detections-to-be: about 28 ranges of 64 KiB, several in flight per worker.
    const line = JSON.stringify({ log_id: 'x', data: { type: 'seccft', client_id: API_EXPLORER_ID, date: '2026-11-01T00:00:00Z', user_name: 'u'.repeat(200) } });
    fs.writeFileSync(file, `${line}\n`.repeat(LINES));
  });

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('a closed stdout stops the workers: exit 1 with the EPIPE message, no hang, no stack', async () => {
    const r = await scan([...RULE, '--threads', '2', '--range-size', '64K', file], { closeStdout: true });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('scan stopped: cannot write detections (EPIPE)');
    expect(r.stderr).not.toContain('    at ');
  });

  test('a worker that crashes: exit 1, the file and byte range it was reading, no hang', async () => {
    const r = await scan([...RULE, '--format', 'json', '--threads', '2', '--range-size', '64K', file], { env: { [CRASH_HOOK_ENV]: '5' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/scan failed while reading input: a scan worker failed while reading \S*many\.ndjson \(bytes 327680-393216\): forced crash of a scan worker at range 5/);
    // Nothing after the failed range was reported as scanned: no summary line.
    expect(r.stderr).not.toContain('items read');
  });

  test('without the hook the same run completes with the detections of every line', async () => {
    const r = await scan([...RULE, '--format', 'json', '--threads', '2', '--range-size', '64K', file]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`scan: 1 input, ${LINES} items read, 0 malformed (skipped), ${LINES} events evaluated against 1 rule, ${LINES} detections`);
  });
});

describe('scan --threads: ranges cut anywhere', () => {
  test('1 KiB ranges over lines of every length, lines that look like an array or an object start, CRLF: as one thread', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'auth0-sigma-ranges-'));
    try {
      // A fixed pseudo-random sequence (deterministic): line lengths vary so range starts fall everywhere in lines.
      let seed = 12345;
      const next = (n: number): number => {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        return seed % n;
      };
      const out: string[] = [];
      for (let i = 0; i < 3000; i++) {
        const kind = next(10);
        if (kind === 0) out.push('[1, 2]');
        else if (kind === 1) out.push('{');
        else if (kind === 2) out.push('');
        else {
          const event = { log_id: `l${i}`, data: { type: kind === 3 ? 'f' : 'seccft', client_id: API_EXPLORER_ID, date: '2026-11-01T00:00:00Z', user_name: `ü${'x'.repeat(next(900))}` } };
          out.push(`${JSON.stringify(event)}${kind === 4 ? '\r' : ''}`);
        }
      }
      const file = path.join(dir, 'mixed.ndjson');
      // The first line is an event, so the file is NDJSON; later ranges may start on any of the shapes above.
      fs.writeFileSync(file, `${JSON.stringify({ log_id: 'first', data: { type: 'seccft' } })}\n${out.join('\n')}`);
      const args = ['scan', '--format', 'json', ...RULE, file];
      const [sequential, parallel] = await Promise.all([run([...args, '--threads', '1']), run([...args, '--threads', '3', '--range-size', '1K'])]);
      expect(parallel.code).toBe(0);
      expect(parallel.stdout).toBe(sequential.stdout);
      const untimed = (stderr: string): string => stderr.replace(/ in \d+\.\d+ s \([\d,n/a]+ events\/s\)/, '');
      expect(untimed(parallel.stderr)).toBe(untimed(sequential.stderr));
      expect(sequential.stdout.split('\n').length).toBeGreaterThan(1000);
      expect(sequential.stderr).toMatch(/mixed\.ndjson:\d+: skipped: not a log event/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('scan --threads: the default', () => {
  test('one thread below four cores (two threads gained no wall time on two), then one per core up to four', () => {
    expect([1, 2, 3, 4, 6, 16].map((cores) => defaultThreads(cores))).toEqual([1, 1, 1, 4, 4, 4]);
  });
});

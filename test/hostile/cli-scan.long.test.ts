// Heavy hostile input through the real CLI (subprocess), for `npm run test:long`: the heavy corpus cases, a
// 64 MiB line without a newline, and the correlation-memory worst case (one failed login from each of many
// IPs) with a low group cap: the scan degrades as documented (warning, counted evictions), never runs out of memory.

import { spawnSync } from 'node:child_process';
import { HOSTILE_CASES } from './corpus';
import { REPO, canaryDetections, expectCleanExit, expectNothingRaw, jsonDetections, scan, writeCorpusFile } from './cli-checks';
import { manyIpEvents } from './many-ips';

const heavy = HOSTILE_CASES.map((c, index) => ({ c, index })).filter(({ c }) => c.heavy);

describe('heavy hostile events through `auth0-sigma scan`', () => {
  test.each(heavy.map(({ c, index }) => [c.name, c, index] as const))('%s: exit 0, canary printed, nothing raw', (_name, c, index) => {
    const corpus = writeCorpusFile([{ c, index }]);
    try {
      const run = scan(['--format', 'json', corpus.file], 300_000);
      expectCleanExit(run);
      expectNothingRaw(run);
      expect(canaryDetections(jsonDetections(run), c)).toHaveLength(1);
    } finally {
      corpus.cleanup();
    }
  }, 320_000);

  test('a 64 MiB line without a newline is reported and skipped; the line after it is read', () => {
    const canary = JSON.stringify({ log_id: 'after-the-long-line', data: { type: 'f', client_id: 'HostileCorpusCanaryClient0001', date: '2026-11-01T00:00:00Z' } });
    const input = `{"log_id":"long","data":{"user_agent":"${'x'.repeat(64 * 1024 * 1024)}"}}\n${canary}\n`;
    const r = spawnSync(process.execPath, ['bin/auth0-sigma.js', 'scan', '--format', 'json', '--rules', 'test/hostile/rules', '-'], {
      cwd: REPO, input, encoding: 'utf8', timeout: 120_000, maxBuffer: 16 * 1024 * 1024,
    });
    expect({ status: r.status, signal: r.signal }).toEqual({ status: 0, signal: null });
    expect(r.stderr).toContain('<stdin>:1: skipped: line longer than 1048576 bytes skipped');
    expect(r.stdout).toContain('"log_id":"after-the-long-line"');
  }, 130_000);

  test('one failed login from each of 60,000 IPs with --max-correlation-groups 2000: a warning, counted evictions, exit 0', () => {
    const r = spawnSync(
      process.execPath,
      ['bin/auth0-sigma.js', 'scan', '--rules', 'rules/login/failed_logins_from_one_ip.yml', '--max-correlation-groups', '2000', '-'],
      { cwd: REPO, input: `${[...manyIpEvents(60_000)].join('\n')}\n`, encoding: 'utf8', timeout: 300_000, maxBuffer: 16 * 1024 * 1024 },
    );
    expect({ status: r.status, signal: r.signal }).toEqual({ status: 0, signal: null });
    expect(r.stderr).toContain('warning: correlation state reached 2000 groups (--max-correlation-groups)');
    const evicted = /correlation: memory limit reached: (\d+) groups dropped/.exec(r.stderr);
    expect(evicted).not.toBeNull();
    // Groups live 31 minutes of event time (window, margin, lateness): far more than 2,000 of the 60,000 per hour.
    expect(Number(evicted?.[1])).toBeGreaterThan(20_000);
    expect(r.stderr).toContain('scan: 1 input, 60000 items read, 0 malformed (skipped), 60000 events evaluated');
  }, 320_000);
});

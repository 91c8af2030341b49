// `scan` alert volume: detections per rule per day of log time, rules above --noisy-threshold a day flagged noisy,
// in the text summary and (with --format json) as one JSON line on stderr.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AlertVolume, formatAlertVolume, MAX_DAYS_PER_RULE, OTHER_DAYS, UNDATED } from '../../bin/cli/alert-volume';
import type { Detection } from '../../lambda/sigma/types';
import { run } from './helpers';

const RULE = [
  'title: Failed password', 'id: 5d7c1e0a-0000-4000-8000-00000000a001', 'level: low', 'logsource: {product: auth0}',
  'detection: {sel: {data.type: fp}, condition: sel}',
  '---',
  'title: Password changed', 'id: 5d7c1e0a-0000-4000-8000-00000000a002', 'level: low', 'logsource: {product: auth0}',
  'detection: {sel: {data.type: scp}, condition: sel}',
].join('\n');

function events(): string {
  const out: string[] = [];
  // 25 failed passwords on Nov 1, 3 on Nov 2, one password change on Nov 2.
  for (let i = 0; i < 25; i++) out.push(JSON.stringify({ log_id: `a${i}`, data: { type: 'fp', date: `2026-11-01T10:${String(i).padStart(2, '0')}:00.000Z` } }));
  for (let i = 0; i < 3; i++) out.push(JSON.stringify({ log_id: `b${i}`, data: { type: 'fp', date: `2026-11-02T08:0${i}:00.000Z` } }));
  out.push(JSON.stringify({ log_id: 'c0', data: { type: 'scp', date: '2026-11-02T09:00:00.000Z' } }));
  return out.join('\n') + '\n';
}

describe('scan alert volume', () => {
  let dir: string;
  let rules: string;
  let logs: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alert-volume-'));
    rules = path.join(dir, 'rules.yml');
    logs = path.join(dir, 'logs.ndjson');
    fs.writeFileSync(rules, RULE);
    fs.writeFileSync(logs, events());
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('counts per rule per day and flags the rules above 20 a day (the default)', async () => {
    const r = await run(['scan', '--rules', rules, logs]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('detections per rule per day of log time (2 days: 2026-11-01 .. 2026-11-02):');
    expect(r.stderr).toMatch(/ {2}NOISY {6}25\/day max {2}Failed password \(5d7c1e0a-0000-4000-8000-00000000a001\): 2026-11-01 25, 2026-11-02 3\n/);
    expect(r.stderr).toMatch(/ {8}1\/day max {2}Password changed \(5d7c1e0a-0000-4000-8000-00000000a002\): 2026-11-02 1\n/);
    expect(r.stderr).toContain('1 noisy rule (more than 20 detections on some day)');
  });

  it('takes --noisy-threshold, and with --format json also writes the summary as one JSON line on stderr', async () => {
    const r = await run(['scan', '--rules', rules, '--format', 'json', '--noisy-threshold', '30', logs]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('no rule gives more than 30 detections a day');
    const line = r.stderr.split('\n').find((l) => l.startsWith('{"alert_volume"'));
    const summary = JSON.parse(line!).alert_volume;
    expect(summary).toMatchObject({ threshold: 30, days: ['2026-11-01', '2026-11-02'], noisy: [] });
    expect(summary.rules[0]).toEqual({
      ruleId: '5d7c1e0a-0000-4000-8000-00000000a001', title: 'Failed password', level: 'low', total: 28,
      perDay: { '2026-11-01': 25, '2026-11-02': 3 }, peak: 25, noisy: false,
    });
    // stdout stays detections only.
    expect(r.stdout.trim().split('\n').every((l) => 'rule' in JSON.parse(l))).toBe(true);
  });

  it.each(['0', '-1', '2.5', 'many', ''])('refuses --noisy-threshold %j with exit 2', async (value) => {
    const r = await run(['scan', '--rules', rules, '--noisy-threshold', value, logs]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--noisy-threshold/);
  });
});

describe('AlertVolume', () => {
  const detection = (id: string, date?: string): Detection => ({ rule: { id, title: `t-${id}`, level: 'high', tags: [] }, ...(date ? { date } : {}) });

  it('uses the UTC day of the detection date, and an undated bucket for detections without one', () => {
    const v = new AlertVolume(1);
    v.add(detection('a', '2026-11-01T23:59:59.999-01:00'));
    v.add(detection('a', 'not a date'));
    v.add(detection('b', '2026-11-01T00:00:00Z'));
    const s = v.summary();
    expect(s.days).toEqual(['2026-11-01', '2026-11-02', UNDATED]);
    expect(s.rules.map((r) => [r.ruleId, r.perDay, r.peak, r.noisy])).toEqual([
      ['a', { '2026-11-02': 1, [UNDATED]: 1 }, 1, false],
      ['b', { '2026-11-01': 1 }, 1, false],
    ]);
    expect(formatAlertVolume(new AlertVolume().summary())).toEqual([]);
  });

  it('keeps at most MAX_DAYS_PER_RULE days per rule whatever dates the logs carry, and prints a bounded line', () => {
    const volume = new AlertVolume(5);
    const rule = { id: 'r1', title: 'Flood', level: 'low' };
    const start = Date.UTC(2000, 0, 1);
    const extra = 50;
    for (let i = 0; i < MAX_DAYS_PER_RULE + extra; i++) {
      volume.add({ rule, date: new Date(start + i * 86_400_000).toISOString() } as unknown as Detection);
    }
    const summary = volume.summary();
    const days = Object.keys(summary.rules[0].perDay);
    expect(days).toHaveLength(MAX_DAYS_PER_RULE + 1);
    expect(summary.rules[0].perDay[OTHER_DAYS]).toBe(extra);
    expect(summary.rules[0].total).toBe(MAX_DAYS_PER_RULE + extra);
    // One detection a day: the merged bucket does not make the rule noisy.
    expect(summary.rules[0]).toMatchObject({ peak: 1, noisy: false });
    const line = formatAlertVolume(summary)[1];
    expect(line.length).toBeLessThan(600);
    expect(line).toContain(`${MAX_DAYS_PER_RULE + 1 - 14} more days`);
  });
});

// The correlation engine on the memory store (what `scan` and `test` use): the shared scenarios on both paths, plus properties
// of the sliding-window approximation and of the percentile estimator, and configuration errors.

import fc from 'fast-check';
import { Correlator, CorrelationConfigError, checkCorrelations, conditionHolds, eventTime } from '../../lambda/sigma/correlation';
import { MemoryCorrelationStore } from '../../lambda/sigma/correlation-store';
import { loadRulesFromText } from '../../lambda/sigma/loader';
import { CompiledRuleSet } from '../../lambda/sigma/ruleset';
import type { Detection, NormalizedEvent, RuleModel } from '../../lambda/sigma/types';
import { MINUTE, T0, correlationRule, defineCorrelationScenarios, detectionRule, ev, feed } from './correlation-scenarios';

// The memory store takes the synchronous fast path by default; the same scenarios run on its asynchronous
// interface too (the path the DynamoDB store takes: test/state/dynamodb-store.test.ts).
defineCorrelationScenarios('memory, fast path', async () => new MemoryCorrelationStore());
defineCorrelationScenarios('memory, asynchronous interface', async () => new MemoryCorrelationStore(), { fastPath: false });

const A = detectionRule('rule-a');
const B = detectionRule('rule-b');

describe('sliding windows: the bucketing error stays within its documented bound', () => {
  // Timespan 10 minutes, 10 buckets of one minute. Claim (docs/readme-parts/correlation.md):
  // - a detection's window is exactly one timespan long and holds at least N events;
  // - N events within 0.9 × timespan of each other always produce a detection;
  // - N events never count together when they span a full timespan or more.
  const N = 4;
  const times = fc.array(fc.integer({ min: 0, max: 60 * 60 }), { minLength: 1, maxLength: 25 }); // seconds

  test('property, in-order and shuffled arrival', async () => {
    await fc.assert(
      fc.asyncProperty(times, fc.boolean(), async (seconds, shuffle) => {
        const corr = correlationRule('p', { type: 'event_count', rules: ['rule-a'], condition: { gte: N } });
        const c = new Correlator([A, corr], new MemoryCorrelationStore());
        const sorted = [...seconds].sort((a, b) => a - b);
        const order = shuffle ? seconds : sorted;
        const detections = await feed(c, order.map((s) => [ev(s / 60), [A]] as [NormalizedEvent, RuleModel[]]));
        const within = (span: number): boolean => sorted.some((t, i) => i + N - 1 < sorted.length && sorted[i + N - 1] - t <= span);
        const strictlyWithin = (span: number): boolean => sorted.some((t, i) => i + N - 1 < sorted.length && sorted[i + N - 1] - t < span);
        if (within(9 * 60)) expect(detections.length).toBeGreaterThan(0);
        if (!strictlyWithin(10 * 60)) expect(detections).toHaveLength(0);
        for (const d of detections) {
          const w = d.correlation!.window;
          const start = Date.parse(w.start);
          const end = Date.parse(w.end);
          expect(end - start).toBe(10 * MINUTE);
          const inside = sorted.filter((s) => T0 + s * 1000 >= start && T0 + s * 1000 < end).length;
          // The value is the count when it fired; later (or late) events may have joined the window since.
          expect(d.correlation!.value).toBeGreaterThanOrEqual(N);
          expect(d.correlation!.value).toBeLessThanOrEqual(inside);
        }
        // Alert once: windows that fired never overlap.
        const windows = detections.map((d) => [Date.parse(d.correlation!.window.start), Date.parse(d.correlation!.window.end)]).sort((a, b) => a[0] - b[0]);
        for (let i = 1; i < windows.length; i++) expect(windows[i][0]).toBeGreaterThanOrEqual(windows[i - 1][1]);
      }),
      { numRuns: 150 },
    );
  });
});

describe('value_percentile estimator', () => {
  test('property: within 1 % relative error of the exact nearest-rank percentile', async () => {
    const values = fc.array(
      fc.oneof(fc.double({ min: 0.001, max: 1e9, noNaN: true }), fc.double({ min: -1e6, max: -0.001, noNaN: true }), fc.constant(0)),
      { minLength: 1, maxLength: 60 },
    );
    await fc.assert(
      fc.asyncProperty(values, fc.integer({ min: 0, max: 100 }), async (xs, p) => {
        // `gte: -1e12` holds at zero too, so the window is evaluated once, at close, over every value.
        const corr = correlationRule('pct', {
          type: 'value_percentile', rules: ['rule-a'], condition: { gte: -1e12, field: 'data.v', percentile: p },
        });
        const c = new Correlator([A, corr], new MemoryCorrelationStore());
        await feed(c, xs.map((v, i) => [ev(i * 0.01, { v }), [A]] as [NormalizedEvent, RuleModel[]]));
        const [d] = await c.closeWindows(Infinity);
        const sorted = [...xs].sort((a, b) => a - b);
        const exact = sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1];
        const estimate = d.correlation!.value;
        if (Math.abs(exact) < 1e-9) expect(Math.abs(estimate)).toBeLessThan(1e-9);
        else expect(Math.abs(estimate - exact) / Math.abs(exact)).toBeLessThanOrEqual(0.01 + 1e-12);
      }),
      { numRuns: 200 },
    );
  });
});

describe('memory bounds', () => {
  test('closeWindows drops expired state: groups do not accumulate', async () => {
    const store = new MemoryCorrelationStore();
    const corr = correlationRule('g', { type: 'event_count', rules: ['rule-a'], groupBy: ['data.ip'], condition: { gte: 100 } });
    const c = new Correlator([A, corr], store);
    for (let i = 0; i < 500; i++) {
      await c.processEvent(ev(i, { ip: `10.0.${i >> 8}.${i & 255}` }), [{ rule: A }]);
      if (i % 10 === 0) await c.closeWindows(T0 + i * MINUTE);
    }
    // Data is kept for two timespans and a bucket after its bucket (21 minutes here), plus up to 9 minutes
    // until the next closeWindows: about 30 of the 500 groups, never more than 31.
    expect(store.groupCount()).toBeLessThanOrEqual(31);
    await c.closeWindows(Infinity);
    expect(store.groupCount()).toBe(0);
  });

  test('value_count: the distinct set is capped; past the cap the value is the cap (a lower bound)', async () => {
    const corr = correlationRule('vc', { type: 'value_count', rules: ['rule-a'], condition: { gte: 5, field: 'data.user_agent' } });
    const c = new Correlator([A, corr], new MemoryCorrelationStore(), { distinctCap: 6 });
    const detections = await feed(c, Array.from({ length: 20 }, (_, i) => [ev(0.01 * i, { user_agent: `ua-${i}` }), [A]] as [NormalizedEvent, RuleModel[]]));
    expect(detections.map((d) => d.correlation?.value)).toEqual([5]);
    // A rule whose threshold is not below the cap cannot be decided exactly: refused with the rule's location.
    const tooHigh = correlationRule('vc2', { type: 'value_count', rules: ['rule-a'], condition: { gte: 6, field: 'data.user_agent' } });
    expect(() => new Correlator([A, tooHigh], new MemoryCorrelationStore(), { distinctCap: 6 })).toThrow(/rules\/test\.yml:1: .*cap \(6\)/);
  });

  test('value_count saturation is counted when a window reaches the cap', async () => {
    const corr = correlationRule('vc', { type: 'value_count', rules: ['rule-a'], condition: { lt: 2, field: 'data.user_agent' } });
    const c = new Correlator([A, corr], new MemoryCorrelationStore(), { distinctCap: 3 });
    await feed(c, Array.from({ length: 10 }, (_, i) => [ev(0.01 * i, { user_agent: `ua-${i}` }), [A]] as [NormalizedEvent, RuleModel[]]));
    expect(await c.closeWindows(Infinity)).toHaveLength(0);
    expect(c.stats().saturatedWindows).toBe(1);
  });

  test('value_count: one event carrying a huge array keeps at most cap + 1 digests, with the same result', async () => {
    // An attacker-written array field: without the bound each element was hashed and kept in the bucket.
    const corr = correlationRule('vc', { type: 'value_count', rules: ['rule-a'], condition: { gte: 5, field: 'data.user_agent' } });
    const huge = Array.from({ length: 50_000 }, (_, i) => `ua-${i}`);
    const results: { values: (number | undefined)[]; bytes: number; saturated: number }[] = [];
    for (const fastPath of [true, false]) {
      const store = new MemoryCorrelationStore();
      const c = new Correlator([A, corr], store, { distinctCap: 6, fastPath });
      const detections = await feed(c, [[ev(0, { user_agent: huge }), [A]], [ev(0.01, { user_agent: 'one more' }), [A]]]);
      results.push({ values: detections.map((d) => d.correlation?.value), bytes: store.limitStats().bytes, saturated: (await c.closeWindows(Infinity)).length });
    }
    for (const r of results) {
      // Fires once at 6 (the cap: a lower bound of 50,001), as a set of all 50,000 would have.
      expect(r.values).toEqual([6]);
      // Seven digests (cap + 1) and the group: about 3 KB, against about 10 MB for every element's digest.
      expect(r.bytes).toBeLessThan(5_000);
    }
  });
});

describe('configuration', () => {
  test('a correlation chain that loops is refused', () => {
    const x = correlationRule('x', { type: 'event_count', rules: ['y'], condition: { gte: 1 } });
    const y = correlationRule('y', { type: 'event_count', rules: ['x'], condition: { gte: 1 } });
    expect(() => new Correlator([x, y], new MemoryCorrelationStore())).toThrow(CorrelationConfigError);
    expect(() => new Correlator([x, y], new MemoryCorrelationStore())).toThrow(/loops: x → y → x/);
  });

  test('missing pieces are refused with the rule location', () => {
    const noField = correlationRule('nf', { type: 'value_sum', rules: ['rule-a'], condition: { gt: 1 } });
    expect(() => new Correlator([A, noField], new MemoryCorrelationStore())).toThrow(/rules\/test\.yml:1: correlation 'correlation nf': .*condition\.field/);
    const noCondition = correlationRule('nc', { type: 'event_count', rules: ['rule-a'], condition: {} });
    expect(() => new Correlator([A, noCondition], new MemoryCorrelationStore())).toThrow(/needs at least one of gt/);
    expect(() => new Correlator([A], new MemoryCorrelationStore(), { bucketsPerWindow: 5 })).toThrow(/bucketsPerWindow/);
  });

  test('checkCorrelations lists every problem without throwing', () => {
    const x = correlationRule('x', { type: 'event_count', rules: ['y'], condition: { gte: 1 } });
    const y = correlationRule('y', { type: 'event_count', rules: ['x'], condition: { gte: 1 } });
    const noField = correlationRule('nf', { type: 'value_avg', rules: ['rule-a'], condition: { gt: 1 } });
    const tooHigh = correlationRule('vc', { type: 'value_count', rules: ['rule-a'], condition: { gte: 2000, field: 'data.ip' } });
    const ok = correlationRule('ok', { type: 'event_count', rules: ['rule-a'], condition: { gte: 1 } });
    expect(checkCorrelations([A, noField, tooHigh, ok])).toEqual([
      expect.stringMatching(/^rules\/test\.yml:1: correlation 'correlation nf': .*condition\.field/),
      expect.stringMatching(/correlation 'correlation vc': condition gte: 2000 is at or above the distinct-value cap/),
    ]);
    expect(checkCorrelations([A, x, y])).toEqual([expect.stringMatching(/loops/)]);
    expect(checkCorrelations([A, ok])).toEqual([]);
    expect(checkCorrelations([A, ok], { bucketsPerWindow: 3 })).toEqual([expect.stringMatching(/bucketsPerWindow/)]);
  });

  test('a reference to a rule missing from the set is a warning, not a failure', () => {
    const corr = correlationRule('m', { type: 'event_count', rules: ['gone'], condition: { gte: 1 } });
    const c = new Correlator([corr], new MemoryCorrelationStore());
    expect(c.warnings).toHaveLength(1);
    expect(c.warnings[0]).toMatch(/references rule 'gone'/);
    expect(c.referencedRuleIds()).toEqual(['gone']);
  });

  test('more buckets per window narrow the bucketing error', async () => {
    // Events 9.7 minutes apart (within the 10-minute timespan): with 10 one-minute buckets they fall 10 buckets
    // apart and do not count together; with 60 buckets of 10 s they do.
    const corr = correlationRule('fine', { type: 'event_count', rules: ['rule-a'], condition: { gte: 2 } });
    const coarse = new Correlator([A, corr], new MemoryCorrelationStore());
    expect(await feed(coarse, [[ev(0.5), [A]], [ev(10.2), [A]]])).toHaveLength(0);
    const fine = new Correlator([A, corr], new MemoryCorrelationStore(), { bucketsPerWindow: 60 });
    expect(await feed(fine, [[ev(0.5), [A]], [ev(10.2), [A]]])).toHaveLength(1);
  });

  test('helpers: event time and conditions', () => {
    expect(eventTime({ data: { date: '2026-03-01T00:00:00.000Z' } })).toBe(T0);
    expect(eventTime({ data: { date: '1969-12-31T00:00:00Z' } })).toBeUndefined();
    expect(eventTime({ data: {} })).toBeUndefined();
    expect(conditionHolds([['gte', 2], ['lt', 5]], 4)).toBe(true);
    expect(conditionHolds([['gte', 2], ['lt', 5]], 5)).toBe(false);
    expect(conditionHolds([['neq', 0]], 0)).toBe(false);
    expect(conditionHolds([['eq', 3]], 3)).toBe(true);
  });

  test('temporal without rule B is never satisfied', async () => {
    const corr = correlationRule('t', { type: 'temporal', rules: ['rule-a', 'rule-b'], condition: {} });
    const c = new Correlator([A, B, corr], new MemoryCorrelationStore());
    expect(await feed(c, [[ev(0), [A]], [ev(1), [A]], [ev(2), [A]]])).toHaveLength(0);
    expect(await feed(c, [[ev(3), [B]]])).toHaveLength(1);
  });
});

describe('rules written in YAML (loader → compiled rule set → correlator)', () => {
  const text = `title: Failed login
name: failed_login
id: 5c0c7a1e-0000-4000-8000-000000000001
level: low
logsource: { product: auth0 }
detection:
  sel:
    data.type: f
  condition: sel
---
title: Successful login
name: login_ok
id: 5c0c7a1e-0000-4000-8000-000000000002
level: low
logsource: { product: auth0 }
detection:
  sel:
    data.type: s
  condition: sel
---
title: Many failed logins from one IP
name: many_failed
id: 5c0c7a1e-0000-4000-8000-000000000003
level: high
correlation:
  type: event_count
  rules: [failed_login]
  group-by: [data.ip]
  timespan: 10m
  condition: { gte: 3 }
---
title: Login succeeds after failures (same IP, different field names)
id: 5c0c7a1e-0000-4000-8000-000000000004
level: critical
correlation:
  type: temporal_ordered
  rules: [many_failed, login_ok]
  group-by: [source_ip]
  timespan: 1h
  aliases:
    source_ip:
      many_failed: data.ip
      login_ok: data.details.ip
`;

  test('a correlation and a chain over it fire on a sequence', async () => {
    const loaded = loadRulesFromText([{ file: 'rules/brute.yml', text }]);
    expect(loaded.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const ruleSet = new CompiledRuleSet(loaded.model);
    const c = new Correlator(loaded.model.rules, new MemoryCorrelationStore());
    const events: NormalizedEvent[] = [
      ev(0, { type: 'f', ip: '203.0.113.7' }),
      ev(1, { type: 'f', ip: '203.0.113.7' }),
      ev(2, { type: 's', ip: '198.51.100.9', details: { ip: '203.0.113.7' } }), // success before the burst: no sequence
      ev(3, { type: 'f', ip: '203.0.113.7' }),
      ev(4, { type: 'f', ip: '198.51.100.9' }),
      ev(5, { type: 's', ip: '198.51.100.9', details: { ip: '203.0.113.7' } }),
    ];
    const detections: Detection[] = [];
    for (const e of events) detections.push(...(await c.processEvent(e, ruleSet.match(e))));
    expect(detections.map((d) => [d.rule.title, d.correlation?.group])).toEqual([
      ['Many failed logins from one IP', { 'data.ip': '203.0.113.7' }],
      ['Login succeeds after failures (same IP, different field names)', { source_ip: '203.0.113.7' }],
    ]);
    expect(detections[1].correlation?.rules).toEqual(['5c0c7a1e-0000-4000-8000-000000000003', '5c0c7a1e-0000-4000-8000-000000000002']);
  });
});

// The correlator's synchronous fast path on the memory store (what `scan` uses) against its asynchronous path
// through the store interface (the path the DynamoDB store takes): random event sequences, with late events, window
// closes as the scan makes them, every correlation type, chains, aliases, value_count saturation, values that
// cannot be stored and tight memory limits (evictions), must give the same detections in the same order, byte for
// byte, and the same counters.

import fc from 'fast-check';
import { Correlator, type CorrelatorOptions } from '../../lambda/sigma/correlation';
import { MemoryCorrelationStore, type MemoryStoreLimits } from '../../lambda/sigma/correlation-store';
import type { NormalizedEvent, RuleModel } from '../../lambda/sigma/types';
import { testScale } from '../helpers/scale';
import { MINUTE, T0, correlationRule, detectionRule } from './correlation-scenarios';

const A = detectionRule('rule-a');
const B = detectionRule('rule-b');
const C = detectionRule('rule-c');
const DETECTION_RULES = [A, B, C];

// Every type, on-arrival and at-close conditions, several group-by shapes, a chain and an alias.
const CORRELATIONS: RuleModel[] = [
  correlationRule('count-ip', { type: 'event_count', rules: ['rule-a'], groupBy: ['data.ip'], condition: { gte: 3 } }),
  correlationRule('count-ab-user', { type: 'event_count', rules: ['rule-a', 'rule-b'], groupBy: ['data.ip', 'data.user'], condition: { gt: 1 } }),
  correlationRule('few-ip', { type: 'event_count', rules: ['rule-b'], groupBy: ['data.ip'], condition: { lt: 2 } }),
  correlationRule('exactly-two', { type: 'event_count', rules: ['rule-a'], groupBy: ['data.ip', 'data.user'], condition: { eq: 2 } }),
  correlationRule('users-per-ip', { type: 'value_count', rules: ['rule-a', 'rule-c'], groupBy: ['data.ip'], condition: { gte: 2, field: 'data.user' } }),
  // At close over many values: with a distinct cap of 3 its windows saturate (counted alike on both paths).
  correlationRule('few-users', {
    type: 'value_count', rules: ['rule-a', 'rule-b'], groupBy: ['data.ip'], timespanMs: 60 * MINUTE, condition: { lt: 2, field: 'data.user' },
  }),
  correlationRule('unverified', { type: 'value_count', rules: ['rule-c'], groupBy: ['data.user'], condition: { lt: 1, field: 'data.verified' } }),
  correlationRule('pair', { type: 'temporal', rules: ['rule-a', 'rule-b'], groupBy: ['data.user'], condition: {} }),
  correlationRule('ordered', { type: 'temporal_ordered', rules: ['rule-a', 'rule-b', 'rule-a'], groupBy: ['data.user'], condition: {} }),
  correlationRule('sum', { type: 'value_sum', rules: ['rule-b'], groupBy: [], condition: { gte: 100, field: 'data.amount' } }),
  correlationRule('avg', { type: 'value_avg', rules: ['rule-b', 'rule-c'], groupBy: ['data.ip'], condition: { gt: 40, field: 'data.amount' } }),
  correlationRule('p90', { type: 'value_percentile', rules: ['rule-c'], groupBy: [], condition: { gte: 50, field: 'data.amount', percentile: 90 } }),
  correlationRule('chained', { type: 'event_count', rules: ['count-ip'], groupBy: ['data.ip'], timespanMs: 60 * MINUTE, condition: { gte: 2 } }),
  correlationRule('alias', {
    type: 'temporal', rules: ['rule-a', 'rule-b'], groupBy: ['src'], condition: {},
    aliases: { src: { 'rule-a': 'data.ip', 'rule-b': 'data.client_ip' } },
  }),
];
const RULES = [...DETECTION_RULES, ...CORRELATIONS];
/** As `scan` does: windows close a longest timespan behind the latest event time. */
const LATENESS = 60 * MINUTE;

interface EventStep {
  kind: 'event';
  /** Seconds after the previous event (negative: out of order), or a late jump. */
  dt: number;
  ip: string | number | null | undefined;
  user: string | undefined;
  clientIp: string | undefined;
  amount: number | string | undefined;
  verified: string | undefined;
  rules: RuleModel[];
  logId: string;
  badDate: boolean;
}
type Step = EventStep | { kind: 'close' };

const eventStep: fc.Arbitrary<EventStep> = fc.record({
  kind: fc.constant('event' as const),
  dt: fc.oneof({ weight: 12, arbitrary: fc.integer({ min: -60, max: 150 }) }, { weight: 1, arbitrary: fc.integer({ min: -1800, max: 1800 }) }),
  // Mostly one address, so its groups fire again and again (chains need that).
  ip: fc.oneof({ weight: 4, arbitrary: fc.constant('192.0.2.1') }, { weight: 3, arbitrary: fc.constantFrom('192.0.2.2', '198.51.100.7', 200, '200', 'null', null, undefined) }),
  user: fc.constantFrom('alice', 'bob', 'carol', 'dave', undefined),
  clientIp: fc.constantFrom('192.0.2.1', '203.0.113.9', undefined),
  amount: fc.oneof(fc.integer({ min: 0, max: 120 }), fc.constantFrom('45.5', 'lots', 1e20, -0.000000001, 0.1), fc.constant(undefined)),
  verified: fc.constantFrom('yes', undefined, undefined),
  rules: fc.subarray(DETECTION_RULES),
  logId: fc.constantFrom('L1', 'L2', 'L3', 'L4', 'L5', 'L6', 'L7', 'L8', 'L9', 'L10', 'L11', 'L12', 'x'.repeat(200)),
  badDate: fc.integer({ min: 0, max: 19 }).map((n) => n === 0),
});
const step: fc.Arbitrary<Step> = fc.oneof({ weight: 12, arbitrary: eventStep }, { weight: 1, arbitrary: fc.constant({ kind: 'close' as const }) });

const limits: fc.Arbitrary<MemoryStoreLimits> = fc.oneof(
  fc.constant({}),
  fc.record({ maxGroups: fc.integer({ min: 1, max: 12 }) }),
  fc.record({ maxBytes: fc.integer({ min: 3_000, max: 40_000 }) }),
);

function toEvent(s: EventStep, time: number): NormalizedEvent {
  const data: Record<string, unknown> = { type: 'f', date: s.badDate ? 'not a date' : new Date(time).toISOString() };
  if (s.ip !== undefined) data.ip = s.ip;
  if (s.user !== undefined) data.user = s.user;
  if (s.clientIp !== undefined) data.client_ip = s.clientIp;
  if (s.amount !== undefined) data.amount = s.amount;
  if (s.verified !== undefined) data.verified = s.verified;
  return { log_id: s.logId, data };
}

/** Runs the steps on both paths and compares each step's detections as JSON (key order included) and the counters. */
async function compare(steps: Step[], storeLimits: MemoryStoreLimits, options: CorrelatorOptions, seen = new Set<string>(), rules = RULES): Promise<number> {
  const fastStore = new MemoryCorrelationStore(storeLimits);
  const slowStore = new MemoryCorrelationStore(storeLimits);
  const fast = new Correlator(rules, fastStore, options);
  const slow = new Correlator(rules, slowStore, { ...options, fastPath: false });
  expect(fast.synchronous).toBe(true);
  expect(slow.synchronous).toBe(false);
  let time = T0;
  let maxTime = -Infinity;
  let detections = 0;
  for (const s of steps) {
    let fastOut;
    let slowOut;
    if (s.kind === 'close') {
      if (maxTime === -Infinity) continue;
      fastOut = fast.closeWindowsSync(maxTime - LATENESS);
      slowOut = await slow.closeWindows(maxTime - LATENESS);
    } else {
      time += s.dt * 1000;
      maxTime = Math.max(maxTime, time);
      const event = toEvent(s, time);
      const matches = s.rules.map((rule) => ({ rule, matched: ['sel'] }));
      fastOut = fast.processEventSync(event, matches);
      slowOut = await slow.processEvent(event, matches);
    }
    expect(JSON.stringify(fastOut)).toBe(JSON.stringify(slowOut));
    detections += fastOut.length;
    for (const d of fastOut) seen.add(d.rule.id);
  }
  const fastEnd = fast.closeWindowsSync(Infinity);
  expect(JSON.stringify(fastEnd)).toBe(JSON.stringify(await slow.closeWindows(Infinity)));
  detections += fastEnd.length;
  for (const d of fastEnd) seen.add(d.rule.id);
  expect(fast.stats()).toEqual(slow.stats());
  expect(fast.drainFailures()).toEqual(slow.drainFailures());
  expect(fastStore.limitStats()).toEqual(slowStore.limitStats());
  return detections;
}

describe('correlation fast path (memory store, synchronous) against the asynchronous store interface', () => {
  test('property: the same detections, in the same order, byte for byte, and the same counters', async () => {
    let detections = 0;
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: testScale(80, 300), size: 'max' }), limits, fc.constantFrom(3, 1000), async (steps, storeLimits, distinctCap) => {
        detections += await compare(steps, storeLimits, { distinctCap }, seen);
      }),
      // A fixed seed: the run is the same every time (the coverage check below depends on it).
      { numRuns: testScale(100, 600), seed: 20_261_202 },
    );
    // The sequences make detections of every correlation, not just agreement on none.
    expect(detections).toBeGreaterThan(100);
    expect([...seen].sort()).toEqual(CORRELATIONS.map((r) => r.id).sort());
  });

  test('a long in-order run of one group (the running count slides across many windows)', async () => {
    const steps: Step[] = [];
    for (let i = 0; i < 400; i++) {
      steps.push({ kind: 'event', dt: 20 + (i % 7) * 15, ip: '192.0.2.1', user: i % 3 ? 'alice' : 'bob', clientIp: undefined, amount: i % 50, verified: undefined, rules: [A, B, C], logId: `L${i % 40}`, badDate: false });
      if (i % 25 === 0) steps.push({ kind: 'close' });
    }
    expect(await compare(steps, {}, {})).toBeGreaterThan(50);
  });

  test('many groups, and values too long to intern: the same results (full size: past the 4,096 identities kept)', async () => {
    // Address and user pairs, each seen twice in a row (the second event fires count-ab-user); at full size
    // (test:long: 4,500 pairs) the per-correlation cache of group identities (4,096) starts again midway; user names
    // of 300 characters are never interned.
    const pairs = testScale(1_000, 4_500);
    const steps: Step[] = [];
    for (let i = 0; i < 2 * pairs; i++) {
      const n = i >> 1;
      steps.push({
        kind: 'event', dt: 1, ip: `10.${n >> 8}.${n & 255}.1`, user: n % 5 === 0 ? `${'u'.repeat(299)}${n % 3}` : 'alice',
        clientIp: undefined, amount: 1, verified: undefined, rules: [A], logId: `L${i}`, badDate: false,
      });
      if (i % 500 === 0) steps.push({ kind: 'close' });
    }
    // Two correlations (one group-by field, two) keep this run short.
    const rules = [...DETECTION_RULES, ...CORRELATIONS.filter((r) => r.id === 'count-ip' || r.id === 'count-ab-user')];
    expect(await compare(steps, {}, {}, new Set(), rules)).toBe(pairs);
  });

  test('with a tenant: group keys carry it on both paths', async () => {
    const steps: Step[] = [];
    for (let i = 0; i < 60; i++) steps.push({ kind: 'event', dt: 30, ip: i % 2 ? '192.0.2.1' : null, user: 'alice', clientIp: '192.0.2.1', amount: 10, verified: undefined, rules: [A, B], logId: `L${i}`, badDate: false });
    expect(await compare(steps, {}, { tenant: 'acme' })).toBeGreaterThan(0);
  });

  test('the fast path is taken only on the memory store, and can be turned off', () => {
    expect(new Correlator(RULES, new MemoryCorrelationStore()).synchronous).toBe(true);
    expect(new Correlator(RULES, new MemoryCorrelationStore(), { fastPath: false }).synchronous).toBe(false);
    const slow = new Correlator(RULES, new MemoryCorrelationStore(), { fastPath: false });
    expect(() => slow.processEventSync({ log_id: 'x', data: {} }, [])).toThrow(/memory correlation store/);
    expect(() => slow.closeWindowsSync(0)).toThrow(/memory correlation store/);
  });
});

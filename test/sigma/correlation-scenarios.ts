// Correlation engine scenarios shared by the memory-store tests (test/sigma/correlation.test.ts) and the
// DynamoDB-store tests against dynalite (test/state/dynamodb-store.test.ts): the same events must give the same
// detections whatever the store.

import { Correlator, type CorrelatorOptions } from '../../lambda/sigma/correlation';
import type { CorrelationStore } from '../../lambda/sigma/correlation-store';
import type { CorrelationModel, Detection, NormalizedEvent, RuleModel } from '../../lambda/sigma/types';

export const T0 = Date.parse('2026-03-01T00:00:00.000Z');
export const MINUTE = 60_000;

const loc = { file: 'rules/test.yml', line: 1, col: 1 };

export function detectionRule(id: string): RuleModel {
  return {
    kind: 'detection', id, idDerived: false, name: id, title: `rule ${id}`, level: 'medium', tags: [], falsepositives: [],
    references: [], fields: [], meta: {}, file: 'rules/test.yml', line: 1, docIndex: 0, alerts: false, placeholders: [],
    detection: {
      identifiers: {}, conditionText: ['sel'], condition: { op: 'id', name: 'sel' }, conditionLoc: loc,
    },
  };
}

export function correlationRule(id: string, model: Partial<CorrelationModel> & Pick<CorrelationModel, 'type' | 'rules'>): RuleModel {
  const timespanMs = model.timespanMs ?? 10 * MINUTE;
  return {
    kind: 'correlation', id, idDerived: false, name: id, title: `correlation ${id}`, level: 'high', tags: ['attack.t1110'],
    falsepositives: [], references: [], fields: [], meta: { description: `test correlation ${id}` }, file: 'rules/test.yml',
    line: 10, docIndex: 1, alerts: true, placeholders: [],
    correlation: {
      groupBy: [], timespan: `${timespanMs / 1000}s`, condition: { gte: 1 }, aliases: {}, loc, ...model, timespanMs,
    },
  };
}

let logCounter = 0;

/** An Auth0-like event at T0 + minutes. */
export function ev(minutes: number, data: Record<string, unknown> = {}, logId?: string): NormalizedEvent {
  return { log_id: logId ?? `log-${++logCounter}`, data: { date: new Date(T0 + minutes * MINUTE).toISOString(), type: 'f', ...data } };
}

export type StoreFactory = () => Promise<CorrelationStore>;

/** Feeds events in order; each event matches the rules listed with it. */
export async function feed(correlator: Correlator, events: [NormalizedEvent, RuleModel[]][]): Promise<Detection[]> {
  const out: Detection[] = [];
  for (const [event, rules] of events) out.push(...(await correlator.processEvent(event, rules.map((rule) => ({ rule, matched: ['sel'] })))));
  return out;
}

const A = detectionRule('rule-a');
const B = detectionRule('rule-b');
const C = detectionRule('rule-c');

export function defineCorrelationScenarios(storeName: string, makeStore: StoreFactory, options: CorrelatorOptions = {}): void {
  const make = async (...rules: RuleModel[]): Promise<Correlator> => new Correlator([A, B, C, ...rules], await makeStore(), options);

  describe(`correlation scenarios (${storeName} store)`, () => {
    test('event_count: fires once when the count reaches the threshold, with group, value, window, rules and log_ids', async () => {
      const corr = correlationRule('brute', { type: 'event_count', rules: ['rule-a'], groupBy: ['data.ip'], condition: { gte: 5 } });
      const c = await make(corr);
      const events: [NormalizedEvent, RuleModel[]][] = [];
      for (let i = 0; i < 7; i++) events.push([ev(i * 0.5, { ip: '203.0.113.7' }, `L${i}`), [A]]);
      events.push([ev(1, { ip: '198.51.100.1' }), [A]]);
      const detections = await feed(c, events);
      expect(detections).toHaveLength(1);
      const d = detections[0];
      expect(d.rule).toMatchObject({ id: 'brute', title: 'correlation brute', level: 'high', tags: ['attack.t1110'] });
      expect(d.ip).toBe('203.0.113.7');
      expect(d.date).toBe(new Date(T0 + 2 * MINUTE).toISOString());
      expect(d.correlation).toEqual({
        type: 'event_count',
        group: { 'data.ip': '203.0.113.7' },
        value: 5,
        // The window is the 10 one-minute buckets ending with the bucket of the 5th event (minute 2).
        window: { start: new Date(T0 - 7 * MINUTE).toISOString(), end: new Date(T0 + 3 * MINUTE).toISOString() },
        rules: ['rule-a'],
        log_ids: expect.arrayContaining(['L0', 'L1', 'L2', 'L3', 'L4']),
      });
      expect(d.correlation?.log_ids).toHaveLength(5);
      expect(c.stats()).toMatchObject({ events: 8, correlatedEvents: 8, detections: 1 });
    });

    test('events of rules no correlation references cost no store call', async () => {
      const corr = correlationRule('brute', { type: 'event_count', rules: ['rule-a'], condition: { gte: 5 } });
      const c = await make(corr);
      await feed(c, [[ev(0), [B]], [ev(1), []]]);
      expect(c.stats()).toMatchObject({ events: 2, correlatedEvents: 0, storeCalls: 0 });
    });

    test('alerts again only after the window has moved past the events that fired', async () => {
      // One event a minute for 30 minutes, threshold 5 in 10 minutes: fires at minute 4; the next window that
      // shares no bucket with [-5, 4] is [5, 14], which fires at minute 14; then [15, 24] at minute 24.
      const corr = correlationRule('steady', { type: 'event_count', rules: ['rule-a'], condition: { gte: 5 } });
      const c = await make(corr);
      const events: [NormalizedEvent, RuleModel[]][] = [];
      for (let m = 0; m < 30; m++) events.push([ev(m), [A]]);
      const detections = await feed(c, events);
      expect(detections.map((d) => d.date)).toEqual([4, 14, 24].map((m) => new Date(T0 + m * MINUTE).toISOString()));
      expect(detections.map((d) => d.correlation?.value)).toEqual([5, 10, 10]);
    });

    test('windows slide across calendar boundaries', async () => {
      const corr = correlationRule('slide', { type: 'event_count', rules: ['rule-a'], condition: { gte: 6 } });
      const c = await make(corr);
      const detections = await feed(c, [8, 8.5, 9, 11, 11.5, 12].map((m) => [ev(m), [A]] as [NormalizedEvent, RuleModel[]]));
      expect(detections).toHaveLength(1);
    });

    test('events a full timespan apart never count together', async () => {
      const corr = correlationRule('far', { type: 'event_count', rules: ['rule-a'], condition: { gte: 2 } });
      const c = await make(corr);
      expect(await feed(c, [[ev(0), [A]], [ev(10), [A]], [ev(20.5), [A]]])).toHaveLength(0);
      // 9 minutes (0.9 timespan) apart always count together.
      expect(await feed(c, [[ev(39.99), [A]]])).toHaveLength(0);
      expect(await feed(c, [[ev(48.99), [A]]])).toHaveLength(1);
    });

    test('out-of-order events within the window count, and late events complete earlier windows', async () => {
      const corr = correlationRule('late', { type: 'event_count', rules: ['rule-a'], condition: { gte: 5 } });
      const c = await make(corr);
      expect(await feed(c, [5, 6, 7, 8].map((m) => [ev(m, {}, `L${m}`), [A]] as [NormalizedEvent, RuleModel[]]))).toHaveLength(0);
      const detections = await feed(c, [[ev(1, {}, 'L1'), [A]]]);
      expect(detections).toHaveLength(1);
      expect(detections[0].correlation?.value).toBe(5);
      // The window that fired ends with the latest bucket (minute 8): it holds every one of the five events.
      expect(detections[0].correlation?.window.end).toBe(new Date(T0 + 9 * MINUTE).toISOString());
      expect([...(detections[0].correlation?.log_ids ?? [])].sort()).toEqual(['L1', 'L5', 'L6', 'L7', 'L8']);
      // Too late: an event more than a timespan before the others does not join them.
      const c2 = await make(corr);
      await feed(c2, [5, 6, 7, 8].map((m) => [ev(m), [A]] as [NormalizedEvent, RuleModel[]]));
      expect(await feed(c2, [[ev(-3), [A]]])).toHaveLength(0);
    });

    test('group-by on several fields; a missing field groups as null', async () => {
      const corr = correlationRule('multi', { type: 'event_count', rules: ['rule-a'], groupBy: ['data.ip', 'data.user_id'], condition: { gte: 2 } });
      const c = await make(corr);
      const detections = await feed(c, [
        [ev(0, { ip: '1.1.1.1', user_id: 'u1' }), [A]],
        [ev(1, { ip: '1.1.1.1', user_id: 'u2' }), [A]],
        [ev(2, { ip: '1.1.1.1' }), [A]],
        [ev(3, { ip: '1.1.1.1', user_id: null }), [A]],
      ]);
      expect(detections).toHaveLength(1);
      expect(detections[0].correlation?.group).toEqual({ 'data.ip': '1.1.1.1', 'data.user_id': null });
    });

    test('group values compare by their string form (200 and "200" are one group)', async () => {
      const corr = correlationRule('status', { type: 'event_count', rules: ['rule-a'], groupBy: ['data.status'], condition: { gte: 2 } });
      const c = await make(corr);
      const detections = await feed(c, [[ev(0, { status: 200 }), [A]], [ev(1, { status: '200' }), [A]]]);
      expect(detections).toHaveLength(1);
      expect(detections[0].correlation?.group).toEqual({ 'data.status': '200' });
    });

    test('an event matching several rules of one correlation counts once', async () => {
      const corr = correlationRule('both', { type: 'event_count', rules: ['rule-a', 'rule-b'], condition: { gte: 2 } });
      const c = await make(corr);
      expect(await feed(c, [[ev(0), [A, B]]])).toHaveLength(0);
      const d = await feed(c, [[ev(1), [B]]]);
      expect(d).toHaveLength(1);
      expect(d[0].correlation?.rules.sort()).toEqual(['rule-a', 'rule-b']);
    });

    test('value_count: distinct values of the field per group; events without the field add none', async () => {
      const corr = correlationRule('spray', {
        type: 'value_count', rules: ['rule-a'], groupBy: ['data.ip'], condition: { gte: 3, field: 'data.user_name' },
      });
      const c = await make(corr);
      const detections = await feed(c, [
        [ev(0, { ip: 'x', user_name: 'alice' }), [A]],
        [ev(1, { ip: 'x', user_name: 'alice' }), [A]],
        [ev(2, { ip: 'x' }), [A]],
        [ev(3, { ip: 'x', user_name: 'bob' }), [A]],
        [ev(4, { ip: 'y', user_name: 'carol' }), [A]],
        [ev(5, { ip: 'x', user_name: 'carol' }), [A]],
        [ev(6, { ip: 'x', user_name: 'dave' }), [A]],
      ]);
      expect(detections).toHaveLength(1);
      expect(detections[0].correlation).toMatchObject({ type: 'value_count', value: 3, group: { 'data.ip': 'x' } });
    });

    test('temporal: every rule within the timespan, any order, per group', async () => {
      const corr = correlationRule('pair', { type: 'temporal', rules: ['rule-a', 'rule-b'], groupBy: ['data.user_id'], condition: {} });
      const c = await make(corr);
      const detections = await feed(c, [
        [ev(0, { user_id: 'u1' }), [B]],
        [ev(1, { user_id: 'u2' }), [A]],
        [ev(2, { user_id: 'u1' }), [A]],
      ]);
      expect(detections).toHaveLength(1);
      expect(detections[0].correlation).toMatchObject({ value: 2, group: { 'data.user_id': 'u1' } });
      expect(detections[0].correlation?.rules.sort()).toEqual(['rule-a', 'rule-b']);
    });

    test('temporal_ordered: the rules must match in the listed order', async () => {
      const corr = correlationRule('seq', { type: 'temporal_ordered', rules: ['rule-a', 'rule-b', 'rule-c'], groupBy: ['data.user_id'], condition: {} });
      const c = await make(corr);
      // u1: C, B, A — wrong order; u2: A, C, B, C — A then B then C exists.
      const detections = await feed(c, [
        [ev(0, { user_id: 'u1' }), [C]], [ev(1, { user_id: 'u1' }), [B]], [ev(2, { user_id: 'u1' }), [A]],
        [ev(0.1, { user_id: 'u2' }), [A]], [ev(1.1, { user_id: 'u2' }), [C]], [ev(2.1, { user_id: 'u2' }), [B]],
      ]);
      expect(detections).toHaveLength(0);
      const more = await feed(c, [[ev(3, { user_id: 'u2' }), [C]], [ev(4, { user_id: 'u1' }), [B]]]);
      expect(more).toHaveLength(1);
      expect(more[0].correlation).toMatchObject({ type: 'temporal_ordered', value: 3, group: { 'data.user_id': 'u2' } });
      // Out of order arrival: the times decide, not the arrival order.
      const c2 = await make(corr);
      const late = await feed(c2, [[ev(3, { user_id: 'u3' }), [C]], [ev(2, { user_id: 'u3' }), [B]], [ev(1, { user_id: 'u3' }), [A]]]);
      expect(late).toHaveLength(1);
    });

    test('value_sum, value_avg: numbers and numeric strings; other values are skipped and counted', async () => {
      const sum = correlationRule('sum', { type: 'value_sum', rules: ['rule-a'], condition: { gte: 100, field: 'data.amount' } });
      const avg = correlationRule('avg', { type: 'value_avg', rules: ['rule-a'], condition: { gt: 40, field: 'data.amount' } });
      const c = await make(sum, avg);
      const detections = await feed(c, [
        [ev(0, { amount: 30 }), [A]],
        [ev(1, { amount: 'lots' }), [A]],
        [ev(2, { amount: '45.5' }), [A]],
        [ev(3, { amount: 30 }), [A]],
      ]);
      // sum: 30, 75.5, 105.5 → fires with the fourth event; avg: 30, 37.75, 35.17 → not above 40 yet.
      expect(detections.map((d) => [d.rule.id, d.correlation?.value])).toEqual([['sum', 105.5]]);
      expect(c.stats().nonNumeric).toBe(2);
      const more = await feed(c, [[ev(4, { amount: 100 }), [A]]]);
      expect(more.map((d) => [d.rule.id, d.correlation?.value])).toEqual([['avg', (30 + 45.5 + 30 + 100) / 4]]);
    });

    test('value_percentile: nearest-rank percentile within the documented 1 % error', async () => {
      const corr = correlationRule('p90', {
        type: 'value_percentile', rules: ['rule-a'], condition: { gte: 850, field: 'data.ms', percentile: 90 },
      });
      const c = await make(corr);
      const events: [NormalizedEvent, RuleModel[]][] = [];
      for (let i = 1; i <= 10; i++) events.push([ev(i * 0.1, { ms: i * 100 }), [A]]);
      const detections = await feed(c, events);
      // Nearest rank: with 8 values (100..800) p90 is rank ceil(7.2) = 8 → 800; with 9 values rank 9 → 900.
      expect(detections).toHaveLength(1);
      expect(detections[0].date).toBe(new Date(T0 + 0.9 * MINUTE).toISOString());
      expect(Math.abs((detections[0].correlation?.value ?? 0) - 900) / 900).toBeLessThanOrEqual(0.01);
    });

    test('at-close conditions (lt, eq) are decided when the window closes', async () => {
      const few = correlationRule('few', { type: 'event_count', rules: ['rule-a'], groupBy: ['data.user_id'], condition: { lt: 3 } });
      const exactly = correlationRule('exactly', { type: 'event_count', rules: ['rule-a'], groupBy: ['data.user_id'], condition: { eq: 3 } });
      const c = await make(few, exactly);
      const arrivals = await feed(c, [
        [ev(0, { user_id: 'u1' }), [A]], [ev(1, { user_id: 'u1' }), [A]],
        [ev(2, { user_id: 'u2' }), [A]], [ev(3, { user_id: 'u2' }), [A]], [ev(4, { user_id: 'u2' }), [A]],
      ]);
      expect(arrivals).toHaveLength(0);
      // u1's window is [0, 10) minutes, u2's [2, 12).
      expect(await c.closeWindows(T0 + 9 * MINUTE)).toHaveLength(0);
      const at10 = await c.closeWindows(T0 + 10 * MINUTE);
      expect(at10.map((d) => [d.rule.id, d.correlation?.group, d.correlation?.value])).toEqual([['few', { 'data.user_id': 'u1' }, 2]]);
      expect(at10[0].correlation?.window).toEqual({ start: new Date(T0).toISOString(), end: new Date(T0 + 10 * MINUTE).toISOString() });
      expect(at10[0].date).toBe(new Date(T0 + 10 * MINUTE - 1).toISOString());
      const at12 = await c.closeWindows(T0 + 12 * MINUTE);
      expect(at12.map((d) => [d.rule.id, d.correlation?.value])).toEqual([['exactly', 3]]);
      // Closing again finds nothing: each window is evaluated once.
      expect(await c.closeWindows(T0 + 60 * MINUTE)).toHaveLength(0);
      expect(c.stats()).toMatchObject({ windowsClosed: 4 });
    });

    test('a condition true at zero (value_count lt 1) is decided at close', async () => {
      const corr = correlationRule('unverified', {
        type: 'value_count', rules: ['rule-a'], groupBy: ['data.user_id'], condition: { lt: 1, field: 'data.details.verified_at' },
      });
      const c = await make(corr);
      expect(await feed(c, [
        [ev(0, { user_id: 'u1' }), [A]],
        [ev(0, { user_id: 'u2' }), [A]], [ev(1, { user_id: 'u2', details: { verified_at: 'now' } }), [A]],
      ])).toHaveLength(0);
      const closed = await c.closeWindows(T0 + 30 * MINUTE);
      expect(closed.map((d) => [d.correlation?.group, d.correlation?.value])).toEqual([[{ 'data.user_id': 'u1' }, 0]]);
    });

    test('at close: a new window opens with the first event after the previous one closed', async () => {
      const corr = correlationRule('few', { type: 'event_count', rules: ['rule-a'], condition: { lte: 2 } });
      const c = await make(corr);
      await feed(c, [[ev(0), [A]], [ev(9.9), [A]], [ev(10), [A]], [ev(25), [A]]]);
      const closed = await c.closeWindows(T0 + 120 * MINUTE);
      // Windows [0,10) with 2 events, [10,20) with 1, [25,35) with 1: all hold.
      expect(closed.map((d) => d.correlation?.window.start)).toEqual([0, 10, 25].map((m) => new Date(T0 + m * MINUTE).toISOString()));
      expect(closed.map((d) => d.correlation?.value)).toEqual([2, 1, 1]);
    });

    test('chains: a correlation over a correlation', async () => {
      const inner = correlationRule('inner', { type: 'event_count', rules: ['rule-a'], groupBy: ['data.ip'], condition: { gte: 3 } });
      const outer = correlationRule('outer', {
        type: 'event_count', rules: ['inner'], groupBy: ['data.ip'], timespanMs: 60 * MINUTE, condition: { gte: 2 },
      });
      const c = await make(outer, inner);
      const events: [NormalizedEvent, RuleModel[]][] = [];
      for (const m of [0, 1, 2, 13, 14, 15]) events.push([ev(m, { ip: '9.9.9.9' }, `L${m}`), [A]]);
      const detections = await feed(c, events);
      expect(detections.map((d) => d.rule.id)).toEqual(['inner', 'inner', 'outer']);
      const outerDetection = detections[2];
      expect(outerDetection.correlation).toMatchObject({ type: 'event_count', value: 2, group: { 'data.ip': '9.9.9.9' }, rules: ['inner'] });
      expect([...(outerDetection.correlation?.log_ids ?? [])].sort()).toEqual(['L0', 'L1', 'L13', 'L14', 'L15', 'L2']);
    });

    test('chains through the sweep: an at-close correlation feeds the one over it', async () => {
      const inner = correlationRule('quiet', { type: 'event_count', rules: ['rule-a'], groupBy: ['data.ip'], condition: { eq: 1 } });
      const outer = correlationRule('quiet-twice', {
        type: 'event_count', rules: ['quiet'], groupBy: ['data.ip'], timespanMs: 60 * MINUTE, condition: { gte: 2 },
      });
      const c = await make(inner, outer);
      await feed(c, [[ev(0, { ip: 'q' }), [A]], [ev(20, { ip: 'q' }), [A]]]);
      const closed = await c.closeWindows(T0 + 60 * MINUTE);
      expect(closed.map((d) => d.rule.id)).toEqual(['quiet', 'quiet', 'quiet-twice']);
    });

    test('aliases: one group-by name, a different field per rule', async () => {
      const corr = correlationRule('alias', {
        type: 'temporal', rules: ['rule-a', 'rule-b'], groupBy: ['ip'], condition: {},
        aliases: { ip: { 'rule-a': 'data.ip', 'rule-b': 'data.details.client_ip' } },
      });
      const c = await make(corr);
      const detections = await feed(c, [
        [ev(0, { ip: '5.5.5.5' }), [A]],
        [ev(1, { ip: '6.6.6.6', details: { client_ip: '7.7.7.7' } }), [B]],
        [ev(2, { ip: '7.7.7.7', details: { client_ip: '5.5.5.5' } }), [B]],
      ]);
      expect(detections).toHaveLength(1);
      expect(detections[0].correlation?.group).toEqual({ ip: '5.5.5.5' });
    });

    test('events without a valid date are counted and ignored', async () => {
      const corr = correlationRule('brute', { type: 'event_count', rules: ['rule-a'], condition: { gte: 1 } });
      const c = await make(corr);
      const detections = await feed(c, [
        [{ log_id: 'x', data: { type: 'f' } }, [A]],
        [{ log_id: 'y', data: { type: 'f', date: 'yesterday' } }, [A]],
        [{ log_id: 'z', data: { type: 'f', date: 12 } }, [A]],
      ]);
      expect(detections).toHaveLength(0);
      expect(c.stats()).toMatchObject({ correlatedEvents: 3, invalidDate: 3, storeCalls: 0 });
    });

    test('log_ids: at most 10 per detection', async () => {
      const corr = correlationRule('many', { type: 'event_count', rules: ['rule-a'], condition: { gte: 40 } });
      const c = await make(corr);
      const events: [NormalizedEvent, RuleModel[]][] = [];
      for (let i = 0; i < 40; i++) events.push([ev(i * 0.01), [A]]);
      const detections = await feed(c, events);
      expect(detections).toHaveLength(1);
      expect(detections[0].correlation?.log_ids.length).toBeGreaterThan(0);
      expect(detections[0].correlation?.log_ids.length).toBeLessThanOrEqual(10);
      expect(new Set(detections[0].correlation?.log_ids).size).toBe(detections[0].correlation?.log_ids.length);
    });
  });
}

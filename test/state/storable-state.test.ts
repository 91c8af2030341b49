// Correlation state is always storable (issue 14, point 4): values an attacker chose are checked against
// DynamoDB's limits before any write, on the real DynamoDB API (dynalite, which enforces the number range, the
// 400 KB item size and the key sizes) and on the memory store `scan` uses, which must decide the same way.
// Before this, a value_sum field of 1e200 failed the bucket write on every retry ("Number overflow") and a
// group-by value of a few hundred KB exceeded the item size of the open-window index.

import { ScanCommand } from '@aws-sdk/client-dynamodb';
import fc from 'fast-check';
import { Correlator, type CorrelationFailure } from '../../lambda/sigma/correlation';
import {
  DISPLAY_VALUE_MAX, GROUP_KEY_MAX, gridDecimal, groupKeyOf, storableLogId, storableValue, VALUE_MAGNITUDE_MAX,
} from '../../lambda/sigma/correlation-limits';
import { MemoryCorrelationStore, type CorrelationStore } from '../../lambda/sigma/correlation-store';
import type { Detection, NormalizedEvent, RuleModel } from '../../lambda/sigma/types';
import { DynamoDbCorrelationStore } from '../../lambda/state/dynamodb-store';
import { startDynalite, type LocalDynamo } from '../helpers/dynalite';
import { MINUTE, T0, correlationRule, detectionRule, ev } from '../sigma/correlation-scenarios';

let dynamo: LocalDynamo;

beforeAll(async () => {
  dynamo = await startDynalite();
});

afterAll(async () => {
  await dynamo.stop();
});

const A = detectionRule('rule-a');
const sum = correlationRule('bytes-sum', { type: 'value_sum', rules: ['rule-a'], groupBy: ['data.ip'], condition: { gte: 100, field: 'data.bytes' } });
const avg = correlationRule('bytes-avg', { type: 'value_avg', rules: ['rule-a'], groupBy: ['data.ip'], condition: { gte: 1e9, field: 'data.bytes' } });
const count = correlationRule('per-ip', { type: 'event_count', rules: ['rule-a'], groupBy: ['data.ip'], condition: { gte: 2 } });
const perAgent = correlationRule('per-agent', { type: 'event_count', rules: ['rule-a'], groupBy: ['data.user_agent'], condition: { gte: 2 } });
const quietAgent = correlationRule('quiet-agent', { type: 'event_count', rules: ['rule-a'], groupBy: ['data.user_agent'], condition: { lt: 5 } });

interface Run {
  detections: Detection[];
  failures: CorrelationFailure[];
  correlator: Correlator;
}

async function run(store: CorrelationStore, rules: RuleModel[], events: NormalizedEvent[]): Promise<Run> {
  const failures: CorrelationFailure[] = [];
  const correlator = new Correlator([A, ...rules], store, { onFailure: (f) => failures.push(f) });
  const detections: Detection[] = [];
  for (const event of events) detections.push(...(await correlator.processEvent(event, [{ rule: A }])));
  return { detections, failures, correlator };
}

const dynamoStore = async (): Promise<DynamoDbCorrelationStore> =>
  new DynamoDbCorrelationStore({ client: dynamo.client, tableName: await dynamo.createTable() });

const stores: [string, () => Promise<CorrelationStore>][] = [
  ['dynamodb (dynalite)', dynamoStore],
  ['memory', async () => new MemoryCorrelationStore()],
];

describe.each(stores)('%s store', (_name, makeStore) => {
  test('a value_sum/value_avg field of 1e200 is skipped and counted; the event still counts for the other rules', async () => {
    const events = [
      ev(0, { ip: '203.0.113.7', bytes: 1e200 }, 'L1'),
      ev(0.5, { ip: '203.0.113.7', bytes: '1e200' }, 'L2'),
      ev(1, { ip: '203.0.113.7', bytes: '123456789012345678901234567890' }, 'L3'),
      ev(1.5, { ip: '203.0.113.7', bytes: 150 }, 'L4'),
    ];
    const { detections, failures, correlator } = await run(await makeStore(), [sum, avg, count], events);
    // The string '1e200' is not a plain decimal: not numeric at all. 1e200 and the 30-digit integer are out of range.
    expect(correlator.stats()).toMatchObject({ outOfRange: 4, nonNumeric: 2, stateErrors: 0 });
    expect(failures.map((f) => [f.ruleId, f.reason])).toEqual([
      ['bytes-sum', 'value-out-of-range'], ['bytes-avg', 'value-out-of-range'],
      ['bytes-sum', 'value-out-of-range'], ['bytes-avg', 'value-out-of-range'],
    ]);
    // No failure message carries event content.
    for (const f of failures) expect(JSON.stringify(f)).not.toMatch(/1e200|1234567890|203\.0\.113\.7/);
    expect(detections.map((d) => [d.rule.id, d.correlation?.value])).toEqual([['per-ip', 2], ['bytes-sum', 150]]);
  });

  test('tiny and fractional values are stored on a 1e-9 grid (no underflow, no precision error)', async () => {
    const events = [0.1, 0.2, 1e-200, -0, 2e-9, 99.7].map((bytes, i) => ev(i * 0.1, { ip: 'x', bytes }, `F${i}`));
    const { detections, failures } = await run(await makeStore(), [sum], events);
    expect(failures).toEqual([]);
    expect(detections).toHaveLength(1);
    expect(detections[0].correlation?.value).toBeCloseTo(100.000000002, 9);
  });

  test('a group-by value of 300 KB: stored (hashed key, bounded copy), notified with a bounded display value', async () => {
    const huge = (c: string): string => `Mozilla/5.0 ${c.repeat(300_000)}`;
    const events = [
      ev(0, { user_agent: huge('a') }, 'U1'), ev(0.1, { user_agent: huge('a') }, 'U2'),
      // Same first 300 K characters but one: a different group.
      ev(0.2, { user_agent: `${huge('a')}b` }, 'U3'),
    ];
    const store = await makeStore();
    const { detections, failures, correlator } = await run(store, [perAgent, quietAgent], events);
    expect(failures).toEqual([]);
    expect(detections).toHaveLength(1);
    const value = detections[0].correlation?.group['data.user_agent'] as string;
    expect(value.length).toBeLessThanOrEqual(DISPLAY_VALUE_MAX);
    expect(value).toMatch(/^Mozilla\/5\.0 a+…\[sha256:[A-Za-z0-9_-]{16}\]$/);
    // The at-close rule opened one window per group (the index item keeps the bounded copy): two groups.
    expect(correlator.stats().windowsOpened).toBe(2);
    const closed = await correlator.closeWindows(T0 + 60 * MINUTE);
    expect(closed).toHaveLength(2);
    const shown = closed.map((d) => d.correlation?.group['data.user_agent'] as string);
    expect(new Set(shown).size).toBe(2);
    for (const v of shown) expect(v.length).toBeLessThanOrEqual(DISPLAY_VALUE_MAX);
  });

  test('log_ids of any length: the bucket sample keeps bounded ones', async () => {
    const events = Array.from({ length: 12 }, (_, i) => ev(i * 0.01, { ip: 'y' }, `${i}-${'L'.repeat(5_000)}`));
    const countAll = correlationRule('twelve', { type: 'event_count', rules: ['rule-a'], groupBy: ['data.ip'], condition: { gte: 12 } });
    const { detections, failures } = await run(await makeStore(), [countAll], events);
    expect(failures).toEqual([]);
    expect(detections).toHaveLength(1);
    for (const id of detections[0].correlation?.log_ids ?? []) expect(id).toMatch(/^h:[A-Za-z0-9_-]{32}$/);
  });

  test('a group-by object nested 100,000 levels deep is a bounded group value, not a crash', async () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 100_000; i++) deep = { a: deep };
    const events = [ev(0, { user_agent: deep }, 'D1'), ev(0.1, { user_agent: deep }, 'D2')];
    const { detections, failures } = await run(await makeStore(), [perAgent], events);
    expect(failures).toEqual([]);
    expect(detections).toHaveLength(1);
    const value = detections[0].correlation?.group['data.user_agent'] as string;
    expect(value.startsWith('{"a":{"a":{"a":')).toBe(true);
    expect(value.length).toBeLessThanOrEqual(DISPLAY_VALUE_MAX);
  });
});

test('the DynamoDB items stay far below 400 KB and every key below its limit', async () => {
  const store = await dynamoStore();
  const tableName = (store as unknown as { tableName: string }).tableName;
  const longId = `corr-${'i'.repeat(3000)}`;
  const rules = [
    correlationRule(longId, { type: 'event_count', rules: ['rule-a'], groupBy: ['data.user_agent', 'data.ip'], condition: { lt: 3 } }),
    perAgent,
  ];
  const events = Array.from({ length: 5 }, (_, i) => ev(i * 0.1, { user_agent: `${i}${'ü'.repeat(200_000)}`, ip: '𝔁'.repeat(100_000) }, `${i}${'x'.repeat(5000)}`));
  const { failures } = await run(store, rules, events);
  expect(failures).toEqual([]);
  const items = (await dynamo.client.send(new ScanCommand({ TableName: tableName }))).Items ?? [];
  expect(items.length).toBeGreaterThan(5);
  for (const item of items) {
    expect(Buffer.byteLength(item.pk.S ?? '')).toBeLessThan(2048);
    expect(Buffer.byteLength(item.sk.S ?? '')).toBeLessThan(1024);
    expect(Buffer.byteLength(JSON.stringify(item))).toBeLessThan(20_000);
  }
});

describe('limits', () => {
  test('accepted values are on the grid: any sum of up to 1e6 of them needs at most 38 significant digits', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true }), (v) => {
        const stored = storableValue(v);
        if (Math.abs(v) > VALUE_MAGNITUDE_MAX || !Number.isFinite(v)) {
          expect(stored).toBeUndefined();
          return;
        }
        const text = gridDecimal(stored as number);
        expect(text).toMatch(/^-?\d+(\.\d{1,9})?$/);
        // The largest possible bucket sum of a million such values, on the same grid.
        const [int, frac = ''] = gridDecimal(Math.abs(stored as number) * 1e6).split('.');
        expect(int.replace(/^0+/, '').length + 9).toBeLessThanOrEqual(38);
        expect(frac.length).toBeLessThanOrEqual(9);
      }),
      { numRuns: 2_000, seed: 14 },
    );
    expect(storableValue(1e200)).toBeUndefined();
    expect(storableValue(Number.NaN)).toBeUndefined();
    expect(storableValue(1e15)).toBe(1e15);
    expect(gridDecimal(1e-7)).toBe('0.0000001');
    expect(gridDecimal(storableValue(1e-200) as number)).toBe('0');
  });

  test('group keys: readable when short, hashed when long; distinct values stay distinct', () => {
    expect(groupKeyOf(['203.0.113.7', 200])).toBe('["203.0.113.7","200"]');
    expect(groupKeyOf([200])).toBe(groupKeyOf(['200']));
    const a = groupKeyOf(['x'.repeat(GROUP_KEY_MAX)]);
    const b = groupKeyOf([`${'x'.repeat(GROUP_KEY_MAX)}y`]);
    expect(a).toMatch(/^#[A-Za-z0-9_-]{43}$/);
    expect(a).not.toBe(b);
    expect(storableLogId('90020250917101112223344556677889900112233445566778899')).toBe('90020250917101112223344556677889900112233445566778899');
    expect(storableLogId('x'.repeat(129))).toMatch(/^h:/);
  });
});

// The DynamoDB store through the real AWS SDK client against dynalite (in process, no Docker, no AWS):
// the store contract, the correlation scenarios, and what only a shared table can show — concurrent Lambdas
// neither lose counts nor alert twice, concurrent sweeps alert once, every item carries its TTL.

import { ScanCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Correlator } from '../../lambda/sigma/correlation';
import { DynamoDbCorrelationStore, correlationTableSchema } from '../../lambda/state/dynamodb-store';
import type { Detection } from '../../lambda/sigma/types';
import { startDynalite, type LocalDynamo } from '../helpers/dynalite';
import { LONG_RUN, testScale } from '../helpers/scale';
import { MINUTE, T0, correlationRule, defineCorrelationScenarios, detectionRule, ev } from '../sigma/correlation-scenarios';
import { defineStoreContract } from './store-contract';

let dynamo: LocalDynamo;
let clients: DynamoDBClient[];

beforeAll(async () => {
  dynamo = await startDynalite();
  // A few clients with their own connection pools, like separate Lambda instances.
  clients = [dynamo.client, dynamo.newClient(), dynamo.newClient(), dynamo.newClient()];
});

afterAll(async () => {
  await dynamo.stop();
});

const storeOn = (tableName: string, i = 0): DynamoDbCorrelationStore =>
  new DynamoDbCorrelationStore({ client: clients[i % clients.length], tableName });

defineStoreContract('dynamodb (dynalite)', async () => {
  const tableName = await dynamo.createTable();
  return { store: storeOn(tableName), peer: () => storeOn(tableName, 1) };
});

// The correlation scenarios again on dynalite: about 5 s of CPU (each is dozens of SDK calls of about 2 ms), so in
// `npm run test:long` (test/helpers/scale.ts). `npm test` runs them on the memory store (test/sigma/correlation.test.ts),
// the store contract above on dynalite, and the correlator on dynalite end to end in test/lambda/correlation-handler,
// tenant-correlation and test/reliability/faults.
(LONG_RUN ? describe : describe.skip)('on dynalite (npm run test:long)', () => {
  defineCorrelationScenarios('dynamodb (dynalite)', async () => storeOn(await dynamo.createTable()));
});

const A = detectionRule('rule-a');

describe('DynamoDB store: concurrency, sweep, TTL, call counts', () => {
  // Concurrent Lambdas on one item: 20 in `npm test`, 50 in `npm run test:long` (each costs a few dynalite calls).
  const LAMBDAS = testScale(20, 50);

  test('concurrent Lambdas on one group: the exact count and exactly one alert', async () => {
    const tableName = await dynamo.createTable();
    // The threshold reached by the last event, and one reached early (every later Lambda must see it fired).
    for (const threshold of [LAMBDAS, 10]) {
      const corr = correlationRule(`burst-${threshold}`, { type: 'event_count', rules: ['rule-a'], groupBy: ['data.ip'], condition: { gte: threshold } });
      const correlators = Array.from({ length: LAMBDAS }, (_, i) => new Correlator([A, corr], storeOn(tableName, i)));
      const results = await Promise.all(
        correlators.map((c, i) => c.processEvent(ev(i * 0.01, { ip: '203.0.113.7' }, `L${threshold}-${i}`), [{ rule: A }])),
      );
      const detections = results.flat();
      expect(detections).toHaveLength(1);
      expect(detections[0].correlation?.value).toBeGreaterThanOrEqual(threshold);
      if (threshold === LAMBDAS) expect(detections[0].correlation?.value).toBe(LAMBDAS);
      expect(detections[0].correlation?.log_ids.length).toBe(10);
      const read = await storeOn(tableName).read({ correlationId: corr.id, groupKey: JSON.stringify(['203.0.113.7']) }, -100, 1e12);
      expect(read.buckets.reduce((n, b) => n + b.count, 0)).toBe(LAMBDAS);
    }
  });

  test('racing Lambdas that all see the condition true: the conditional marker lets exactly one alert', async () => {
    const tableName = await dynamo.createTable();
    const corr = correlationRule('race', { type: 'event_count', rules: ['rule-a'], groupBy: ['data.ip'], condition: { gte: 10 } });
    // The group already holds 20 events (say, from a Lambda that crashed before it could alert): every one of the
    // racing Lambdas reads a count ≥ 10 and tries to record the alert.
    const ref = { correlationId: 'race', groupKey: JSON.stringify(['203.0.113.9']) };
    await storeOn(tableName).addAndRead(ref, Math.floor(T0 / MINUTE), { count: 20 }, 0, 0, { distinctCap: 1000, expiresAtMs: T0 });
    const correlators = Array.from({ length: LAMBDAS }, (_, i) => new Correlator([A, corr], storeOn(tableName, i)));
    // Spread over ten buckets (ten items): dynalite serialises updates of one item, which would hide the race.
    const results = await Promise.all(correlators.map((c, i) => c.processEvent(ev((i % 10) + 0.5, { ip: '203.0.113.9' }), [{ rule: A }])));
    expect(results.flat()).toHaveLength(1);
    // More than one of them did try: the store's condition, not luck, decided.
    const attempts = correlators.filter((c) => c.stats().storeCalls > 2).length;
    expect(attempts).toBeGreaterThan(1);
  });

  test('concurrent value_count updates: no distinct value lost, one alert', async () => {
    const tableName = await dynamo.createTable();
    const corr = correlationRule('spray', { type: 'value_count', rules: ['rule-a'], groupBy: ['data.ip'], condition: { gte: 30, field: 'data.user_name' } });
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => new Correlator([A, corr], storeOn(tableName, i)).processEvent(ev(0, { ip: 'x', user_name: `user${i}` }), [{ rule: A }])),
    );
    expect(results.flat()).toHaveLength(1);
    const [bucket] = (await storeOn(tableName).read({ correlationId: 'spray', groupKey: '["x"]' }, -1e12, 1e12)).buckets;
    expect(bucket.distinct).toHaveLength(40);
  });

  test('concurrent sweeps evaluate a window once and alert once', async () => {
    const tableName = await dynamo.createTable();
    const corr = correlationRule('few', { type: 'event_count', rules: ['rule-a'], groupBy: ['data.user_id'], condition: { lt: 5 } });
    const writer = new Correlator([A, corr], storeOn(tableName));
    for (let u = 0; u < 6; u++) await writer.processEvent(ev(u * 0.1, { user_id: `u${u}` }), [{ rule: A }]);
    expect(writer.stats().windowsOpened).toBe(6);
    const sweepers = Array.from({ length: 4 }, (_, i) => new Correlator([A, corr], storeOn(tableName, i)));
    const swept: Detection[] = (await Promise.all(sweepers.map((s) => s.closeWindows(T0 + 30 * MINUTE)))).flat();
    expect(swept.map((d) => d.correlation?.group['data.user_id']).sort()).toEqual(['u0', 'u1', 'u2', 'u3', 'u4', 'u5']);
    // Nothing left to sweep.
    expect(await sweepers[0].closeWindows(T0 + 60 * MINUTE)).toEqual([]);
  });

  test('the sweep never closes a window before the wall clock reaches its end', async () => {
    const tableName = await dynamo.createTable();
    let now = T0 + 5 * MINUTE;
    const store = new DynamoDbCorrelationStore({ client: dynamo.client, tableName, clock: () => now });
    const corr = correlationRule('few', { type: 'event_count', rules: ['rule-a'], condition: { lt: 5 } });
    const c = new Correlator([A, corr], store);
    await c.processEvent(ev(0), [{ rule: A }]);
    // Infinity is "now" for the Lambda: the window [0, 10) is still open at minute 5.
    expect(await c.closeWindows(Infinity)).toEqual([]);
    now = T0 + 10 * MINUTE;
    expect(await c.closeWindows(Infinity)).toHaveLength(1);
  });

  test('every item carries the TTL attribute; calls per event are counted', async () => {
    const tableName = await dynamo.createTable();
    const store = storeOn(tableName);
    const rules = [
      correlationRule('count', { type: 'event_count', rules: ['rule-a'], groupBy: ['data.ip'], condition: { gte: 3 } }),
      correlationRule('quiet', { type: 'event_count', rules: ['rule-a'], groupBy: ['data.ip'], condition: { lt: 3 } }),
      correlationRule('pct', { type: 'value_percentile', rules: ['rule-a'], groupBy: ['data.ip'], condition: { gt: 10, field: 'data.ms', percentile: 50 } }),
    ];
    const c = new Correlator([A, ...rules], store);
    for (let i = 0; i < 10; i++) await c.processEvent(ev(i, { ip: `ip${i % 2}`, ms: i * 10 }), [{ rule: A }]);
    const stats = c.stats();
    // Per event and correlation: one UpdateItem and one Query; plus one conditional write per alert and two
    // writes per window opened (index item, conditional group update).
    const expected = 10 * 3 * 2 + stats.detections + 2 * stats.windowsOpened;
    expect(stats.storeCalls).toBe(expected);
    expect(stats.storeCallsPerCorrelatedEvent).toBeCloseTo(expected / 10);
    const items = (await dynamo.client.send(new ScanCommand({ TableName: tableName }))).Items ?? [];
    expect(items.length).toBeGreaterThan(10);
    const ttlAttribute = correlationTableSchema.timeToLiveAttribute;
    for (const item of items) {
      expect(item[ttlAttribute]?.N).toMatch(/^\d+$/);
      // TTL is in epoch seconds, at least a day ahead of now (the margin) and not absurdly far.
      const ttl = Number(item[ttlAttribute]?.N);
      expect(ttl).toBeGreaterThan(Date.now() / 1000 + 86_000);
      expect(ttl).toBeLessThan(Date.now() / 1000 + 30 * 86_400);
    }
  });

  test('a full value_count bucket (1000 distinct values, the default cap) stays far below 400 KB', async () => {
    const tableName = await dynamo.createTable();
    const store = storeOn(tableName);
    const ref = { correlationId: 'big', groupKey: '["x"]' };
    const options = { distinctCap: 1000, expiresAtMs: T0 };
    // Digests as the correlator writes them: 16 base64 characters whatever the value's length.
    const digest = (i: number): string => Buffer.from(`value-${i}`.padEnd(12, '.')).toString('base64').slice(0, 16);
    for (let i = 0; i < 1000; i += 100) {
      await store.addAndRead(ref, 1, { count: 100, distinct: Array.from({ length: 100 }, (_, j) => digest(i + j)), logIds: [`log-${i}`] }, 0, 10, options);
    }
    const read = await store.addAndRead(ref, 1, { count: 1, distinct: [digest(5000)] }, 0, 10, options);
    expect(read.buckets[0]).toMatchObject({ count: 1001, saturated: true });
    expect(new Set(read.buckets[0].distinct).size).toBe(1000);
    const items = (await dynamo.client.send(new ScanCommand({ TableName: tableName }))).Items ?? [];
    const bucketItem = items.find((item) => item.sk?.S?.startsWith('B#'));
    expect(bucketItem?.v?.SS).toHaveLength(1000);
    // About 20 KB: 1000 digests of 16 bytes plus the counters.
    expect(JSON.stringify(bucketItem).length).toBeLessThan(40_000);
  });
});

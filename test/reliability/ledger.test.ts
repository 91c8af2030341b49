// The delivery ledger and the exactly-once sink against dynalite (a real DynamoDB API implementation, in process).

import { DeliveryError } from '../../lambda/notify/delivery-error';
import type { DetectionItem, DetectionSink } from '../../lambda/pipeline-types';
import { ClaimHeldError, ExactlyOnceSink } from '../../lambda/reliability/exactly-once-sink';
import { DeliveryLedger, detectionKey, LEDGER_TTL_SECONDS } from '../../lambda/reliability/ledger';
import type { Detection } from '../../lambda/sigma/types';
import { startDynalite, type LocalDynamo } from '../helpers/dynalite';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';

let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(async () => {
  await dynamo.stop();
});

const rule = (id: string, level: Detection['rule']['level'] = 'high') => ({ id, title: `Rule ${id}`, level, tags: [] });
const single = (ruleId: string, logId: string): Detection => ({ rule: rule(ruleId), log_id: logId, date: '2026-03-01T00:00:00Z' });
const correlation = (ruleId: string, group: Record<string, string>, start: string, end: string): Detection => ({
  rule: rule(ruleId),
  correlation: { type: 'event_count', group, value: 11, window: { start, end }, rules: ['r'], log_ids: ['a'] },
});

async function freshLedger(clock?: () => number, owner?: string): Promise<{ ledger: DeliveryLedger; table: string }> {
  const table = await dynamo.createTable();
  return { ledger: new DeliveryLedger({ client: dynamo.client, tableName: table, clock, owner }), table };
}

describe('detectionKey', () => {
  test('single-event: rule id and log_id; correlation: rule, group (any key order) and window', () => {
    expect(detectionKey(single('r1', 'L1'))).toBe('R#r1#L#L1');
    expect(detectionKey(single('r1', 'L1'))).not.toBe(detectionKey(single('r2', 'L1')));
    const a = correlation('c1', { 'data.ip': '192.0.2.1', 'data.user_id': 'u' }, '2026-03-01T00:00:00.000Z', '2026-03-01T01:00:00.000Z');
    const b = correlation('c1', { 'data.user_id': 'u', 'data.ip': '192.0.2.1' }, '2026-03-01T00:00:00.000Z', '2026-03-01T01:00:00.000Z');
    const later = correlation('c1', { 'data.ip': '192.0.2.1', 'data.user_id': 'u' }, '2026-03-01T00:06:00.000Z', '2026-03-01T01:06:00.000Z');
    expect(detectionKey(a)).toBe(detectionKey(b));
    expect(detectionKey(a)).not.toBe(detectionKey(later));
    expect(detectionKey(a).startsWith('C#c1#G#')).toBe(true);
  });

  test('odd or huge ids are hashed, so keys stay short and safe', () => {
    const key = detectionKey(single('r#1', 'x'.repeat(5000)));
    expect(key.length).toBeLessThan(120);
    expect(detectionKey(single('r#1', 'x'.repeat(5000)))).toBe(key);
    expect(detectionKey(single('r#1', 'x'.repeat(4999)))).not.toBe(key);
  });

  test('an event without log_id is keyed by its content', () => {
    const d1: Detection = { rule: rule('r'), date: '2026-01-01T00:00:00Z', type: 'f', ip: '192.0.2.1' };
    const d2: Detection = { ...d1, ip: '192.0.2.2' };
    expect(detectionKey(d1)).toBe(detectionKey({ ...d1 }));
    expect(detectionKey(d1)).not.toBe(detectionKey(d2));
  });
});

describe('DeliveryLedger', () => {
  test('claim, held by a live lease, sent: then done for everyone', async () => {
    const { ledger, table } = await freshLedger();
    const other = new DeliveryLedger({ client: dynamo.newClient(), tableName: table });
    expect(await ledger.claim('k1', 'sns')).toEqual({ state: 'claimed' });
    expect((await other.claim('k1', 'sns')).state).toBe('held');
    // Destinations are independent.
    expect(await other.claim('k1', 'eventbridge')).toEqual({ state: 'claimed' });
    await ledger.markSent('k1', 'sns');
    expect(await other.claim('k1', 'sns')).toEqual({ state: 'done', status: 'sent' });
    expect(await ledger.status('k1', 'sns')).toBe('sent');
    expect(await ledger.status('k1', 'eventbridge')).toBe('pending');
  });

  test('every item carries a TTL longer than the retry horizon', async () => {
    const now = Date.parse('2026-03-01T00:00:00Z');
    const { ledger, table } = await freshLedger(() => now);
    await ledger.claim('k', 'sns');
    await ledger.markSent('k', 'sns');
    const item = await dynamo.client.send(new GetItemCommand({ TableName: table, Key: { pk: { S: 'N#k' }, sk: { S: 'sns' } } }));
    const ttl = Number(item.Item?.expiresAt?.N);
    expect(ttl).toBe(now / 1000 + LEDGER_TTL_SECONDS);
    // 4 h EventBridge + 6 h Lambda + 14 days in the dead-letter queue.
    expect(LEDGER_TTL_SECONDS).toBeGreaterThan(14 * 86_400 + 10 * 3600);
  });

  test('release lets the retry claim at once; an expired lease lets anyone claim', async () => {
    let now = 1_000_000;
    const { ledger, table } = await freshLedger(() => now, 'first');
    const retry = new DeliveryLedger({ client: dynamo.client, tableName: table, clock: () => now, owner: 'second' });
    await ledger.claim('a', 'sns');
    await ledger.release('a', 'sns');
    expect(await retry.claim('a', 'sns')).toEqual({ state: 'claimed' });
    // `first` cannot release `second`'s claim.
    await ledger.release('a', 'sns');
    expect((await ledger.claim('a', 'sns')).state).toBe('held');
    now += retry.leaseMs + 1;
    expect(await ledger.claim('a', 'sns')).toEqual({ state: 'claimed' });
  });

  test('30 concurrent claims from separate clients: exactly one wins', async () => {
    const { table } = await freshLedger();
    const ledgers = Array.from({ length: 30 }, (_, i) => new DeliveryLedger({ client: dynamo.newClient(), tableName: table, owner: `o${i}` }));
    const results = await Promise.all(ledgers.map((l) => l.claim('hot', 'eventbridge')));
    expect(results.filter((r) => r.state === 'claimed')).toHaveLength(1);
    expect(results.filter((r) => r.state === 'held')).toHaveLength(29);
  });

  test('a recorded storm decision survives a release and comes back with the next claim', async () => {
    const { ledger, table } = await freshLedger(undefined, 'one');
    await ledger.claim('d', 'sns');
    await ledger.recordChannels('d', 'sns', ['email']);
    await ledger.release('d', 'sns');
    const again = new DeliveryLedger({ client: dynamo.client, tableName: table, owner: 'two' });
    expect(await again.claim('d', 'sns')).toEqual({ state: 'claimed', channels: ['email'] });
    await again.recordChannels('d', 'sns', []);
    await again.release('d', 'sns');
    expect(await ledger.claim('d', 'sns')).toEqual({ state: 'claimed', channels: [] });
  });

  test('outbox: saved detections are listed once old enough, and gone when cleared', async () => {
    let now = 5_000_000;
    const { ledger } = await freshLedger(() => now);
    const d = correlation('c', { 'data.ip': '192.0.2.9' }, '2026-03-01T00:00:00.000Z', '2026-03-01T01:00:00.000Z');
    const key = await ledger.saveOutbox(d, JSON.stringify(d));
    expect(await ledger.pendingOutbox(now)).toEqual([]);
    now += 1000;
    const pending = await ledger.pendingOutbox(now);
    expect(pending).toEqual([{ key, detection: d, createdAt: 5_000_000 }]);
    await ledger.clearOutbox(key);
    expect(await ledger.pendingOutbox(now)).toEqual([]);
  });

  test('event markers: a log_id fed to correlation is remembered with the detections it produced', async () => {
    const { ledger } = await freshLedger();
    expect(await ledger.correlatedEvent('log-1')).toBeUndefined();
    await ledger.markEventCorrelated('log-1');
    expect(await ledger.correlatedEvent('log-1')).toEqual([]);
    const d = correlation('c', { 'data.ip': '192.0.2.9' }, '2026-03-01T00:00:00.000Z', '2026-03-01T01:00:00.000Z');
    await ledger.markEventCorrelated('log-2', [JSON.stringify(d)]);
    expect(await ledger.correlatedEvent('log-2')).toEqual([d]);
    expect(await ledger.correlatedEvent('log-3')).toBeUndefined();
  });
});

/** A sink that records what it was given and fails on demand (by item index). */
class RecordingSink implements DetectionSink {
  readonly sent: string[] = [];
  failKeys = new Set<string>();
  throwAll = false;
  constructor(readonly name: string) {}
  async deliver(items: DetectionItem[]): Promise<void> {
    if (this.throwAll) throw new Error('ThrottlingException: Rate exceeded');
    const failures: { ruleId: string; logId?: string; error: string }[] = [];
    for (const item of items) {
      const k = detectionKey(item.detection);
      if (this.failKeys.has(k)) failures.push({ ruleId: item.detection.rule.id, logId: item.detection.log_id, error: 'InternalFailure' });
      else this.sent.push(k);
    }
    if (failures.length) throw new DeliveryError(this.name, failures);
  }
}

describe('ExactlyOnceSink', () => {
  const items = (): DetectionItem[] => [single('r1', 'L1'), single('r2', 'L1'), single('r3', 'L1')].map((detection) => ({ detection }));

  test('a partial failure retries only the failed item; a duplicate delivery sends nothing', async () => {
    const { table } = await freshLedger();
    const inner = new RecordingSink('eventbridge');
    inner.failKeys.add('R#r2#L#L1');
    const attempt1 = new ExactlyOnceSink(inner, new DeliveryLedger({ client: dynamo.client, tableName: table }));
    await expect(attempt1.deliver(items())).rejects.toBeInstanceOf(DeliveryError);
    expect(inner.sent).toEqual(['R#r1#L#L1', 'R#r3#L#L1']);
    inner.failKeys.clear();
    const attempt2 = new ExactlyOnceSink(inner, new DeliveryLedger({ client: dynamo.client, tableName: table }));
    await attempt2.deliver(items());
    expect(inner.sent).toEqual(['R#r1#L#L1', 'R#r3#L#L1', 'R#r2#L#L1']);
    expect(attempt2.stats).toMatchObject({ sent: 1, duplicates: 2 });
    const duplicate = new ExactlyOnceSink(inner, new DeliveryLedger({ client: dynamo.client, tableName: table }));
    await duplicate.deliver(items());
    expect(inner.sent).toHaveLength(3);
    expect(duplicate.stats).toMatchObject({ sent: 0, duplicates: 3 });
  });

  test('a thrown call (throttling) releases every item for the retry', async () => {
    const { table } = await freshLedger();
    const inner = new RecordingSink('sns');
    inner.throwAll = true;
    await expect(new ExactlyOnceSink(inner, new DeliveryLedger({ client: dynamo.client, tableName: table })).deliver(items())).rejects.toThrow('Throttling');
    inner.throwAll = false;
    await new ExactlyOnceSink(inner, new DeliveryLedger({ client: dynamo.client, tableName: table })).deliver(items());
    expect(inner.sent).toHaveLength(3);
  });

  test('items another invocation holds are not sent and make the invocation fail (retry later)', async () => {
    const { table } = await freshLedger();
    const holder = new DeliveryLedger({ client: dynamo.client, tableName: table, owner: 'holder' });
    await holder.claim('R#r2#L#L1', 'sns');
    const inner = new RecordingSink('sns');
    const sink = new ExactlyOnceSink(inner, new DeliveryLedger({ client: dynamo.client, tableName: table }));
    await expect(sink.deliver(items())).rejects.toBeInstanceOf(ClaimHeldError);
    expect(inner.sent).toEqual(['R#r1#L#L1', 'R#r3#L#L1']);
  });

});

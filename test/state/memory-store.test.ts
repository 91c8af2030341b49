// The memory store (scan, test): the store contract, plus its own memory bound (purgeExpired).

import { MemoryCorrelationStore } from '../../lambda/sigma/correlation-store';
import { defineStoreContract } from './store-contract';

defineStoreContract('memory', async () => {
  const store = new MemoryCorrelationStore();
  return { store, peer: () => store };
});

describe('MemoryCorrelationStore.purgeExpired', () => {
  test('drops buckets and groups whose expiry passed, keeps the rest', async () => {
    const store = new MemoryCorrelationStore();
    const a = { correlationId: 'c', groupKey: '["a"]' };
    const b = { correlationId: 'c', groupKey: '["b"]' };
    await store.addAndRead(a, 1, { count: 1 }, 0, 10, { distinctCap: 10, expiresAtMs: 1000 });
    await store.addAndRead(a, 2, { count: 1 }, 0, 10, { distinctCap: 10, expiresAtMs: 3000 });
    await store.addAndRead(b, 1, { count: 1 }, 0, 10, { distinctCap: 10, expiresAtMs: 1500 });
    await store.purgeExpired(1200);
    // Group a lives on (bucket 2 is needed until 3000) but its expired bucket 1 is gone.
    expect(store.groupCount()).toBe(2);
    expect((await store.read(a, 0, 10)).buckets.map((x) => x.bucket)).toEqual([2]);
    await store.purgeExpired(2000);
    expect(store.groupCount()).toBe(1);
    await store.purgeExpired(3001);
    expect(store.groupCount()).toBe(0);
    expect(await store.read(a, 0, 10)).toEqual({ buckets: [], state: {} });
  });
});

describe('MemoryCorrelationStore limits (scan over millions of groups degrades instead of running out of memory)', () => {
  const ref = (i: number): { correlationId: string; groupKey: string } => ({ correlationId: 'c', groupKey: JSON.stringify([`10.0.0.${i}`]) });
  const add = (store: MemoryCorrelationStore, i: number, expiresAtMs: number, extra: object = {}): Promise<unknown> =>
    store.addAndRead(ref(i), 1, { count: 1, logIds: [`log-${i}`], ...extra }, 0, 10, { distinctCap: 1000, expiresAtMs });

  test('the group cap evicts the least recently fed group, never the one being written, and reports once', async () => {
    const reached: string[] = [];
    const store = new MemoryCorrelationStore({ maxGroups: 3, onLimitReached: (limit) => reached.push(limit) });
    await add(store, 1, 1000);
    await add(store, 2, 2000);
    await add(store, 3, 3000);
    await add(store, 1, 4000); // group 1 fed again: now the most recent
    expect(reached).toEqual([]);
    await add(store, 4, 5000); // a fourth group: group 2 (oldest expiry) goes
    await add(store, 5, 6000); // then group 3
    expect(reached).toEqual(['groups']);
    expect(store.groupCount()).toBe(3);
    expect((await store.read(ref(2), 0, 10)).buckets).toEqual([]);
    expect((await store.read(ref(3), 0, 10)).buckets).toEqual([]);
    expect((await store.read(ref(1), 0, 10)).buckets[0].count).toBe(2);
    expect(store.limitStats()).toMatchObject({ groups: 3, maxGroups: 3, evictedGroups: 2, limitReached: 'groups' });
  });

  test('the byte cap evicts old groups as state grows; the group growing is kept', async () => {
    const store = new MemoryCorrelationStore({ maxBytes: 20_000 });
    for (let i = 0; i < 10; i++) await add(store, i, 1000 + i);
    const before = store.limitStats();
    expect(before.evictedGroups).toBe(0);
    // One group grows by distinct values until the cap is passed: the others go, it stays.
    const distinct = Array.from({ length: 200 }, (_, k) => `digest-${String(k).padStart(8, '0')}`);
    await store.addAndRead(ref(9), 1, { count: 1, distinct }, 0, 10, { distinctCap: 1000, expiresAtMs: 5000 });
    const after = store.limitStats();
    expect(after.limitReached).toBe('bytes');
    expect(after.evictedGroups).toBeGreaterThan(0);
    // The growing group alone is above the cap here: every other group went, it stayed.
    expect(after.groups).toBe(1);
    expect(after.evictedGroups).toBe(9);
    expect((await store.read(ref(9), 0, 10)).buckets[0].distinct).toHaveLength(200);
  });

  test('the estimate follows purges and completed windows back down', async () => {
    const store = new MemoryCorrelationStore();
    for (let i = 0; i < 5; i++) await add(store, i, 1000);
    const window = { correlationId: 'c', groupKey: ref(0).groupKey, group: { 'data.ip': '10.0.0.0' }, startBucket: 1, buckets: 10, closeAt: 500 };
    await store.tryOpenWindow(window, 1000);
    expect(store.limitStats().bytes).toBeGreaterThan(5 * 500);
    await store.completeWindow(window);
    await store.purgeExpired(2000);
    expect(store.limitStats()).toMatchObject({ groups: 0, bytes: 0 });
  });

  test("an evicted group's open window is dropped: an at-close condition is never evaluated on no data", async () => {
    const store = new MemoryCorrelationStore({ maxGroups: 1 });
    const window = { correlationId: 'c', groupKey: ref(1).groupKey, group: { 'data.ip': '10.0.0.1' }, startBucket: 1, buckets: 10, closeAt: 500 };
    await add(store, 1, 1000);
    expect(await store.tryOpenWindow(window, 1000)).toBe(true);
    await add(store, 2, 2000);
    expect(await store.dueWindows(10_000, 10)).toEqual([]);
    expect(store.limitStats().evictedGroups).toBe(1);
  });

  test('limits must be positive integers', () => {
    expect(() => new MemoryCorrelationStore({ maxGroups: 0 })).toThrow(RangeError);
    expect(() => new MemoryCorrelationStore({ maxBytes: -1 })).toThrow(RangeError);
    expect(() => new MemoryCorrelationStore({ maxGroups: 1.5 })).toThrow(RangeError);
  });
});

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

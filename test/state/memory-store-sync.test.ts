// The memory store's synchronous interface (the correlator's fast path reads the live group state it returns):
// the same store contract as its asynchronous interface, through an adapter that turns that state into reads, with
// and without the running count; and the running count itself against a sum over the buckets.

import fc from 'fast-check';
import {
  MemoryCorrelationStore, memoryGroupId, type BucketAdd, type BucketState, type CorrelationStore, type GroupRead, type GroupRef,
  type MemoryGroupView, type OpenWindow, type StoreStats,
} from '../../lambda/sigma/correlation-store';
import { testScale } from '../helpers/scale';
import { defineStoreContract } from './store-contract';

/** A read of [from, to] made from the live state, as addAndRead/read copy it. */
function readView(view: MemoryGroupView | undefined, from: number, to: number): GroupRead {
  if (!view) return { buckets: [], state: {} };
  const buckets: BucketState[] = [];
  for (const [bucket, b] of view.buckets) {
    if (bucket < from || bucket > to) continue;
    buckets.push({
      bucket,
      count: b.count,
      sum: b.sum,
      distinct: [...(b.distinct ?? [])],
      saturated: b.saturated,
      rules: [...(b.rules ?? [])].sort((x, y) => x - y),
      ruleTimes: Object.fromEntries([...(b.ruleTimes ?? [])].map(([rule, times]) => [rule, [...times].sort((x, y) => x - y)])),
      sketch: Object.fromEntries(b.sketch ?? []),
      logIds: (b.logIdSlots ?? []).filter((x): x is string => x !== undefined),
    });
  }
  buckets.sort((x, y) => x.bucket - y.bucket);
  return { buckets, state: { ...view.state } };
}

/** The CorrelationStore interface on the synchronous methods only. */
class SyncInterface implements CorrelationStore {
  constructor(private readonly store: MemoryCorrelationStore, private readonly span: number) {}
  async addAndRead(ref: GroupRef, bucket: number, add: BucketAdd, from: number, to: number, options: { distinctCap: number; expiresAtMs: number }): Promise<GroupRead> {
    return readView(this.store.addSync(ref, bucket, add, options, memoryGroupId(ref), this.span), from, to);
  }
  async read(ref: GroupRef, from: number, to: number): Promise<GroupRead> {
    return readView(this.store.readSync(memoryGroupId(ref)), from, to);
  }
  async tryFire(ref: GroupRef, startBucket: number, endBucket: number, expiresAtMs: number): Promise<boolean> {
    return this.store.tryFireSync(ref, startBucket, endBucket, expiresAtMs, memoryGroupId(ref));
  }
  async tryOpenWindow(window: OpenWindow, expiresAtMs: number): Promise<boolean> {
    return this.store.tryOpenWindowSync(window, expiresAtMs);
  }
  async dueWindows(upTo: number, limit: number): Promise<OpenWindow[]> {
    return this.store.dueWindowsSync(upTo, limit);
  }
  async completeWindow(window: OpenWindow): Promise<void> {
    this.store.completeWindowSync(window);
  }
  async purgeExpired(before: number): Promise<void> {
    this.store.purgeExpiredSync(before);
  }
  stats(): StoreStats {
    return this.store.stats();
  }
}

defineStoreContract('memory, synchronous interface', async () => {
  const store = new SyncInterface(new MemoryCorrelationStore(), 0);
  return { store, peer: () => store };
});

defineStoreContract('memory, synchronous interface with a running count', async () => {
  const store = new SyncInterface(new MemoryCorrelationStore(), 10);
  return { store, peer: () => store };
});

describe('MemoryCorrelationStore running count (event_count windows ending at the newest bucket)', () => {
  type Op = { kind: 'add'; bucket: number; span: number } | { kind: 'purge'; before: number };
  const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 8, arbitrary: fc.record({ kind: fc.constant('add' as const), bucket: fc.integer({ min: 0, max: 60 }), span: fc.constantFrom(10, 10, 10, 3, 0) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('purge' as const), before: fc.integer({ min: 0, max: 80 }) }) },
  );

  test('property: after any adds (in order, late, far ahead), purges and span changes it equals the sum over the buckets', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: testScale(60, 300) }), (ops) => {
        const store = new MemoryCorrelationStore();
        const ref = { correlationId: 'c', groupKey: '["g"]' };
        const id = memoryGroupId(ref);
        let newest = -Infinity;
        for (const o of ops) {
          if (o.kind === 'purge') {
            store.purgeExpiredSync(o.before);
            if (store.groupCount() === 0) newest = -Infinity;
            continue;
          }
          // A bucket expires 5 buckets after its index: purges drop old buckets, sometimes ones inside the span.
          const view = store.addSync(ref, o.bucket, { count: 1 }, { distinctCap: 10, expiresAtMs: o.bucket + 5 }, id, o.span);
          newest = Math.max(newest, o.bucket);
          expect(view.newestBucket).toBe(newest);
          expect(view.span).toBe(o.span);
          if (o.span === 0) continue;
          let expected = 0;
          for (const [bucket, b] of view.buckets) if (bucket > view.newestBucket - o.span && bucket <= view.newestBucket) expected += b.count;
          expect(view.spanCount).toBe(expected);
        }
        const view = store.readSync(id);
        if (view && view.span > 0) {
          let expected = 0;
          for (const [bucket, b] of view.buckets) if (bucket > view.newestBucket - view.span) expected += b.count;
          expect(view.spanCount).toBe(expected);
        }
      }),
      { numRuns: testScale(300, 3000) },
    );
  });
});

// The memory store's synchronous interface (the correlator's fast path reads the live group state it returns):
// the same store contract as its asynchronous interface, through an adapter that turns that state into reads, with
// and without the running count; and the running count itself against a sum over the buckets.

import fc from 'fast-check';
import {
  LOG_ID_SLOTS, MemoryCorrelationStore, distinctItems, logIdItems, logIdSlot, memoryGroupId, ruleItems, type BucketAdd, type BucketState, type CorrelationStore,
  type GroupRead, type GroupRef, type GroupState, type MemoryGroupView, type OpenWindow, type StoreStats,
} from '../../lambda/sigma/correlation-store';
import { testScale } from '../helpers/scale';
import { defineStoreContract } from './store-contract';

/** A read of [from, to] made from the live state, as addAndRead/read copy it. */
function readView(view: MemoryGroupView | undefined, from: number, to: number): GroupRead {
  if (!view) return { buckets: [], state: {} };
  const buckets: BucketState[] = [];
  for (const b of view.bucketList()) {
    if (b.index < from || b.index > to) continue;
    expect(view.bucket(b.index)).toBe(b);
    buckets.push({
      bucket: b.index,
      count: b.count,
      sum: b.sum,
      distinct: [...distinctItems(b.distinct)],
      saturated: b.saturated,
      rules: ruleItems(b.rules),
      ruleTimes: Object.fromEntries([...(b.ruleTimes ?? [])].map(([rule, times]) => [rule, [...times].sort((x, y) => x - y)])),
      sketch: Object.fromEntries(b.sketch ?? []),
      logIds: logIdItems(b.logIds),
    });
  }
  buckets.sort((x, y) => x.bucket - y.bucket);
  const state: GroupState = {};
  if (view.firedEnd !== undefined) state.firedEnd = view.firedEnd;
  if (view.windowStart !== undefined) state.windowStart = view.windowStart;
  return { buckets, state };
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
          for (const b of view.bucketList()) if (b.index > view.newestBucket - o.span && b.index <= view.newestBucket) expected += b.count;
          expect(view.spanCount).toBe(expected);
        }
        const view = store.readSync(id);
        if (view && view.span > 0) {
          let expected = 0;
          for (const b of view.bucketList()) if (b.index > view.newestBucket - view.span) expected += b.count;
          expect(view.spanCount).toBe(expected);
        }
      }),
      { numRuns: testScale(300, 3000) },
    );
  });
});

describe('MemoryCorrelationStore compact buckets (one digest, rule index or log_id held as itself)', () => {
  // The estimate as correlation-store.ts computes it (MEMORY_COST), here over plain sets: a group 500 + its id, a
  // bucket 200 from its creation (subtracted again when a purge drops it alone), a collection 180 when its first
  // item comes, 40 per digest or rule entry, a string 32 + 2 per character. Holding one item without a collection
  // must change neither the state read nor this figure.
  const str = (s: string): number => 32 + 2 * s.length;
  interface ModelBucket { bytes: number; expiresAt: number; distinct?: Set<string>; saturated: boolean; rules?: Set<number>; slots?: (string | undefined)[] }
  type Op =
    | { kind: 'add'; bucket: number; distinct?: string[]; rules?: number[]; logIds?: string[] }
    | { kind: 'purge'; before: number };
  const LOG_POOL = Array.from({ length: 48 }, (_, i) => `log-${i}`); // 48 ids over 32 slots: some share a slot
  const op: fc.Arbitrary<Op> = fc.oneof(
    {
      weight: 9,
      arbitrary: fc.record(
        {
          kind: fc.constant('add' as const),
          bucket: fc.integer({ min: 0, max: 3 }),
          distinct: fc.array(fc.constantFrom('d1', 'd2', 'd3', 'd4'), { maxLength: 3 }),
          rules: fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 }),
          logIds: fc.array(fc.constantFrom(...LOG_POOL), { maxLength: 4 }),
        },
        { requiredKeys: ['kind', 'bucket'] },
      ),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('purge' as const), before: fc.integer({ min: 0, max: 10 }) }) },
  );

  test('property: the same reads, saturation and byte estimate as sets of every item', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: testScale(40, 200) }), fc.integer({ min: 0, max: 3 }), (ops, cap) => {
        const store = new MemoryCorrelationStore();
        const ref = { correlationId: 'c', groupKey: '["g"]' };
        const id = memoryGroupId(ref);
        let model = new Map<number, ModelBucket>();
        let groupAlive = false;
        let total = 0;
        // The group's expiry, and the expiry its entry in the store's expiry heap was pushed with: a purge looks at
        // the group's buckets only once that entry is due (then drops the whole group if it expired).
        let groupExpires = -1;
        let heapKey = -1;
        for (const o of ops) {
          if (o.kind === 'purge') {
            store.purgeExpiredSync(o.before);
            if (groupAlive && heapKey < o.before) {
              if (groupExpires < o.before) {
                groupAlive = false;
                model = new Map();
                total = 0;
              } else {
                for (const [index, b] of model) {
                  if (b.expiresAt >= o.before) continue;
                  model.delete(index);
                  total -= b.bytes;
                }
                heapKey = groupExpires;
              }
            }
            expect(store.groupCount()).toBe(groupAlive ? 1 : 0);
          } else {
            // A bucket expires 5 after its index, so purges drop some buckets and, at times, the group.
            const expiresAtMs = o.bucket + 5;
            store.addSync(ref, o.bucket, { count: 1, distinct: o.distinct, rules: o.rules, logIds: o.logIds }, { distinctCap: cap, expiresAtMs }, id, 0);
            if (!groupAlive) {
              total = 500 + str(id);
              groupExpires = heapKey = expiresAtMs;
            }
            groupExpires = Math.max(groupExpires, expiresAtMs);
            groupAlive = true;
            let b = model.get(o.bucket);
            const created = !b;
            if (!b) model.set(o.bucket, (b = { bytes: 200, expiresAt: expiresAtMs, saturated: false }));
            const before = created ? 0 : b.bytes;
            b.expiresAt = Math.max(b.expiresAt, expiresAtMs);
            if (o.distinct && o.distinct.length > 0) {
              if (!b.distinct) {
                b.distinct = new Set();
                b.bytes += 180;
              }
              if (b.distinct.size >= cap) b.saturated = true;
              else for (const d of o.distinct) if (!b.distinct.has(d)) (b.distinct.add(d), (b.bytes += 40 + str(d)));
            }
            if (o.rules) {
              if (!b.rules) {
                b.rules = new Set();
                b.bytes += 180;
              }
              for (const r of o.rules) if (!b.rules.has(r)) (b.rules.add(r), (b.bytes += 40));
            }
            if (o.logIds && o.logIds.length > 0) {
              if (!b.slots) {
                b.slots = new Array(LOG_ID_SLOTS);
                b.bytes += 180;
              }
              for (const logId of o.logIds) {
                const slot = logIdSlot(logId);
                if (b.slots[slot] === undefined) (b.slots[slot] = logId), (b.bytes += str(logId));
              }
            }
            total += b.bytes - before;
          }
          expect(store.limitStats().bytes).toBe(groupAlive ? total : 0);
          const read = readView(store.readSync(id), 0, 10);
          expect(read.buckets).toEqual(
            [...model.entries()].sort((x, y) => x[0] - y[0]).map(([index, b]) => ({
              bucket: index,
              count: expect.any(Number),
              sum: 0,
              distinct: b.distinct ? [...b.distinct] : [],
              saturated: b.saturated,
              rules: b.rules ? [...b.rules].sort((x, y) => x - y) : [],
              ruleTimes: {},
              sketch: {},
              logIds: b.slots ? b.slots.filter((x): x is string => x !== undefined) : [],
            })),
          );
        }
      }),
      { numRuns: testScale(300, 3000) },
    );
  });
});

describe('MemoryCorrelationStore purge at the end of input (purgeExpiredSync(Infinity))', () => {
  const add = fc.record({ group: fc.integer({ min: 0, max: 12 }), bucket: fc.integer({ min: 0, max: 40 }), window: fc.boolean() });

  test('property: the same state as the heap walk that drops the groups one by one', () => {
    fc.assert(
      fc.property(fc.array(add, { minLength: 1, maxLength: testScale(60, 300) }), fc.integer({ min: 2, max: 8 }), fc.integer({ min: 0, max: 30 }), (adds, maxGroups, purgeFirst) => {
        // Two stores fed alike (small caps, so some groups are evicted and leave stale heap entries); then one is
        // purged with Infinity (one pass), the other with the largest finite time (the heap walk).
        const stores = [new MemoryCorrelationStore({ maxGroups }), new MemoryCorrelationStore({ maxGroups })];
        for (const store of stores) {
          for (const a of adds) {
            const ref = { correlationId: 'c', groupKey: JSON.stringify([`g${a.group}`]) };
            store.addSync(ref, a.bucket, { count: 1, logIds: [`log-${a.bucket}`] }, { distinctCap: 3, expiresAtMs: a.bucket + 10 }, memoryGroupId(ref), 0);
            if (a.window) store.tryOpenWindowSync({ ...ref, group: { 'data.ip': `g${a.group}` }, startBucket: a.bucket, buckets: 10, closeAt: a.bucket + 10 }, a.bucket + 10);
          }
          store.purgeExpiredSync(purgeFirst);
        }
        stores[0].purgeExpiredSync(Infinity);
        stores[1].purgeExpiredSync(Number.MAX_VALUE);
        expect(stores[0].groupCount()).toBe(0);
        expect(stores[0].limitStats()).toEqual(stores[1].limitStats());
        // Open windows stay (closeWindows completes them); both stores return the same ones.
        expect(stores[0].dueWindowsSync(Infinity, 1000)).toEqual(stores[1].dueWindowsSync(Infinity, 1000));
        // And both go on alike, past the group cap (eviction walks the least-recently-fed list the purge emptied).
        for (let i = 0; i < maxGroups + 2; i++) {
          const ref = { correlationId: 'c', groupKey: JSON.stringify([`again${i}`]) };
          for (const store of stores) store.addSync(ref, 1, { count: 1 }, { distinctCap: 3, expiresAtMs: 11 }, memoryGroupId(ref), 0);
          expect(stores[0].limitStats()).toEqual(stores[1].limitStats());
        }
      }),
      { numRuns: testScale(200, 2000) },
    );
  });

  test('a group that never expires stays (the heap walk decides)', () => {
    const store = new MemoryCorrelationStore();
    const forever = { correlationId: 'c', groupKey: '["forever"]' };
    const once = { correlationId: 'c', groupKey: '["once"]' };
    store.addSync(forever, 1, { count: 1 }, { distinctCap: 3, expiresAtMs: Infinity }, memoryGroupId(forever), 0);
    store.addSync(once, 1, { count: 1 }, { distinctCap: 3, expiresAtMs: 5 }, memoryGroupId(once), 0);
    store.purgeExpiredSync(Infinity);
    expect(store.groupCount()).toBe(1);
    expect(store.readSync(memoryGroupId(forever))?.bucket(1)?.count).toBe(1);
    expect(store.readSync(memoryGroupId(once))).toBeUndefined();
  });
});

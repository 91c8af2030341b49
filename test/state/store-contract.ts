// The contract every CorrelationStore honours. Run against the memory store (memory-store.test.ts) and the
// DynamoDB store on dynalite (dynamodb-store.test.ts): the correlator relies on exactly these behaviours.

import { testScale } from '../helpers/scale';
import { LOG_ID_SLOTS, type CorrelationStore, type GroupRef, type OpenWindow } from '../../lambda/sigma/correlation-store';

export interface StoreHandle {
  store: CorrelationStore;
  /** A second store on the same state (another Lambda instance); the memory store returns itself. */
  peer(): CorrelationStore;
}

const T = Date.parse('2026-03-01T00:00:00Z');
const EXPIRES = T + 3_600_000;
const opts = { distinctCap: 5, expiresAtMs: EXPIRES };

let refCounter = 0;
const freshRef = (): GroupRef => ({ correlationId: `corr-${++refCounter}`, groupKey: JSON.stringify([`g${refCounter}`]) });

function window(ref: GroupRef, startBucket: number, closeAt: number): OpenWindow {
  return { ...ref, group: { 'data.ip': '192.0.2.1' }, startBucket, buckets: 10, closeAt };
}

export function defineStoreContract(name: string, open: () => Promise<StoreHandle>): void {
  describe(`CorrelationStore contract: ${name}`, () => {
    let handle: StoreHandle;
    beforeEach(async () => {
      handle = await open();
    });

    test('adds accumulate per bucket; reads return the buckets in range, ascending, with everything added', async () => {
      const { store } = handle;
      const ref = freshRef();
      await store.addAndRead(ref, 12, { count: 1, sum: 2.5, rules: [0], logIds: ['a'] }, 0, 100, opts);
      await store.addAndRead(ref, 10, { count: 2, sum: -1, rules: [1], ruleTimes: { 1: [1003, 1001] }, logIds: ['b'] }, 0, 100, opts);
      await store.addAndRead(ref, 12, { count: 1, rules: [0, 2], ruleTimes: { 0: [1250] }, sketch: { p5: 2, z: 1 }, logIds: ['c'] }, 0, 100, opts);
      const read = await store.addAndRead(ref, 13, { count: 1, sketch: { 'n-3': 1 } }, 10, 12, opts);
      expect(read.buckets.map((b) => b.bucket)).toEqual([10, 12]);
      const [b10, b12] = read.buckets;
      expect(b10).toMatchObject({ count: 2, sum: -1, rules: [1], ruleTimes: { 1: [1001, 1003] }, logIds: ['b'], saturated: false, distinct: [] });
      expect(b12).toMatchObject({ count: 2, sum: 2.5, rules: [0, 2], ruleTimes: { 0: [1250] }, sketch: { p5: 2, z: 1 } });
      expect([...b12.logIds].sort()).toEqual(['a', 'c']);
      const all = await store.read(ref, 0, 100);
      expect(all.buckets.map((b) => [b.bucket, b.count])).toEqual([[10, 2], [12, 2], [13, 1]]);
      expect(all.buckets[2].sketch).toEqual({ 'n-3': 1 });
    });

    test('groups and correlations are isolated; an unknown group reads empty', async () => {
      const { store } = handle;
      const ref = freshRef();
      await store.addAndRead(ref, 1, { count: 3 }, 0, 10, opts);
      await store.addAndRead({ ...ref, groupKey: '["other"]' }, 1, { count: 5 }, 0, 10, opts);
      await store.addAndRead({ ...ref, correlationId: `${ref.correlationId}-x` }, 1, { count: 7 }, 0, 10, opts);
      expect((await store.read(ref, 0, 10)).buckets.map((b) => b.count)).toEqual([3]);
      expect(await store.read(freshRef(), 0, 10)).toEqual({ buckets: [], state: {} });
    });

    test('distinct values: a set, capped per bucket; a further value marks the bucket saturated, counts go on', async () => {
      const { store } = handle;
      const ref = freshRef();
      for (const v of ['a', 'b', 'a', 'c', 'd', 'e']) await store.addAndRead(ref, 1, { count: 1, distinct: [v] }, 0, 10, opts);
      let read = await store.read(ref, 0, 10);
      expect([...read.buckets[0].distinct].sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
      expect(read.buckets[0].saturated).toBe(false);
      read = await store.addAndRead(ref, 1, { count: 1, distinct: ['f'] }, 0, 10, opts);
      expect(read.buckets[0]).toMatchObject({ count: 7, saturated: true });
      expect(read.buckets[0].distinct).toHaveLength(5);
      expect(read.buckets[0].distinct).not.toContain('f');
      // Another bucket has its own set.
      read = await store.addAndRead(ref, 2, { count: 1, distinct: ['f'] }, 0, 10, opts);
      expect(read.buckets[1]).toMatchObject({ distinct: ['f'], saturated: false });
    });

    test('log_ids: one per hash slot, the first written stays; bounded whatever the number of events', async () => {
      const { store } = handle;
      const ref = freshRef();
      // More events than slots shows the bound; 80 (2.5 per slot) in `npm run test:long`, 40 here (each is a call).
      const events = testScale(40, 80);
      for (let i = 0; i < events; i++) await store.addAndRead(ref, 1, { count: 1, logIds: [`log-${i}`] }, 0, 10, opts);
      const read = await store.read(ref, 0, 10);
      const ids = read.buckets[0].logIds;
      expect(ids.length).toBeLessThanOrEqual(LOG_ID_SLOTS);
      expect(ids.length).toBeGreaterThan(LOG_ID_SLOTS / 2);
      expect(ids).toContain('log-0');
      expect(new Set(ids).size).toBe(ids.length);
    });

    test('tryFire: the alert-once marker refuses overlapping and earlier windows', async () => {
      const { store } = handle;
      const ref = freshRef();
      expect(await store.tryFire(ref, 0, 9, EXPIRES)).toBe(true);
      expect(await store.tryFire(ref, 0, 9, EXPIRES)).toBe(false);
      expect(await store.tryFire(ref, 9, 18, EXPIRES)).toBe(false);
      expect(await store.tryFire(ref, -20, -11, EXPIRES)).toBe(false);
      expect(await store.tryFire(ref, 10, 19, EXPIRES)).toBe(true);
      expect((await store.read(ref, 0, 100)).state).toEqual({ firedEnd: 19 });
    });

    test('tryFire under concurrency: exactly one caller wins', async () => {
      const ref = freshRef();
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? handle.peer() : handle.store).tryFire(ref, 5, 14, EXPIRES)));
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    test('addAndRead under concurrency: no lost update, and the last add sees them all', async () => {
      const ref = freshRef();
      const reads = await Promise.all(
        Array.from({ length: 50 }, (_, i) => (i % 2 ? handle.peer() : handle.store).addAndRead(ref, 3, { count: 1, sum: 2 }, 0, 10, opts)),
      );
      const counts = reads.map((r) => r.buckets[0].count);
      expect(Math.max(...counts)).toBe(50);
      expect((await handle.store.read(ref, 0, 10)).buckets[0]).toMatchObject({ count: 50, sum: 100 });
    });

    test('windows: open once per span, listed when due in close order, gone once completed', async () => {
      const { store } = handle;
      const ref = freshRef();
      const w0 = window(ref, 100, T + 1000);
      expect(await store.tryOpenWindow(w0, EXPIRES)).toBe(true);
      // Buckets 100..109 are covered: no second window there.
      expect(await store.tryOpenWindow(window(ref, 105, T + 1500), EXPIRES)).toBe(false);
      expect(await store.tryOpenWindow(window(ref, 109, T + 1900), EXPIRES)).toBe(false);
      expect((await store.read(ref, 0, 200)).state).toEqual({ windowStart: 100 });
      const other = freshRef();
      const w1 = window(other, 3, T + 500);
      expect(await store.tryOpenWindow(w1, EXPIRES)).toBe(true);
      const w2 = window(ref, 110, T + 2000);
      expect(await store.tryOpenWindow(w2, EXPIRES)).toBe(true);

      const mine = (ws: OpenWindow[]): OpenWindow[] => ws.filter((w) => w.correlationId === ref.correlationId || w.correlationId === other.correlationId);
      expect(mine(await store.dueWindows(T + 400, 100))).toEqual([]);
      const due = mine(await store.dueWindows(T + 1000, 100));
      expect(due.map((w) => [w.correlationId, w.startBucket, w.closeAt, w.buckets, w.group, w.groupKey])).toEqual([
        [other.correlationId, 3, T + 500, 10, { 'data.ip': '192.0.2.1' }, other.groupKey],
        [ref.correlationId, 100, T + 1000, 10, { 'data.ip': '192.0.2.1' }, ref.groupKey],
      ]);
      // Not completed: listed again.
      expect(mine(await store.dueWindows(T + 1000, 100))).toHaveLength(2);
      for (const w of due) await store.completeWindow(w);
      expect(mine(await store.dueWindows(T + 1000, 100))).toEqual([]);
      expect(mine(await store.dueWindows(T + 5000, 100)).map((w) => w.startBucket)).toEqual([110]);
      await store.completeWindow(w2);
      await store.completeWindow(w2); // idempotent
      expect(mine(await store.dueWindows(T + 5000, 100))).toEqual([]);
    });

    test('dueWindows honours its limit', async () => {
      const { store } = handle;
      for (let i = 0; i < 5; i++) expect(await store.tryOpenWindow(window(freshRef(), 1, T - 10_000 + i), EXPIRES)).toBe(true);
      const first = await store.dueWindows(T - 10_000 + 4, 3);
      expect(first).toHaveLength(3);
      for (const w of first) await store.completeWindow(w);
      const rest = await store.dueWindows(T - 10_000 + 4, 3);
      expect(rest).toHaveLength(2);
      for (const w of rest) await store.completeWindow(w);
    });

    test('sums keep tiny and large storable numbers; an unstorable sum is refused before any write', async () => {
      const { store } = handle;
      const ref = freshRef();
      await store.addAndRead(ref, 1, { count: 1, sum: 1e-7 }, 0, 10, opts);
      const read = await store.addAndRead(ref, 1, { count: 1, sum: 2.5e-7 }, 0, 10, opts);
      expect(read.buckets[0].sum).toBeCloseTo(3.5e-7, 15);
      const big = await store.addAndRead(freshRef(), 1, { count: 1, sum: 1e15 }, 0, 10, opts);
      expect(big.buckets[0].sum).toBe(1e15);
      // The engine never passes these (lambda/sigma/correlation-limits.ts); both stores refuse them alike.
      const refused = freshRef();
      for (const sum of [1.5e25, 1e200, Number.NaN, Infinity]) {
        await expect(store.addAndRead(refused, 1, { count: 1, sum }, 0, 10, opts)).rejects.toThrow(RangeError);
      }
      expect((await store.read(refused, 0, 10)).buckets).toEqual([]);
    });

    test('calls are counted', async () => {
      const { store } = handle;
      const before = store.stats().calls;
      await store.addAndRead(freshRef(), 1, { count: 1 }, 0, 10, opts);
      expect(store.stats().calls - before).toBe(2);
    });
  });
}

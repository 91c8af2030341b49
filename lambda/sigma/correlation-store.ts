// Correlation state: the store interface the correlation engine writes to, and the in-memory store the CLI uses.
// The DynamoDB store (lambda/state/dynamodb-store.ts) implements the same interface; both pass one contract suite
// (test/state/store-contract.ts), so `scan` and the Lambda decide the same way on the same events. The memory
// store also has a synchronous form of each method (`addSync`, `readSync`, …: the same code, which its
// asynchronous methods wrap) that the correlator's fast path uses; the contract is run through those too.
//
// The model: a correlation's events are grouped (group-by values), and each group's events are summed into time
// buckets of a fixed width (at most a tenth of the timespan). A bucket only ever grows (atomic adds), so concurrent
// writers never lose counts. Per group there is one small state record: the end of the last window that fired
// (the alert-once marker, a conditional write) and the start of the latest window waiting to be closed.

import { checkedSum } from './correlation-limits';
import type { Scalar } from './types';

/** Identifies one group of one correlation. */
export interface GroupRef {
  correlationId: string;
  /** Canonical JSON of the group values in group-by order (`["203.0.113.7"]`); never parsed back. */
  groupKey: string;
}

/** What one event (or one inner correlation detection of a chain) adds to one bucket. */
export interface BucketAdd {
  /** Events added (event_count, and the denominator of value_avg). */
  count: number;
  /** value_sum / value_avg: sum of the numeric values added. */
  sum?: number;
  /** value_count: digests of the distinct values added (see `distinctCap`). */
  distinct?: string[];
  /** temporal: indexes (into the correlation's `rules`) of the rules matched. */
  rules?: number[];
  /** temporal_ordered: rule index → event times quantized to 1/100 of a bucket (bucket-relative quanta). */
  ruleTimes?: Record<number, number[]>;
  /** value_percentile: sketch bin key → count. Keys match /^[pnz][0-9]*$/. */
  sketch?: Record<string, number>;
  /** log_ids of the events; a bucket keeps the first log_id of each of LOG_ID_SLOTS hash slots (a bounded sample). */
  logIds?: string[];
}

/** One bucket as read back. */
export interface BucketState {
  bucket: number;
  count: number;
  sum: number;
  distinct: string[];
  /** The distinct set reached `distinctCap` and a further value arrived: the distinct count is a lower bound. */
  saturated: boolean;
  rules: number[];
  ruleTimes: Record<number, number[]>;
  sketch: Record<string, number>;
  logIds: string[];
}

/** The per-group record. */
export interface GroupState {
  /** Last bucket of the last window that fired (absent: never fired). */
  firedEnd?: number;
  /** First bucket of the latest window opened for evaluation at close (absent: none). */
  windowStart?: number;
}

export interface GroupRead {
  /** Buckets in [from, to] that hold something, ascending. */
  buckets: BucketState[];
  state: GroupState;
}

/** A window whose condition is decided when it closes; the sweep (`closeWindows`) evaluates it. */
export interface OpenWindow {
  correlationId: string;
  groupKey: string;
  /** Group values keyed by group-by field (or alias), for the detection. */
  group: Record<string, Scalar>;
  startBucket: number;
  /** Buckets in the window (the window is [startBucket, startBucket + buckets - 1]). */
  buckets: number;
  /** Epoch ms at which the window closes (end of its last bucket). */
  closeAt: number;
  /** Several tenants in one store: the tenant whose correlator opened it (absent for a single tenant). */
  tenant?: string;
}

export interface AddOptions {
  /** Largest number of distinct values a bucket keeps. */
  distinctCap: number;
  /** Epoch ms (event time) after which the data is no longer needed; stores may keep it longer. */
  expiresAtMs: number;
}

export interface StoreStats {
  /** Calls made to the backing service (DynamoDB requests; the memory store counts its operations the same way). */
  calls: number;
}

export interface CorrelationStore {
  /**
   * Adds `add` to bucket `bucket` of the group atomically, then reads the group's buckets in [from, to] and the
   * group state (consistent read: includes this add and every add that completed before it).
   */
  addAndRead(ref: GroupRef, bucket: number, add: BucketAdd, from: number, to: number, options: AddOptions): Promise<GroupRead>;
  /** Reads without adding (the sweep). */
  read(ref: GroupRef, from: number, to: number): Promise<GroupRead>;
  /**
   * The alert-once marker: records that the window [startBucket, endBucket] fired, unless a window that fired
   * before ends at or after `startBucket` (overlaps or lies later). True when this call recorded it.
   * Conditional: of concurrent callers, at most one gets true for overlapping windows.
   */
  tryFire(ref: GroupRef, startBucket: number, endBucket: number, expiresAtMs: number): Promise<boolean>;
  /**
   * Opens a window for evaluation at close, unless the group's latest window still covers `window.startBucket`
   * or starts after it. True when opened; the window is then returned by `dueWindows` once `closeAt` ≤ upTo.
   */
  tryOpenWindow(window: OpenWindow, expiresAtMs: number): Promise<boolean>;
  /** Open windows with closeAt ≤ upTo, oldest first, at most `limit`. */
  dueWindows(upTo: number, limit: number): Promise<OpenWindow[]>;
  /** Removes a window evaluated by the sweep (idempotent). */
  completeWindow(window: OpenWindow): Promise<void>;
  /** Drops data whose event-time expiry is before `before` (the memory store; DynamoDB relies on TTL). */
  purgeExpired(before: number): Promise<void>;
  stats(): StoreStats;
}

/** log_id slots per bucket: a log_id goes to slot hash(log_id) mod LOG_ID_SLOTS; the first one written stays. */
export const LOG_ID_SLOTS = 32;

/** Slot of a log_id: FNV-1a over UTF-16 code units, so both stores pick the same slot. */
export function logIdSlot(logId: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < logId.length; i++) {
    h ^= logId.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % LOG_ID_SLOTS;
}

/**
 * A bucket of the memory store as its synchronous readers see it (the correlator's fast path, correlation.ts):
 * the store's own state, not a copy; read it, never change it. Its digests, rule indexes and log_id sample hold one
 * item as the item itself (most buckets see one event: a collection per bucket would be most of the store's heap)
 * and more in a collection; `distinctItems`, `ruleItems` and `logIdItems` read either form.
 */
export interface MemoryBucketView {
  readonly index: number;
  readonly count: number;
  readonly sum: number;
  /** value_count digests: one digest, or a set of them (absent: none added). */
  readonly distinct?: string | ReadonlySet<string>;
  readonly saturated: boolean;
  /** temporal: the rule indexes added: one index, or a set of them (an add with an empty list makes an empty set). */
  readonly rules?: number | ReadonlySet<number>;
  readonly ruleTimes?: ReadonlyMap<number, ReadonlySet<number>>;
  readonly sketch?: ReadonlyMap<string, number>;
  /** The log_id sample: one log_id, or LOG_ID_SLOTS slots (slot logIdSlot(id) holds the first id of that slot). */
  readonly logIds?: string | readonly (string | undefined)[];
}

/** A group of the memory store as its synchronous readers see it (read only, like MemoryBucketView). */
export interface MemoryGroupView extends Readonly<GroupState> {
  /** The bucket of this index, undefined when the group has none. */
  bucket(index: number): MemoryBucketView | undefined;
  /** Every bucket the group holds, in no particular order (a new array). */
  bucketList(): MemoryBucketView[];
  /** The largest bucket index ever added to the group (-Infinity: none). */
  readonly newestBucket: number;
  /** Width (in buckets) of the running count, 0 when it is not kept (see `addSync`). */
  readonly span: number;
  /** Sum of the counts of the group's buckets in [newestBucket - span + 1, newestBucket], when span > 0. */
  readonly spanCount: number;
}

/** A bucket's digests in either form (see MemoryBucketView.distinct). */
export function distinctItems(distinct: string | ReadonlySet<string> | undefined): Iterable<string> {
  return distinct === undefined ? EMPTY_LIST : typeof distinct === 'string' ? [distinct] : distinct;
}

/** A bucket's rule indexes in either form, ascending (a new array). */
export function ruleItems(rules: number | ReadonlySet<number> | undefined): number[] {
  if (rules === undefined) return [];
  if (typeof rules === 'number') return [rules];
  const list = [...rules];
  return list.length > 1 ? list.sort((x, y) => x - y) : list;
}

/** A bucket's log_id sample in slot order (a new array). */
export function logIdItems(logIds: string | readonly (string | undefined)[] | undefined): string[] {
  if (logIds === undefined) return [];
  if (typeof logIds === 'string') return [logIds];
  return logIds.filter((x): x is string => x !== undefined);
}

// The parts of a bucket a correlation type does not use are never created, and one digest, rule index or log_id
// is held as itself: a bucket that saw one event is one object, not four. The byte estimate (MEMORY_COST) is that of
// the collections the bucket would have: a collection when the first item comes, an entry per item.
class MemoryBucket implements MemoryBucketView {
  count = 0;
  sum = 0;
  distinct: string | Set<string> | undefined = undefined;
  saturated = false;
  rules: number | Set<number> | undefined = undefined;
  ruleTimes: Map<number, Set<number>> | undefined = undefined;
  sketch: Map<string, number> | undefined = undefined;
  logIds: string | (string | undefined)[] | undefined = undefined;
  /** Estimated heap bytes of this bucket (see MEMORY_COST). */
  bytes = MEMORY_COST.bucket;

  constructor(
    readonly index: number,
    public expiresAt: number,
  ) {}
}

class MemoryGroup implements MemoryGroupView {
  /** Neighbours in least-recently-fed order (the eviction order): a list, so feeding a group costs no Map update. */
  older: MemoryGroup | undefined = undefined;
  newer: MemoryGroup | undefined = undefined;
  /** Its buckets: none, the only one, or a map by index once there are two (most groups have one). */
  buckets: MemoryBucket | Map<number, MemoryBucket> | undefined = undefined;
  firedEnd: number | undefined = undefined;
  windowStart: number | undefined = undefined;
  /** Ids of this group's open windows (dropped with the group when it is evicted). */
  windows: Set<string> | undefined = undefined;
  /** Estimated heap bytes of the group, its buckets and its open windows. */
  bytes = 0;
  /** See MemoryGroupView. */
  newestBucket = -Infinity;
  span = 0;
  spanCount = 0;

  constructor(
    readonly id: string,
    public expiresAt: number,
  ) {}

  bucket(index: number): MemoryBucket | undefined {
    const buckets = this.buckets;
    if (buckets === undefined) return undefined;
    if (buckets instanceof Map) return buckets.get(index);
    return buckets.index === index ? buckets : undefined;
  }

  bucketList(): MemoryBucket[] {
    const buckets = this.buckets;
    if (buckets === undefined) return [];
    return buckets instanceof Map ? [...buckets.values()] : [buckets];
  }

  /** Adds a new, empty bucket. */
  newBucket(index: number, expiresAt: number): MemoryBucket {
    const bucket = new MemoryBucket(index, expiresAt);
    const buckets = this.buckets;
    if (buckets === undefined) this.buckets = bucket;
    else if (buckets instanceof Map) buckets.set(index, bucket);
    else this.buckets = new Map([[buckets.index, buckets], [index, bucket]]);
    return bucket;
  }
}

/** Limits of the memory store: `scan` over millions of distinct groups must degrade, never run out of memory. */
export interface MemoryStoreLimits {
  /** Most groups held at once. Default DEFAULT_MAX_GROUPS. */
  maxGroups?: number;
  /** Most estimated heap bytes of correlation state. Default DEFAULT_MAX_STATE_BYTES. */
  maxBytes?: number;
  /** Called once, when a limit is first reached (the store then starts evicting). */
  onLimitReached?: (limit: 'groups' | 'bytes', store: MemoryCorrelationStore) => void;
}

export const DEFAULT_MAX_GROUPS = 200_000;
export const DEFAULT_MAX_STATE_BYTES = 256 * 1024 * 1024;

/**
 * Estimated V8 heap cost (64-bit) of the memory store's parts, calibrated with `node --expose-gc` on Node 20
 * (heapUsed growth over 100,000 groups: event_count 1,075 bytes a group, estimate 1,100; value_count with 20
 * values 3,065, estimate 3,380). Those estimates left out each group's first bucket (200), which a purge of that
 * bucket alone still subtracted, so long scans drifted low; every bucket now counts from its creation, and the
 * estimate errs high (1,300 and 3,580) rather than low. A string costs about 2 bytes per character plus a header.
 */
const MEMORY_COST = {
  group: 500,
  bucket: 200,
  collection: 180,
  entry: 40,
  string: (s: string): number => 32 + 2 * s.length,
  window: 420,
};

/** Counters of the memory store's limits, for the scan summary. */
export interface MemoryStoreLimitStats {
  groups: number;
  bytes: number;
  maxGroups: number;
  maxBytes: number;
  /** Groups dropped to stay under a limit (with their counts and open windows). */
  evictedGroups: number;
  limitReached: 'groups' | 'bytes' | undefined;
}

/**
 * A binary min-heap on a numeric key. Entries may be stale (the memory store checks them when popped), which
 * keeps updates O(log n) without a decrease-key operation.
 */
class MinHeap<T> {
  private readonly keys: number[] = [];
  private readonly values: T[] = [];

  push(key: number, value: T): void {
    this.keys.push(key);
    this.values.push(value);
    let i = this.keys.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.keys[parent] <= this.keys[i]) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  peekKey(): number | undefined {
    return this.keys[0];
  }

  get size(): number {
    return this.keys.length;
  }

  clear(): void {
    this.keys.length = 0;
    this.values.length = 0;
  }

  pop(): T | undefined {
    if (this.keys.length === 0) return undefined;
    const top = this.values[0];
    const lastKey = this.keys.pop() as number;
    const lastValue = this.values.pop() as T;
    if (this.keys.length > 0) {
      this.keys[0] = lastKey;
      this.values[0] = lastValue;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < this.keys.length && this.keys[l] < this.keys[m]) m = l;
        if (r < this.keys.length && this.keys[r] < this.keys[m]) m = r;
        if (m === i) break;
        this.swap(i, m);
        i = m;
      }
    }
    return top;
  }

  private swap(a: number, b: number): void {
    [this.keys[a], this.keys[b]] = [this.keys[b], this.keys[a]];
    [this.values[a], this.values[b]] = [this.values[b], this.values[a]];
  }
}

const EMPTY_LIST: string[] = Object.freeze([]) as unknown as string[];
const EMPTY_RECORD: Record<string, never> = Object.freeze({}) as Record<string, never>;

const groupId = (ref: GroupRef): string => `${ref.correlationId}\u0000${ref.groupKey}`;

/** The memory store's key of a group: what its synchronous methods take as `id`. */
export const memoryGroupId = groupId;

/**
 * The store `scan` and `test` use: everything in process memory, no clock of its own (event time only).
 * State expires as event time passes (the caller calls `purgeExpired`; the correlator's `closeWindows` does).
 * Within the expiry, state is capped by `MemoryStoreLimits`: when a new group would pass the group cap or the
 * estimated bytes pass the byte cap, the least recently fed groups (in input order) are evicted with their
 * buckets and open windows. A group under attack keeps being fed, so it is the
 * last to go; an evicted group starts again from zero if it comes back (its correlations may miss a detection,
 * which `limitStats().evictedGroups` counts).
 */
export class MemoryCorrelationStore implements CorrelationStore {
  private readonly groups = new Map<string, MemoryGroup>();
  /** Ends of the least-recently-fed list through the groups. */
  private oldest: MemoryGroup | undefined;
  private newest: MemoryGroup | undefined;
  private readonly groupExpiry = new MinHeap<string>();
  private readonly open = new Map<string, OpenWindow>();
  private readonly openByClose = new MinHeap<string>();
  private calls = 0;
  private readonly maxGroups: number;
  private readonly maxBytes: number;
  private readonly onLimitReached: MemoryStoreLimits['onLimitReached'];
  private bytes = 0;
  private evictedGroups = 0;
  private limitReached: 'groups' | 'bytes' | undefined;

  constructor(limits: MemoryStoreLimits = {}) {
    this.maxGroups = limits.maxGroups ?? DEFAULT_MAX_GROUPS;
    this.maxBytes = limits.maxBytes ?? DEFAULT_MAX_STATE_BYTES;
    if (!Number.isSafeInteger(this.maxGroups) || this.maxGroups < 1) throw new RangeError(`maxGroups must be a positive integer (got ${this.maxGroups})`);
    if (!Number.isSafeInteger(this.maxBytes) || this.maxBytes < 1) throw new RangeError(`maxBytes must be a positive integer (got ${this.maxBytes})`);
    this.onLimitReached = limits.onLimitReached;
  }

  async addAndRead(ref: GroupRef, bucket: number, add: BucketAdd, from: number, to: number, options: AddOptions): Promise<GroupRead> {
    return this.readGroup(this.add(ref, bucket, add, options, groupId(ref), 0), from, to);
  }

  /**
   * The synchronous form of `addAndRead` for the correlator's fast path: the same add (same limits, evictions and
   * call count), without the read; the group's live state is returned instead of a copy of its buckets.
   * `id` is `memoryGroupId(ref)` (callers keep it: a key string used again is hashed once). `span` > 0 keeps the
   * group's running count over its `span` newest bucket indexes up to date (`MemoryGroupView.spanCount`), so
   * an event_count window ending at the newest bucket needs no pass over the buckets.
   */
  addSync(ref: GroupRef, bucket: number, add: BucketAdd, options: AddOptions, id: string, span: number): MemoryGroupView {
    return this.add(ref, bucket, add, options, id, span);
  }

  private add(ref: GroupRef, bucket: number, add: BucketAdd, options: AddOptions, id: string, span: number): MemoryGroup {
    // Checked before anything changes, as the DynamoDB store does: `scan` and the Lambda refuse the same sums.
    const sum = add.sum === undefined ? undefined : checkedSum(add.sum);
    this.calls += 2; // one update and one read, as the DynamoDB store does
    // The id is built and hashed once per call: a fresh key string costs a hash per Map operation.
    const group = this.groupFor(ref, options.expiresAtMs, id);
    const existing = group.bucket(bucket);
    const b = existing ?? group.newBucket(bucket, options.expiresAtMs);
    // A new bucket's own bytes count from its creation, as a purge that drops it alone subtracts them.
    const before = existing ? b.bytes : 0;
    b.expiresAt = Math.max(b.expiresAt, options.expiresAtMs);
    b.count += add.count;
    this.count(group, bucket, add.count, span);
    if (sum !== undefined) b.sum += sum;
    if (add.distinct && add.distinct.length > 0) addDistinct(b, add.distinct, options.distinctCap, this);
    if (add.rules) addRules(b, add.rules);
    if (add.ruleTimes) {
      const ruleTimes = (b.ruleTimes ??= newCollection(b, new Map<number, Set<number>>()));
      for (const [rule, times] of Object.entries(add.ruleTimes)) {
        const index = Number(rule);
        let set = ruleTimes.get(index);
        if (!set) ruleTimes.set(index, (set = newCollection(b, new Set())));
        for (const t of times) {
          if (!set.has(t)) b.bytes += MEMORY_COST.entry;
          set.add(t);
        }
      }
    }
    if (add.sketch) {
      const sketch = (b.sketch ??= newCollection(b, new Map<string, number>()));
      for (const [key, n] of Object.entries(add.sketch)) {
        if (!sketch.has(key)) b.bytes += MEMORY_COST.entry + MEMORY_COST.string(key);
        sketch.set(key, (sketch.get(key) ?? 0) + n);
      }
    }
    if (add.logIds && add.logIds.length > 0) addLogIds(b, add.logIds);
    this.grow(group, b.bytes - before, id);
    return group;
  }

  /** A saturated add (a full set takes nothing more) counts a call, as the DynamoDB store's failed condition does. */
  countSaturatedAdd(): void {
    this.calls += 1;
  }

  /**
   * Keeps `newestBucket` and the running count. A span other than the one kept (an add through `addAndRead` passes 0)
   * drops the running count; the next add with a span computes it again from the buckets.
   */
  private count(group: MemoryGroup, bucket: number, count: number, span: number): void {
    const previous = group.newestBucket;
    if (bucket > previous) group.newestBucket = bucket;
    if (span !== group.span || span === 0) {
      group.span = span;
      group.spanCount = 0;
      if (span === 0) return;
      // Computed after this add: the bucket's count already includes it.
      for (let i = group.newestBucket - span + 1; i <= group.newestBucket; i++) group.spanCount += group.bucket(i)?.count ?? 0;
      return;
    }
    if (bucket > previous) {
      // The window [newestBucket - span + 1, newestBucket] moved: the buckets it left stop counting.
      if (bucket - previous >= span) group.spanCount = 0;
      else for (let i = previous - span + 1; i <= bucket - span; i++) group.spanCount -= group.bucket(i)?.count ?? 0;
    }
    if (bucket > group.newestBucket - span) group.spanCount += count;
  }

  /** The memory-limit counters (the scan summary prints them). */
  limitStats(): MemoryStoreLimitStats {
    return {
      groups: this.groups.size, bytes: this.bytes, maxGroups: this.maxGroups, maxBytes: this.maxBytes,
      evictedGroups: this.evictedGroups, limitReached: this.limitReached,
    };
  }

  async read(ref: GroupRef, from: number, to: number): Promise<GroupRead> {
    const group = this.readSync(groupId(ref));
    if (!group) return { buckets: [], state: {} };
    return this.readGroup(group as MemoryGroup, from, to);
  }

  /** The synchronous form of `read` (one call): the group's live state, undefined when the store has none. */
  readSync(id: string): MemoryGroupView | undefined {
    this.calls += 1;
    return this.groups.get(id);
  }

  async tryFire(ref: GroupRef, startBucket: number, endBucket: number, expiresAtMs: number): Promise<boolean> {
    return this.tryFireSync(ref, startBucket, endBucket, expiresAtMs, groupId(ref));
  }

  /** The synchronous form of `tryFire`; `id` is `memoryGroupId(ref)`. */
  tryFireSync(ref: GroupRef, startBucket: number, endBucket: number, expiresAtMs: number, id: string): boolean {
    this.calls += 1;
    const group = this.groupFor(ref, expiresAtMs, id);
    if (group.firedEnd !== undefined && group.firedEnd >= startBucket) return false;
    group.firedEnd = endBucket;
    return true;
  }

  async tryOpenWindow(window: OpenWindow, expiresAtMs: number): Promise<boolean> {
    return this.tryOpenWindowSync(window, expiresAtMs);
  }

  /** The synchronous form of `tryOpenWindow`. */
  tryOpenWindowSync(window: OpenWindow, expiresAtMs: number): boolean {
    this.calls += 2; // index item + conditional group update
    const group = this.groupFor(window, expiresAtMs);
    const latest = group.windowStart;
    if (latest !== undefined && latest > window.startBucket - window.buckets) return false;
    group.windowStart = window.startBucket;
    const id = windowId(window);
    this.open.set(id, { ...window, group: { ...window.group } });
    this.openByClose.push(window.closeAt, id);
    (group.windows ??= new Set()).add(id);
    this.grow(group, windowCost(window), groupId(window));
    return true;
  }

  async dueWindows(upTo: number, limit: number): Promise<OpenWindow[]> {
    return this.dueWindowsSync(upTo, limit);
  }

  /** The synchronous form of `dueWindows`. */
  dueWindowsSync(upTo: number, limit: number): OpenWindow[] {
    this.calls += 1;
    // Pop due entries, then push back what we return: completeWindow removes them from `open`, and a window not
    // completed (caller failed) is returned again by the next call, as the DynamoDB index would.
    const due: OpenWindow[] = [];
    const seen = new Set<string>();
    while (due.length < limit) {
      const key = this.openByClose.peekKey();
      if (key === undefined || key > upTo) break;
      const id = this.openByClose.pop() as string;
      const window = this.open.get(id);
      if (!window || seen.has(id)) continue;
      seen.add(id);
      due.push({ ...window, group: { ...window.group } });
    }
    for (const w of due) this.openByClose.push(w.closeAt, windowId(w));
    return due;
  }

  async completeWindow(window: OpenWindow): Promise<void> {
    this.completeWindowSync(window);
  }

  /** The synchronous form of `completeWindow`. */
  completeWindowSync(window: OpenWindow): void {
    this.calls += 1;
    const id = windowId(window);
    if (!this.open.delete(id)) return;
    const group = this.groups.get(groupId(window));
    if (group?.windows?.delete(id)) {
      const cost = windowCost(window);
      group.bytes -= cost;
      this.bytes -= cost;
    }
  }

  async purgeExpired(before: number): Promise<void> {
    this.purgeExpiredSync(before);
  }

  /** The synchronous form of `purgeExpired`. */
  purgeExpiredSync(before: number): void {
    if (before === Infinity && this.dropAllGroups()) return;
    for (;;) {
      const key = this.groupExpiry.peekKey();
      if (key === undefined || key >= before) break;
      const id = this.groupExpiry.pop() as string;
      const group = this.groups.get(id);
      if (!group) continue;
      if (group.expiresAt < before) {
        // Its open windows stay: they closed before the group expired and are completed by closeWindows.
        this.dropGroup(id, group, false);
        continue;
      }
      const buckets = group.buckets;
      if (buckets instanceof Map) {
        for (const b of buckets.values()) {
          if (b.expiresAt >= before) continue;
          buckets.delete(b.index);
          this.dropBucket(group, b);
        }
      } else if (buckets !== undefined && buckets.expiresAt < before) {
        group.buckets = undefined;
        this.dropBucket(group, buckets);
      }
      this.groupExpiry.push(group.expiresAt, id);
    }
    // Completed windows leave `open` at once; their heap entries are dropped by dueWindows when they come due.
  }

  /**
   * `purgeExpiredSync(Infinity)` (the end of a scan) when every group's expiry is finite: every group goes, as the
   * loop over the expiry heap would drop them one by one (open windows stay), in one pass instead of a heap pop per
   * group. False, changing nothing, when some group never expires (the loop handles it).
   */
  private dropAllGroups(): boolean {
    let bytes = 0;
    for (const group of this.groups.values()) {
      if (!(group.expiresAt < Infinity)) return false;
      bytes += group.bytes;
    }
    this.bytes -= bytes;
    this.groups.clear();
    this.oldest = undefined;
    this.newest = undefined;
    this.groupExpiry.clear();
    return true;
  }

  private dropBucket(group: MemoryGroup, b: MemoryBucket): void {
    if (group.span > 0 && b.index > group.newestBucket - group.span) group.spanCount -= b.count;
    group.bytes -= b.bytes;
    this.bytes -= b.bytes;
  }

  stats(): StoreStats {
    return { calls: this.calls };
  }

  /** Number of groups held (tests check memory stays bounded). */
  groupCount(): number {
    return this.groups.size;
  }

  private groupFor(ref: GroupRef, expiresAtMs: number, id = groupId(ref)): MemoryGroup {
    let group = this.groups.get(id);
    if (!group) {
      if (this.groups.size >= this.maxGroups) {
        this.reached('groups');
        while (this.groups.size >= this.maxGroups && this.evictOldest(undefined)) {
          // evictOldest drops one group per call
        }
      }
      const bytes = MEMORY_COST.group + MEMORY_COST.string(id);
      group = new MemoryGroup(id, expiresAtMs);
      this.groups.set(id, group);
      this.link(group);
      this.groupExpiry.push(expiresAtMs, id);
      this.grow(group, bytes, id);
    } else {
      if (expiresAtMs > group.expiresAt) {
        // The heap entry with the older expiry is found stale when popped and pushed again with this one.
        group.expiresAt = expiresAtMs;
      }
      if (group !== this.newest) {
        this.unlink(group);
        this.link(group);
      }
    }
    return group;
  }

  /** Appends a group to the least-recently-fed list as the newest. */
  private link(group: MemoryGroup): void {
    group.older = this.newest;
    group.newer = undefined;
    if (this.newest) this.newest.newer = group;
    else this.oldest = group;
    this.newest = group;
  }

  private unlink(group: MemoryGroup): void {
    if (group.older) group.older.newer = group.newer;
    else this.oldest = group.newer;
    if (group.newer) group.newer.older = group.older;
    else this.newest = group.older;
    group.older = undefined;
    group.newer = undefined;
  }

  /** Adds `delta` estimated bytes to a group, then evicts other groups while the byte cap is passed. */
  private grow(group: MemoryGroup, delta: number, keep: string): void {
    group.bytes += delta;
    this.bytes += delta;
    if (this.bytes <= this.maxBytes) return;
    this.reached('bytes');
    while (this.bytes > this.maxBytes && this.evictOldest(keep)) {
      // evictOldest drops one group per call
    }
  }

  private reached(limit: 'groups' | 'bytes'): void {
    if (this.limitReached !== undefined) return;
    this.limitReached = limit;
    this.onLimitReached?.(limit, this);
  }

  /**
   * Evicts the least recently fed group (the oldest in the list; never `keep`, the group being written).
   * False when there is no other group to evict.
   */
  private evictOldest(keep: string | undefined): boolean {
    for (let group = this.oldest; group; group = group.newer) {
      if (group.id === keep) continue;
      this.dropGroup(group.id, group, true);
      this.evictedGroups++;
      // Evicted groups leave entries in the expiry heap; rebuild it before they outnumber the live groups.
      if (this.groupExpiry.size > 2 * this.groups.size + 1024) this.rebuildExpiryHeap();
      return true;
    }
    return false;
  }

  private rebuildExpiryHeap(): void {
    this.groupExpiry.clear();
    for (const [id, group] of this.groups) this.groupExpiry.push(group.expiresAt, id);
  }

  /**
   * Removes a group with its buckets; an evicted group's open windows go too (evaluated on no data, an at-close
   * condition such as `lt` would fire falsely). Heap entries of removed windows are dropped when they come up.
   */
  private dropGroup(id: string, group: MemoryGroup, withWindows: boolean): void {
    if (this.groups.get(id) === group) {
      this.groups.delete(id);
      this.unlink(group);
    }
    this.bytes -= group.bytes;
    if (withWindows && group.windows) for (const w of group.windows) this.open.delete(w);
  }

  private readGroup(group: MemoryGroup, from: number, to: number): GroupRead {
    const buckets: BucketState[] = [];
    for (const b of group.bucketList()) {
      if (b.index < from || b.index > to) continue;
      // Copies, so callers never alias the store's state; empty parts share one frozen value (scan's hot path).
      let ruleTimes: Record<number, number[]> = EMPTY_RECORD;
      if (b.ruleTimes && b.ruleTimes.size > 0) {
        ruleTimes = {};
        for (const [rule, set] of b.ruleTimes) ruleTimes[rule] = [...set].sort((x, y) => x - y);
      }
      buckets.push({
        bucket: b.index,
        count: b.count,
        sum: b.sum,
        distinct: b.distinct === undefined ? EMPTY_LIST : typeof b.distinct === 'string' ? [b.distinct] : b.distinct.size > 0 ? [...b.distinct] : EMPTY_LIST,
        saturated: b.saturated,
        rules: ruleItems(b.rules),
        ruleTimes,
        sketch: b.sketch && b.sketch.size > 0 ? Object.fromEntries(b.sketch) : EMPTY_RECORD,
        logIds: logIdItems(b.logIds),
      });
    }
    buckets.sort((x, y) => x.bucket - y.bucket);
    return { buckets, state: stateOf(group) };
  }
}

/** The group record as a read returns it: the fields that are set. */
function stateOf(group: MemoryGroup): GroupState {
  const state: GroupState = {};
  if (group.firedEnd !== undefined) state.firedEnd = group.firedEnd;
  if (group.windowStart !== undefined) state.windowStart = group.windowStart;
  return state;
}

function newCollection<T>(bucket: MemoryBucket, collection: T): T {
  bucket.bytes += MEMORY_COST.collection;
  return collection;
}

/** value_count digests: the same rule as the DynamoDB store's conditional add (a full set takes nothing more and is marked saturated). */
function addDistinct(b: MemoryBucket, digests: readonly string[], cap: number, store: MemoryCorrelationStore): void {
  let distinct = b.distinct;
  if (distinct === undefined) b.bytes += MEMORY_COST.collection;
  const size = distinct === undefined ? 0 : typeof distinct === 'string' ? 1 : distinct.size;
  if (size >= cap) {
    b.distinct = distinct ?? new Set();
    b.saturated = true;
    store.countSaturatedAdd();
    return;
  }
  for (const d of digests) {
    const next = withItem(distinct, d);
    if (next === undefined) continue;
    distinct = next;
    b.bytes += MEMORY_COST.entry + MEMORY_COST.string(d);
  }
  b.distinct = distinct;
}

/** temporal: rule indexes (an empty list still makes the bucket's collection, as a set would be made). */
function addRules(b: MemoryBucket, indexes: readonly number[]): void {
  let rules = b.rules;
  if (rules === undefined) {
    b.bytes += MEMORY_COST.collection;
    if (indexes.length === 0) rules = new Set();
  }
  for (const r of indexes) {
    const next = withItem(rules, r);
    if (next === undefined) continue;
    rules = next;
    b.bytes += MEMORY_COST.entry;
  }
  b.rules = rules;
}

/** `held` (nothing, one item, or a set of items) with `item` added; undefined when `item` was there already. */
function withItem<T extends string | number>(held: T | Set<T> | undefined, item: T): T | Set<T> | undefined {
  if (held === undefined) return item;
  if (held instanceof Set) {
    if (held.has(item)) return undefined;
    held.add(item);
    return held;
  }
  return held === item ? undefined : new Set([held, item]);
}

/** The log_id sample: slot logIdSlot(id) keeps the first id written to it. */
function addLogIds(b: MemoryBucket, logIds: readonly string[]): void {
  let sample = b.logIds;
  if (sample === undefined) b.bytes += MEMORY_COST.collection;
  for (const logId of logIds) {
    if (sample === undefined) sample = logId;
    else {
      const slot = logIdSlot(logId);
      if (typeof sample === 'string') {
        const held = sample;
        if (logIdSlot(held) === slot) continue;
        sample = new Array<string | undefined>(LOG_ID_SLOTS);
        sample[logIdSlot(held)] = held;
      } else if (sample[slot] !== undefined) continue;
      sample[slot] = logId;
    }
    b.bytes += MEMORY_COST.string(logId);
  }
  b.logIds = sample;
}

function windowCost(window: OpenWindow): number {
  let cost = MEMORY_COST.window + MEMORY_COST.string(window.correlationId) + MEMORY_COST.string(window.groupKey);
  for (const [key, value] of Object.entries(window.group)) cost += MEMORY_COST.string(key) + (typeof value === 'string' ? MEMORY_COST.string(value) : MEMORY_COST.entry);
  return cost;
}

function windowId(window: { correlationId: string; groupKey: string; startBucket: number }): string {
  return `${window.correlationId}\u0000${window.groupKey}\u0000${window.startBucket}`;
}

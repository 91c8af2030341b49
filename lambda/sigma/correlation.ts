// The correlation engine: Sigma correlation rules (event_count, value_count, temporal, temporal_ordered,
// value_sum, value_avg, value_percentile) evaluated over sliding windows of event time, on a CorrelationStore
// (memory for the CLI, DynamoDB for the Lambda). Semantics and limits: docs/readme-parts/correlation.md.
//
// Time is cut into buckets of width g = floor(timespan / bucketsPerWindow). A window is k = bucketsPerWindow
// consecutive buckets. Two kinds of condition:
// - "on arrival" (only gt/gte, false at zero): after each event, the windows ending at each non-empty bucket from
//   the event's bucket up to k-1 buckets later are evaluated; the first that holds fires, unless it overlaps a
//   window that already fired for the group (the alert-once marker, a conditional write in the store).
// - "at close" (any lt/lte/eq/neq, or true at zero): the first event of a group that no open window covers opens a
//   window of k buckets starting at its bucket; `closeWindows(upTo)` evaluates windows whose end is ≤ upTo.

import { jsonText } from './bounded-json';
import { displayValue, groupKeyOf, sha256Text, storableLogId, storableValue } from './correlation-limits';
import { ruleSummary } from './detection';
import { parseIsoTime } from './iso-time';
import { compilePath, visitValues, type CompiledPath } from './fieldpath';
import { MemoryCorrelationStore, memoryGroupId } from './correlation-store';
import type {
  BucketAdd, BucketState, CorrelationStore, GroupRead, GroupRef, GroupState, MemoryGroupView, OpenWindow, StoreStats,
} from './correlation-store';
import type {
  CorrelationInfo, CorrelationModel, Detection, NormalizedEvent, RuleModel, RuleSummary, Scalar,
} from './types';
import { CORRELATION_TYPES } from './types';

/** A single-event match of a rule, as `CompiledRuleSet.match` returns it (only `rule.id` is read here). */
export interface CorrelationInput {
  rule: Pick<RuleModel, 'id'>;
  matched?: string[];
}

export interface CorrelatorOptions {
  /** Buckets per window (≥ 10): the bucket width is floor(timespan / bucketsPerWindow). Default 10. */
  bucketsPerWindow?: number;
  /** value_count: distinct values kept per group and bucket; the window's count is exact up to this. Default 1000. */
  distinctCap?: number;
  /** value_percentile: relative accuracy of the sketch (0 < a < 0.5). Default 0.01 (1 %). */
  percentileAccuracy?: number;
  /** closeWindows: windows fetched per store call. Default 200. */
  sweepBatch?: number;
  /**
   * Called for every failure contained to one correlation rule (a value it cannot store, a state write that
   * failed): the other rules of the event go on. For metrics and logs; never given event content.
   */
  onFailure?: (failure: CorrelationFailure) => void;
  /**
   * Transient store failures (throttle, timeout, 5xx) are retried this many more times per call, after the
   * store's own retries (the SDK's), with exponential backoff from `storeRetryDelayMs`. Default 3 and 100 ms
   * (at most 0.7 s of waiting per call). Then the failure is contained to the rule (`onFailure`).
   */
  storeRetries?: number;
  storeRetryDelayMs?: number;
  /**
   * Several tenants in one store (lambda/tenant-correlation.ts): the tenant this correlator's events come from.
   * It is part of every group's identity (two tenants never share counts), is kept on the windows it opens and
   * is recorded on its detections (`tenant`). Unset: keys exactly as a single-tenant deployment has them.
   */
  tenant?: string;
  /**
   * With the memory store, events and windows go through its synchronous interface (`processEventSync`,
   * `closeWindowsSync`: no Promise per event, single-field group keys interned per correlation, a running count per
   * event_count group). false: through the asynchronous store interface, as with DynamoDB (the tests compare the
   * two). Default true; other stores always use the asynchronous interface.
   */
  fastPath?: boolean;
}

/** One correlation rule that could not use one event (or one closed window); the event's other rules went on. */
export interface CorrelationFailure {
  ruleId: string;
  /** value-out-of-range: a value_sum/value_avg value that cannot be stored exactly (skipped, never written);
   *  state-error: the correlation store failed (after the SDK's own retries). */
  reason: 'value-out-of-range' | 'state-error';
  /** A throttle, timeout or server error: the same write may succeed later. */
  transient: boolean;
  /** Error name and a bounded message (no event content); empty for value-out-of-range. */
  error: string;
}

export interface CorrelatorStats {
  /** Events given to processEvent. */
  events: number;
  /** Events that matched at least one rule a correlation references. */
  correlatedEvents: number;
  /** Correlated events without a valid `data.date` (ISO 8601, not before 1970): counted and ignored. */
  invalidDate: number;
  /** (event, value_sum/avg/percentile correlation) pairs skipped because the field had no numeric value. */
  nonNumeric: number;
  /** (event, value_sum/avg correlation) pairs skipped because the value is outside what can be stored exactly. */
  outOfRange: number;
  /** (event or window, correlation) pairs the store failed on: contained to that rule, logged, counted. */
  stateErrors: number;
  /** Events for an at-close correlation older than the group's latest window (counted only if an older window covers them). */
  beforeOpenWindow: number;
  /** Windows opened for evaluation at close, and windows evaluated by closeWindows. */
  windowsOpened: number;
  windowsClosed: number;
  /** value_count window evaluations that reached the distinct cap (value reported as the cap: a lower bound). */
  saturatedWindows: number;
  /** Correlation detections produced (chains included). */
  detections: number;
  /** Store calls so far (DynamoDB requests for the DynamoDB store). */
  storeCalls: number;
  /** storeCalls / correlatedEvents. */
  storeCallsPerCorrelatedEvent: number;
}

type ComparisonOp = 'gt' | 'gte' | 'lt' | 'lte' | 'eq' | 'neq';
const COMPARISON_OPS: ComparisonOp[] = ['gt', 'gte', 'lt', 'lte', 'eq', 'neq'];
const AT_CLOSE_OPS: ReadonlySet<ComparisonOp> = new Set(['lt', 'lte', 'eq', 'neq']);

/** A problem that makes a correlation impossible to evaluate (the loader should have reported it first). */
export class CorrelationConfigError extends Error {}

interface GroupField {
  /** The group-by entry as written (a field path, or an alias name). */
  name: string;
  /** Path per referenced rule index (aliases map rules to different fields); fallback for the rest. */
  byRule: (CompiledPath | undefined)[];
  fallback: CompiledPath | undefined;
}

interface CompiledCorrelation {
  rule: RuleModel;
  model: CorrelationModel;
  summary: RuleSummary;
  /** Referenced rule id → its indexes in model.rules (a rule may be listed twice in temporal_ordered). */
  ruleIndex: Map<string, number[]>;
  groupFields: GroupField[];
  /** value_* types: the field per referenced rule index. */
  valuePaths?: (CompiledPath | undefined)[];
  valueFallback?: CompiledPath;
  conditions: [ComparisonOp, number][];
  atClose: boolean;
  bucketMs: number;
  buckets: number;
  percentile: number;
  /**
   * Fast path: group identities of a single group-by field by its value (see `internedGroup`), bounded by
   * `internedCount`/`internedChars`.
   */
  interned: Map<string | null, InternedGroup>;
  internedCount: number;
  internedChars: number;
}

/** A group's identity as the memory store's synchronous interface takes it, built once per group values. */
interface InternedGroup {
  ref: GroupRef;
  id: string;
}

/**
 * Interned group identities per correlation, and the characters they hold (values and keys: a few MB at most,
 * whatever the values); past either the cache starts again. Longer values are not interned.
 */
const INTERNED_GROUPS_MAX = 4096;
const INTERNED_CHARS_MAX = 2_000_000;
const INTERNED_VALUE_MAX = 256;

interface WindowValue {
  value: number;
  saturated: boolean;
  rules: number[];
  logIds: string[];
}

const MAX_LOG_IDS = 10;
/** Quanta per bucket for temporal_ordered: order is resolved to bucket/100 = timespan/1000 (default buckets). */
const ORDER_QUANTA = 100;
/** value_percentile: |v| below this falls in the zero bin. */
const SKETCH_MIN = 1e-9;
const PLAIN_DECIMAL = /^-?(?:\d+\.?\d*|\.\d+)$/;

export class Correlator {
  private readonly correlations: CompiledCorrelation[] = [];
  private readonly byId = new Map<string, CompiledCorrelation>();
  /** Referenced rule id (detection or correlation) → correlations that reference it. */
  private readonly feeds = new Map<string, CompiledCorrelation[]>();
  private readonly distinctCap: number;
  private readonly sweepBatch: number;
  private readonly lnGamma: number;
  private readonly gamma: number;
  private readonly counters = {
    events: 0, correlatedEvents: 0, invalidDate: 0, nonNumeric: 0, outOfRange: 0, stateErrors: 0, beforeOpenWindow: 0,
    windowsOpened: 0, windowsClosed: 0, saturatedWindows: 0, detections: 0,
  };
  private readonly onFailure?: (failure: CorrelationFailure) => void;
  /** Failures not yet taken by `drainFailures` (bounded: a burst keeps the first ones). */
  private pendingFailures: CorrelationFailure[] = [];
  /** References to rules missing from the rule set (left out for errors): such a correlation never sees them. */
  readonly warnings: string[] = [];

  private readonly store: CorrelationStore;
  /** The memory store when events take the synchronous fast path (see CorrelatorOptions.fastPath). */
  private readonly memory?: MemoryCorrelationStore;
  private readonly tenant?: string;

  constructor(rules: RuleModel[], store: CorrelationStore, options: CorrelatorOptions = {}) {
    this.store = new TransientRetryStore(store, options.storeRetries ?? 3, options.storeRetryDelayMs ?? 100);
    if (options.fastPath !== false && store instanceof MemoryCorrelationStore) this.memory = store;
    const bucketsPerWindow = options.bucketsPerWindow ?? 10;
    if (!Number.isInteger(bucketsPerWindow) || bucketsPerWindow < 10) {
      throw new CorrelationConfigError(`bucketsPerWindow must be an integer ≥ 10 (got ${bucketsPerWindow})`);
    }
    this.distinctCap = options.distinctCap ?? 1000;
    if (!Number.isInteger(this.distinctCap) || this.distinctCap < 1) {
      throw new CorrelationConfigError(`distinctCap must be a positive integer (got ${this.distinctCap})`);
    }
    this.sweepBatch = options.sweepBatch ?? 200;
    this.onFailure = options.onFailure;
    this.tenant = options.tenant;
    const accuracy = options.percentileAccuracy ?? 0.01;
    if (!(accuracy > 0 && accuracy < 0.5)) throw new CorrelationConfigError(`percentileAccuracy must be in (0, 0.5) (got ${accuracy})`);
    this.gamma = (1 + accuracy) / (1 - accuracy);
    this.lnGamma = Math.log(this.gamma);

    const known = new Set(rules.map((r) => r.id));
    for (const rule of rules) {
      if (rule.kind !== 'correlation' || !rule.correlation) continue;
      const compiled = this.compile(rule, rule.correlation, bucketsPerWindow);
      this.correlations.push(compiled);
      this.byId.set(rule.id, compiled);
      for (const ref of new Set(rule.correlation.rules)) {
        if (!known.has(ref)) this.warnings.push(`${where(rule)}: correlation '${rule.title}' references rule '${ref}', which is not in the rule set: it will never count events of it`);
        let list = this.feeds.get(ref);
        if (!list) this.feeds.set(ref, (list = []));
        list.push(compiled);
      }
    }
    this.checkNoCycle();
  }

  /** Ids of the rules (detection or correlation) some correlation references. */
  referencedRuleIds(): string[] {
    return [...this.feeds.keys()];
  }

  /** True when the rule set has at least one correlation. */
  get active(): boolean {
    return this.correlations.length > 0;
  }

  /**
   * Feeds one event and its single-event matches. Returns the correlation detections that fired on arrival
   * (chains included). Events that match no referenced rule cost nothing.
   */
  async processEvent(event: NormalizedEvent, matches: readonly CorrelationInput[]): Promise<Detection[]> {
    if (this.memory) return this.processEventSync(event, matches);
    const admitted = this.admit(event, matches);
    if (!admitted) return [];
    return this.feed(event, admitted.time, admitted.ruleIds, eventLogIds(event));
  }

  /**
   * True when the store offers the synchronous fast path (the memory store): `processEventSync` and
   * `closeWindowsSync` may then be used, with the same results as `processEvent` and `closeWindows`.
   */
  get synchronous(): boolean {
    return this.memory !== undefined;
  }

  /** `processEvent` without a Promise (only when `synchronous`). */
  processEventSync(event: NormalizedEvent, matches: readonly CorrelationInput[]): Detection[] {
    if (!this.memory) throw new Error('processEventSync needs the memory correlation store (see Correlator.synchronous)');
    const admitted = this.admit(event, matches);
    if (!admitted) return [];
    return this.feedSync(event, admitted.time, admitted.ruleIds, eventLogIds(event));
  }

  /** Counts the event; its referenced rule ids and its time, or undefined when no correlation can use it. */
  private admit(event: NormalizedEvent, matches: readonly CorrelationInput[]): { ruleIds: string[]; time: number } | undefined {
    this.counters.events++;
    let ruleIds: string[] | undefined;
    for (const m of matches) {
      if (!this.feeds.has(m.rule.id)) continue;
      (ruleIds ??= []).push(m.rule.id);
    }
    if (!ruleIds) return undefined;
    this.counters.correlatedEvents++;
    const time = eventTime(event);
    if (time === undefined) {
      this.counters.invalidDate++;
      return undefined;
    }
    return { ruleIds, time };
  }

  /** The failures since the last call (at most 100), for the caller's log lines; see `onFailure`. */
  drainFailures(): CorrelationFailure[] {
    const out = this.pendingFailures;
    this.pendingFailures = [];
    return out;
  }

  /** The pipeline's CorrelationStage contract (lambda/pipeline-types.ts): same as processEvent. */
  observe(event: NormalizedEvent, matches: readonly CorrelationInput[]): Promise<Detection[]> {
    return this.processEvent(event, matches);
  }

  /**
   * Evaluates every at-close window whose end is ≤ upTo (epoch ms; Infinity at end of input) and drops state
   * that expired by then (memory store). `scan` calls it as event time passes and with Infinity at the end; the
   * Lambda's scheduled sweep calls it with the current time. `ownerOf`: with several tenants on one store, the
   * correlator whose rules evaluate a window (lambda/tenant-correlation.ts); default this one.
   */
  async closeWindows(upTo: number, ownerOf?: (window: OpenWindow) => Correlator | undefined): Promise<Detection[]> {
    if (this.memory && ownerOf === undefined) return this.closeWindowsSync(upTo);
    const owners = ownerOf ?? ((): Correlator => this);
    const out: Detection[] = [];
    // Windows whose evaluation failed transiently stay open for the next call (the sweep's next run); they are
    // skipped for the rest of this one, so one failing window neither loops nor holds back the others.
    const retryLater = new Set<string>();
    for (;;) {
      const due = (await this.store.dueWindows(upTo, this.sweepBatch + retryLater.size)).filter((w) => !retryLater.has(windowKey(w)));
      if (due.length === 0) break;
      for (const window of due) {
        // Several tenants share the store: a window is evaluated by its tenant's correlator (its rules, its
        // counters); a window no correlator owns (its tenant or rule was removed) is completed unevaluated.
        const owner = owners(window);
        const corr = owner?.byId.get(window.correlationId);
        try {
          if (owner && corr) out.push(...(await owner.closeWindow(corr, window)));
          await this.store.completeWindow(window);
        } catch (err) {
          const failure = (owner ?? this).fail(corr?.rule.id ?? window.correlationId, 'state-error', err);
          if (failure.transient) retryLater.add(windowKey(window));
          // A permanent failure would fail the same way on every run: the window is dropped (logged, counted).
          else await this.store.completeWindow(window).catch(() => retryLater.add(windowKey(window)));
        }
      }
    }
    await this.store.purgeExpired(upTo);
    return out;
  }

  /** `closeWindows` without a Promise (only when `synchronous`; every window is this correlator's). */
  closeWindowsSync(upTo: number): Detection[] {
    const memory = this.memory;
    if (!memory) throw new Error('closeWindowsSync needs the memory correlation store (see Correlator.synchronous)');
    const out: Detection[] = [];
    // As closeWindows: a window whose evaluation failed transiently is left for the next call.
    const retryLater = new Set<string>();
    for (;;) {
      const due = memory.dueWindowsSync(upTo, this.sweepBatch + retryLater.size).filter((w) => !retryLater.has(windowKey(w)));
      if (due.length === 0) break;
      for (const window of due) {
        const corr = this.byId.get(window.correlationId);
        try {
          if (corr) for (const detection of this.closeWindowSync(memory, corr, window)) out.push(detection);
          memory.completeWindowSync(window);
        } catch (err) {
          const failure = this.fail(corr?.rule.id ?? window.correlationId, 'state-error', err);
          if (failure.transient) retryLater.add(windowKey(window));
          else {
            try {
              memory.completeWindowSync(window);
            } catch {
              retryLater.add(windowKey(window));
            }
          }
        }
      }
    }
    memory.purgeExpiredSync(upTo);
    return out;
  }

  stats(): CorrelatorStats {
    const storeCalls = this.store.stats().calls;
    const c = this.counters;
    return { ...c, storeCalls, storeCallsPerCorrelatedEvent: c.correlatedEvents === 0 ? 0 : storeCalls / c.correlatedEvents };
  }

  /** Counts and reports a failure contained to one rule. */
  private fail(ruleId: string, reason: CorrelationFailure['reason'], err?: unknown): CorrelationFailure {
    if (reason === 'state-error') this.counters.stateErrors++;
    else this.counters.outOfRange++;
    const failure: CorrelationFailure = { ruleId, reason, transient: err !== undefined && isTransient(err), error: err === undefined ? '' : errorSummary(err) };
    if (this.pendingFailures.length < 100) this.pendingFailures.push(failure);
    this.onFailure?.(failure);
    return failure;
  }

  // ---- evaluation -------------------------------------------------------------------------------------------

  /** The correlations the rules feed, with the indexes (in each correlation's `rules`) of the rules matched. */
  private correlationsFed(ruleIds: string[]): Map<CompiledCorrelation, number[]> {
    // One update per (correlation, group), whatever the number of the correlation's rules the event matched.
    const perCorrelation = new Map<CompiledCorrelation, number[]>();
    for (const id of ruleIds) {
      for (const corr of this.feeds.get(id) ?? []) {
        let list = perCorrelation.get(corr);
        if (!list) perCorrelation.set(corr, (list = []));
        list.push(...(corr.ruleIndex.get(id) as number[]));
      }
    }
    return perCorrelation;
  }

  private async feed(root: NormalizedEvent, time: number, ruleIds: string[], logIds: string[]): Promise<Detection[]> {
    const perCorrelation = this.correlationsFed(ruleIds);
    const out: Detection[] = [];
    for (const corr of this.correlations) {
      const indexes = perCorrelation.get(corr);
      if (!indexes) continue;
      // Contained to this rule: a store failure here does not stop the event's other correlations (a chain's
      // failure is contained to the chained rule by the same loop one level down).
      try {
        for (const detection of await this.apply(corr, root, time, indexes, logIds)) {
          out.push(detection);
          out.push(...(await this.chain(corr, detection, time)));
        }
      } catch (err) {
        this.fail(corr.rule.id, 'state-error', err);
      }
    }
    return out;
  }

  /** A correlation detection is an event for the correlations that reference the correlation. */
  private async chain(corr: CompiledCorrelation, detection: Detection, time: number): Promise<Detection[]> {
    if (!this.feeds.has(corr.rule.id)) return [];
    const info = detection.correlation as CorrelationInfo;
    return this.feed(groupAsEvent(info.group), time, [corr.rule.id], info.log_ids);
  }

  private async apply(corr: CompiledCorrelation, root: NormalizedEvent, time: number, indexes: number[], logIds: string[]): Promise<Detection[]> {
    // Aliases can put one event in several groups (different fields per rule): one update per distinct group.
    const groups = new Map<string, { values: Scalar[]; indexes: number[] }>();
    for (const index of indexes) {
      const values = corr.groupFields.map((f) => firstValue(root, f.byRule[index] ?? f.fallback));
      const key = this.tenant === undefined ? groupKeyOf(values) : tenantGroupKey(this.tenant, values);
      const entry = groups.get(key);
      if (entry) entry.indexes.push(index);
      else groups.set(key, { values, indexes: [index] });
    }
    const out: Detection[] = [];
    for (const [groupKey, { values, indexes: groupIndexes }] of groups) {
      const add = this.bucketAdd(corr, root, time, groupIndexes, logIds);
      if (!add) continue;
      const detection = await this.update(corr, { correlationId: corr.rule.id, groupKey }, values, time, add);
      if (detection) out.push(detection);
    }
    return out;
  }

  private bucketAdd(corr: CompiledCorrelation, root: NormalizedEvent, time: number, indexes: number[], logIds: string[]): BucketAdd | undefined {
    const add: BucketAdd = { count: 1, rules: [...new Set(indexes)].sort((a, b) => a - b), logIds };
    switch (corr.model.type) {
      case 'event_count':
      case 'temporal':
        return add;
      case 'temporal_ordered': {
        const bucket = Math.floor(time / corr.bucketMs);
        const quantum = bucket * ORDER_QUANTA + Math.floor(((time - bucket * corr.bucketMs) * ORDER_QUANTA) / corr.bucketMs);
        add.ruleTimes = {};
        for (const index of add.rules as number[]) add.ruleTimes[index] = [quantum];
        return add;
      }
      case 'value_count': {
        const distinct = new Set<string>();
        for (const index of indexes) {
          const path = corr.valuePaths?.[index] ?? corr.valueFallback;
          addDistinctDigests(root, path, distinct, this.distinctCap);
        }
        add.distinct = [...distinct];
        return add;
      }
      case 'value_sum':
      case 'value_avg':
      case 'value_percentile': {
        let value: number | undefined;
        for (const index of indexes) {
          value = numericValue(root, corr.valuePaths?.[index] ?? corr.valueFallback);
          if (value !== undefined) break;
        }
        if (value === undefined) {
          this.counters.nonNumeric++;
          return undefined;
        }
        if (corr.model.type === 'value_percentile') {
          // Only a bin key and a count are stored: every finite value fits.
          add.sketch = { [this.sketchKey(value)]: 1 };
          return add;
        }
        const stored = storableValue(value);
        if (stored === undefined) {
          this.fail(corr.rule.id, 'value-out-of-range');
          return undefined;
        }
        add.sum = stored;
        return add;
      }
    }
  }

  private async update(corr: CompiledCorrelation, ref: GroupRef, values: Scalar[], time: number, add: BucketAdd): Promise<Detection | undefined> {
    const k = corr.buckets;
    const bucket = Math.floor(time / corr.bucketMs);
    // Data is kept until every window that can contain the bucket has closed, plus one timespan for late events.
    const expiresAtMs = (bucket + 2 * k + 1) * corr.bucketMs;
    const options = { distinctCap: this.distinctCap, expiresAtMs };
    if (corr.atClose) {
      const read = await this.store.addAndRead(ref, bucket, add, bucket, bucket, options);
      const window = this.windowToOpen(corr, ref, values, bucket, read.state);
      if (window && (await this.store.tryOpenWindow(window, expiresAtMs))) this.counters.windowsOpened++;
      return undefined;
    }
    const read = await this.store.addAndRead(ref, bucket, add, bucket - k + 1, bucket + k - 1, options);
    const firedEnd = read.state.firedEnd ?? -Infinity;
    // Windows ending at a later non-empty bucket matter when this event is late (it also belongs to them).
    for (const end of read.buckets.map((b) => b.bucket).filter((b) => b >= bucket)) {
      const start = end - k + 1;
      if (start <= firedEnd) continue;
      const value = this.windowValue(corr, read.buckets, start, end);
      if (!this.holds(corr, value.value)) continue;
      if (!(await this.store.tryFire(ref, start, end, expiresAtMs))) return undefined;
      return this.detection(corr, values, value, start, end, time);
    }
    return undefined;
  }

  /**
   * At close: the window an event in `bucket` opens, or undefined when the group's latest window covers it (or
   * starts after it: counted).
   */
  private windowToOpen(corr: CompiledCorrelation, ref: GroupRef, values: Scalar[], bucket: number, state: Readonly<GroupState>): OpenWindow | undefined {
    const k = corr.buckets;
    const start = state.windowStart;
    if (start !== undefined && bucket >= start && bucket < start + k) return undefined;
    if (start !== undefined && bucket < start) {
      this.counters.beforeOpenWindow++;
      return undefined;
    }
    return {
      correlationId: ref.correlationId, groupKey: ref.groupKey, group: groupRecord(corr, values),
      startBucket: bucket, buckets: k, closeAt: (bucket + k) * corr.bucketMs,
      ...(this.tenant === undefined ? {} : { tenant: this.tenant }),
    };
  }

  private async closeWindow(corr: CompiledCorrelation, window: OpenWindow): Promise<Detection[]> {
    this.counters.windowsClosed++;
    const ref: GroupRef = { correlationId: window.correlationId, groupKey: window.groupKey };
    const end = window.startBucket + window.buckets - 1;
    const read = await this.store.read(ref, window.startBucket, end);
    const value = this.windowValue(corr, read.buckets, window.startBucket, end);
    if (!this.holds(corr, value.value)) return [];
    const expiresAtMs = (end + window.buckets + 1) * corr.bucketMs;
    if (!(await this.store.tryFire(ref, window.startBucket, end, expiresAtMs))) return [];
    // The detection happens when the window closes: its last instant is its time for chains.
    const time = window.closeAt - 1;
    const values = corr.groupFields.map((f) => window.group[f.name] ?? null);
    const detection = this.detection(corr, values, value, window.startBucket, end, time);
    return [detection, ...(await this.chain(corr, detection, time))];
  }

  private windowValue(corr: CompiledCorrelation, buckets: BucketState[], start: number, end: number): WindowValue {
    const inWindow = buckets.filter((b) => b.bucket >= start && b.bucket <= end);
    const rules = new Set<number>();
    const logIds: string[] = [];
    const seenLogIds = new Set<string>();
    let count = 0;
    let sum = 0;
    for (const b of inWindow) {
      count += b.count;
      sum += b.sum;
      for (const r of b.rules) rules.add(r);
      for (const id of b.logIds) {
        if (logIds.length < MAX_LOG_IDS && !seenLogIds.has(id)) {
          seenLogIds.add(id);
          logIds.push(id);
        }
      }
    }
    const result: WindowValue = { value: 0, saturated: false, rules: [...rules].sort((a, b) => a - b), logIds };
    switch (corr.model.type) {
      case 'event_count':
        result.value = count;
        break;
      case 'value_count': {
        const union = new Set<string>();
        for (const b of inWindow) {
          for (const d of b.distinct) union.add(d);
          if (b.saturated) result.saturated = true;
        }
        if (union.size >= this.distinctCap) result.saturated = result.saturated || union.size > this.distinctCap;
        result.value = Math.min(union.size, this.distinctCap);
        if (result.saturated) this.counters.saturatedWindows++;
        break;
      }
      case 'temporal':
        result.value = new Set([...rules].map((i) => corr.model.rules[i])).size;
        break;
      case 'temporal_ordered':
        result.value = orderedPrefix(corr.model.rules.length, inWindow);
        break;
      case 'value_sum':
        result.value = sum;
        break;
      case 'value_avg':
        result.value = count === 0 ? 0 : sum / count;
        break;
      case 'value_percentile':
        result.value = this.percentile(inWindow, corr.percentile);
        break;
    }
    return result;
  }

  private holds(corr: CompiledCorrelation, value: number): boolean {
    return conditionHolds(corr.conditions, value);
  }

  private detection(corr: CompiledCorrelation, values: Scalar[], value: WindowValue, start: number, end: number, time: number): Detection {
    this.counters.detections++;
    const group = groupRecord(corr, values);
    const detection: Detection = {
      rule: corr.summary,
      date: new Date(time).toISOString(),
      correlation: {
        type: corr.model.type,
        group,
        value: value.value,
        window: { start: boundaryIso(start * corr.bucketMs), end: boundaryIso((end + 1) * corr.bucketMs) },
        rules: [...new Set(value.rules.map((i) => corr.model.rules[i]))],
        log_ids: value.logIds,
      },
    };
    if (this.tenant !== undefined) (detection as Detection & { tenant?: string }).tenant = this.tenant;
    // Group values that are the usual Auth0 fields fill the detection's summary fields for notifications.
    for (const [field, key] of SUMMARY_FIELDS) {
      const v = group[field];
      if (typeof v === 'string') detection[key] = v;
    }
    return detection;
  }

  // ---- the fast path: the same evaluation on the memory store's synchronous interface -------------------------
  // Every step mirrors its asynchronous counterpart above (feed, chain, apply, update, closeWindow, windowValue),
  // in the same order and with the same store calls, so detections, their order and every counter are the same
  // (test/sigma/correlation-fast-path.test.ts compares the two on random event sequences). What it saves: no
  // Promise per call, no copy of the window's buckets per event (they are read in place), a single-field group's key
  // built once per value, and the event_count of the window ending at a group's newest bucket kept as a running count.

  private feedSync(root: NormalizedEvent, time: number, ruleIds: string[], logIds: string[]): Detection[] {
    const out: Detection[] = [];
    if (ruleIds.length === 1) {
      // One rule: its correlations in rule-set order, as `correlationsFed` would list them.
      const id = ruleIds[0];
      for (const corr of this.feeds.get(id) ?? []) this.applyContained(corr, root, time, corr.ruleIndex.get(id) as number[], logIds, out);
      return out;
    }
    const perCorrelation = this.correlationsFed(ruleIds);
    for (const corr of this.correlations) {
      const indexes = perCorrelation.get(corr);
      if (indexes) this.applyContained(corr, root, time, indexes, logIds, out);
    }
    return out;
  }

  /** One correlation's update and its chains; a failure is contained to the rule, as in `feed`. */
  private applyContained(corr: CompiledCorrelation, root: NormalizedEvent, time: number, indexes: number[], logIds: string[], out: Detection[]): void {
    try {
      for (const detection of this.applySync(corr, root, time, indexes, logIds)) {
        out.push(detection);
        if (this.feeds.has(corr.rule.id)) for (const chained of this.chainSync(corr, detection, time)) out.push(chained);
      }
    } catch (err) {
      this.fail(corr.rule.id, 'state-error', err);
    }
  }

  private chainSync(corr: CompiledCorrelation, detection: Detection, time: number): Detection[] {
    const info = detection.correlation as CorrelationInfo;
    return this.feedSync(groupAsEvent(info.group), time, [corr.rule.id], info.log_ids);
  }

  private applySync(corr: CompiledCorrelation, root: NormalizedEvent, time: number, indexes: number[], logIds: string[]): Detection[] {
    if (indexes.length === 1) {
      const values = this.groupValues(corr, root, indexes[0]);
      const add = this.bucketAdd(corr, root, time, indexes, logIds);
      if (!add) return [];
      const detection = this.updateSync(corr, this.internedGroup(corr, values), values, time, add);
      return detection ? [detection] : [];
    }
    // Aliases can put one event in several groups: one update per distinct group, in first-seen order (as `apply`).
    const groups = new Map<string, { group: InternedGroup; values: Scalar[]; indexes: number[] }>();
    for (const index of indexes) {
      const values = this.groupValues(corr, root, index);
      const group = this.internedGroup(corr, values);
      const entry = groups.get(group.id);
      if (entry) entry.indexes.push(index);
      else groups.set(group.id, { group, values, indexes: [index] });
    }
    const out: Detection[] = [];
    for (const { group, values, indexes: groupIndexes } of groups.values()) {
      const add = this.bucketAdd(corr, root, time, groupIndexes, logIds);
      if (!add) continue;
      const detection = this.updateSync(corr, group, values, time, add);
      if (detection) out.push(detection);
    }
    return out;
  }

  private groupValues(corr: CompiledCorrelation, root: NormalizedEvent, index: number): Scalar[] {
    const fields = corr.groupFields;
    const values = new Array<Scalar>(fields.length);
    for (let i = 0; i < fields.length; i++) values[i] = firstValue(root, fields[i].byRule[index] ?? fields[i].fallback);
    return values;
  }

  /**
   * The group's identity (key, store id). With one group-by field it is built once per value and kept in a bounded
   * per-correlation map keyed by the value's string form (200 and "200" are one group, as in `groupKeyOf`; null is
   * its own key): a lookup hashes the value and builds no string, which pays where the same groups come back (many
   * events from one IP). Groups of several fields are built each time: on the reference corpus almost every such
   * update is a new group, and a cache of them (a tree of maps, or the last identity per first value) cost more in
   * misses and garbage than it saved (docs/performance.md). Long values are not kept (their key is built each time).
   */
  private internedGroup(corr: CompiledCorrelation, values: Scalar[]): InternedGroup {
    if (values.length !== 1) return this.groupIdentity(corr, values);
    const v = values[0];
    const key = v === null ? null : typeof v === 'string' ? v : String(v);
    if (key !== null && key.length > INTERNED_VALUE_MAX) return this.groupIdentity(corr, values);
    const held = corr.interned.get(key);
    if (held !== undefined) return held;
    const group = this.groupIdentity(corr, values);
    if (corr.internedCount >= INTERNED_GROUPS_MAX || corr.internedChars >= INTERNED_CHARS_MAX) {
      corr.interned = new Map();
      corr.internedCount = 0;
      corr.internedChars = 0;
    } else {
      corr.interned.set(key, group);
      corr.internedCount++;
      // The key and id strings, and about as much again for the value kept as the map's key.
      corr.internedChars += 2 * group.id.length;
    }
    return group;
  }

  private groupIdentity(corr: CompiledCorrelation, values: Scalar[]): InternedGroup {
    const ref: GroupRef = { correlationId: corr.rule.id, groupKey: this.tenant === undefined ? groupKeyOf(values) : tenantGroupKey(this.tenant, values) };
    return { ref, id: memoryGroupId(ref) };
  }

  private updateSync(corr: CompiledCorrelation, group: InternedGroup, values: Scalar[], time: number, add: BucketAdd): Detection | undefined {
    const memory = this.memory as MemoryCorrelationStore;
    const { ref, id } = group;
    const k = corr.buckets;
    const bucket = Math.floor(time / corr.bucketMs);
    const expiresAtMs = (bucket + 2 * k + 1) * corr.bucketMs;
    const options = { distinctCap: this.distinctCap, expiresAtMs };
    if (corr.atClose) {
      const window = this.windowToOpen(corr, ref, values, bucket, memory.addSync(ref, bucket, add, options, id, 0));
      if (window && memory.tryOpenWindowSync(window, expiresAtMs)) this.counters.windowsOpened++;
      return undefined;
    }
    const stored = memory.addSync(ref, bucket, add, options, id, corr.model.type === 'event_count' ? k : 0);
    const firedEnd = stored.firedEnd ?? -Infinity;
    // Windows ending at this bucket and at each later non-empty one (a late event belongs to them too).
    const last = Math.min(bucket + k - 1, stored.newestBucket);
    for (let end = bucket; end <= last; end++) {
      if (end !== bucket && stored.bucket(end) === undefined) continue;
      const start = end - k + 1;
      if (start <= firedEnd) continue;
      const value = this.measureSync(corr, stored, start, end);
      if (!this.holds(corr, value)) continue;
      if (!memory.tryFireSync(ref, start, end, expiresAtMs, id)) return undefined;
      return this.detection(corr, values, windowDetails(stored, value, start, end), start, end, time);
    }
    return undefined;
  }

  private closeWindowSync(memory: MemoryCorrelationStore, corr: CompiledCorrelation, window: OpenWindow): Detection[] {
    this.counters.windowsClosed++;
    const ref: GroupRef = { correlationId: window.correlationId, groupKey: window.groupKey };
    const id = memoryGroupId(ref);
    const end = window.startBucket + window.buckets - 1;
    const stored = memory.readSync(id);
    const value = this.measureSync(corr, stored, window.startBucket, end);
    if (!this.holds(corr, value)) return [];
    // The window's details as they were read: a group created by tryFire (evicted since) holds nothing.
    const details = windowDetails(stored, value, window.startBucket, end);
    const expiresAtMs = (end + window.buckets + 1) * corr.bucketMs;
    if (!memory.tryFireSync(ref, window.startBucket, end, expiresAtMs, id)) return [];
    const time = window.closeAt - 1;
    const values = corr.groupFields.map((f) => window.group[f.name] ?? null);
    const detection = this.detection(corr, values, details, window.startBucket, end, time);
    return this.feeds.has(corr.rule.id) ? [detection, ...this.chainSync(corr, detection, time)] : [detection];
  }

  /** The window's value, as `windowValue` computes it (saturated value_count windows counted alike). */
  private measureSync(corr: CompiledCorrelation, stored: MemoryGroupView | undefined, start: number, end: number): number {
    switch (corr.model.type) {
      case 'event_count': {
        if (stored && stored.span === corr.buckets && end === stored.newestBucket) return stored.spanCount;
        let count = 0;
        for (let i = start; i <= end; i++) count += stored?.bucket(i)?.count ?? 0;
        return count;
      }
      case 'value_sum':
      case 'value_avg': {
        // Summed in bucket order from zero, as windowValue does: the same floating-point result.
        let count = 0;
        let sum = 0;
        for (let i = start; i <= end; i++) {
          const b = stored?.bucket(i);
          if (!b) continue;
          count += b.count;
          sum += b.sum;
        }
        if (corr.model.type === 'value_sum') return sum;
        return count === 0 ? 0 : sum / count;
      }
      case 'value_count': {
        const union = scratchDigests;
        union.clear();
        let saturated = false;
        for (let i = start; i <= end; i++) {
          const b = stored?.bucket(i);
          if (!b) continue;
          const distinct = b.distinct;
          if (typeof distinct === 'string') union.add(distinct);
          else if (distinct) for (const d of distinct) union.add(d);
          if (b.saturated) saturated = true;
        }
        const size = union.size;
        union.clear();
        if (size >= this.distinctCap) saturated = saturated || size > this.distinctCap;
        if (saturated) this.counters.saturatedWindows++;
        return Math.min(size, this.distinctCap);
      }
      case 'temporal': {
        const ids = new Set<string>();
        for (let i = start; i <= end; i++) {
          const rules = stored?.bucket(i)?.rules;
          if (typeof rules === 'number') ids.add(corr.model.rules[rules]);
          else if (rules) for (const r of rules) ids.add(corr.model.rules[r]);
        }
        return ids.size;
      }
      case 'temporal_ordered':
        return orderedPrefixOf(corr.model.rules.length, stored, start, end);
      case 'value_percentile': {
        const merged = new Map<string, number>();
        let n = 0;
        for (let i = start; i <= end; i++) {
          const sketch = stored?.bucket(i)?.sketch;
          if (!sketch) continue;
          for (const [key, c] of sketch) {
            merged.set(key, (merged.get(key) ?? 0) + c);
            n += c;
          }
        }
        return this.nearestRank(merged, n, corr.percentile);
      }
    }
  }

  // ---- value_percentile sketch: log-spaced bins (relative accuracy a: every value in bin i lies within a of
  // the bin's representative 2γ^i/(γ+1), γ = (1+a)/(1-a)). --------------------------------------------------

  private sketchKey(value: number): string {
    const magnitude = Math.abs(value);
    if (magnitude < SKETCH_MIN) return 'z';
    return (value > 0 ? 'p' : 'n') + Math.ceil(Math.log(magnitude) / this.lnGamma);
  }

  private sketchValue(key: string): number {
    if (key === 'z') return 0;
    const representative = (2 * Math.pow(this.gamma, Number(key.slice(1)))) / (this.gamma + 1);
    return key[0] === 'p' ? representative : -representative;
  }

  /** Nearest-rank percentile of the sketch: the value of rank ceil(p/100 · n) (rank 1 for p = 0). */
  private percentile(buckets: BucketState[], p: number): number {
    const merged = new Map<string, number>();
    let n = 0;
    for (const b of buckets) {
      for (const [key, c] of Object.entries(b.sketch)) {
        merged.set(key, (merged.get(key) ?? 0) + c);
        n += c;
      }
    }
    return this.nearestRank(merged, n, p);
  }

  /** The percentile of a merged sketch holding n values. */
  private nearestRank(merged: Map<string, number>, n: number, p: number): number {
    if (n === 0) return 0;
    const bins = [...merged.entries()].map(([key, c]) => ({ value: this.sketchValue(key), c })).sort((a, b) => a.value - b.value);
    const rank = Math.max(1, Math.ceil((p / 100) * n));
    let seen = 0;
    for (const bin of bins) {
      seen += bin.c;
      if (seen >= rank) return bin.value;
    }
    return bins[bins.length - 1].value;
  }

  // ---- compile --------------------------------------------------------------------------------------------

  private compile(rule: RuleModel, model: CorrelationModel, bucketsPerWindow: number): CompiledCorrelation {
    const fail = (message: string): never => {
      throw new CorrelationConfigError(`${where(rule)}: correlation '${rule.title}': ${message}`);
    };
    if (!CORRELATION_TYPES.includes(model.type)) fail(`unknown type '${String(model.type)}'`);
    if (model.rules.length === 0) fail('`rules` is empty');
    if (!(model.timespanMs >= bucketsPerWindow)) fail(`timespan '${model.timespan}' is too short`);
    const ruleIndex = new Map<string, number[]>();
    model.rules.forEach((id, i) => {
      const list = ruleIndex.get(id);
      if (list) list.push(i);
      else ruleIndex.set(id, [i]);
    });
    const pathsFor = (name: string): { byRule: (CompiledPath | undefined)[]; fallback: CompiledPath | undefined } => {
      const alias = model.aliases[name];
      if (!alias) return { byRule: [], fallback: compilePath(name) };
      // An alias names a field per rule; a rule the alias leaves out has no value for it (null group value).
      return { byRule: model.rules.map((id) => (alias[id] === undefined ? undefined : compilePath(alias[id]))), fallback: undefined };
    };
    const groupFields = model.groupBy.map((name) => ({ name, ...pathsFor(name) }));
    const conditions: [ComparisonOp, number][] = [];
    for (const op of COMPARISON_OPS) {
      const v = model.condition[op];
      if (v === undefined) continue;
      if (typeof v !== 'number' || !Number.isFinite(v)) fail(`condition '${op}' must be a number`);
      conditions.push([op, v]);
    }
    if (conditions.length === 0) {
      // Temporal types without a condition: every referenced rule must appear (in order, for temporal_ordered).
      if (model.type === 'temporal' || model.type === 'temporal_ordered') conditions.push(['gte', new Set(model.rules).size]);
      else fail('`condition` needs at least one of gt, gte, lt, lte, eq, neq');
    }
    let valuePaths: (CompiledPath | undefined)[] | undefined;
    let valueFallback: CompiledPath | undefined;
    if (model.type.startsWith('value_')) {
      const field = model.condition.field;
      if (typeof field !== 'string' || field === '') fail(`type ${model.type} needs \`condition.field\``);
      const paths = pathsFor(field as string);
      valuePaths = paths.byRule;
      valueFallback = paths.fallback;
    }
    let percentile = 50;
    if (model.type === 'value_percentile') {
      const p = model.condition.percentile;
      if (typeof p !== 'number' || !(p >= 0 && p <= 100)) fail('value_percentile needs `condition.percentile` between 0 and 100');
      percentile = p as number;
    }
    if (model.type === 'value_count') {
      for (const [op, v] of conditions) {
        if (v >= this.distinctCap) fail(`condition ${op}: ${v} is at or above the distinct-value cap (${this.distinctCap}); counts are exact only below it`);
      }
    }
    const atClose = conditions.some(([op]) => AT_CLOSE_OPS.has(op)) || conditionHolds(conditions, 0);
    return {
      rule, model, summary: ruleSummary(rule), ruleIndex, groupFields, valuePaths, valueFallback, conditions, atClose,
      bucketMs: Math.floor(model.timespanMs / bucketsPerWindow), buckets: bucketsPerWindow, percentile, interned: new Map(), internedCount: 0, internedChars: 0,
    };
  }

  private checkNoCycle(): void {
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (corr: CompiledCorrelation, path: string[]): void => {
      const id = corr.rule.id;
      if (state.get(id) === 'done') return;
      if (state.get(id) === 'visiting') {
        throw new CorrelationConfigError(`${where(corr.rule)}: correlation chain loops: ${[...path, id].join(' → ')}`);
      }
      state.set(id, 'visiting');
      for (const ref of corr.model.rules) {
        const inner = this.byId.get(ref);
        if (inner) visit(inner, [...path, id]);
      }
      state.set(id, 'done');
    };
    for (const corr of this.correlations) visit(corr, []);
  }
}

/**
 * Every reason the Correlator would refuse these rules (one message per problem, `file:line: …`), without
 * throwing: for `check` and the synth step, so a bad correlation fails there rather than at the Lambda's start.
 */
export function checkCorrelations(rules: RuleModel[], options: CorrelatorOptions = {}): string[] {
  const problems: string[] = [];
  const noStore = new NullStore();
  try {
    new Correlator([], noStore, options);
  } catch (err) {
    return [(err as Error).message];
  }
  for (const rule of rules) {
    if (rule.kind !== 'correlation') continue;
    try {
      new Correlator([rule], noStore, options);
    } catch (err) {
      if (err instanceof CorrelationConfigError) problems.push(err.message);
      else throw err;
    }
  }
  if (problems.length === 0) {
    try {
      new Correlator(rules, noStore, options);
    } catch (err) {
      if (err instanceof CorrelationConfigError) problems.push(err.message);
      else throw err;
    }
  }
  return problems;
}

/**
 * The store with transient failures retried (backoff doubling from `delayMs`). Retrying is as safe as the SDK's
 * own retries: a write that fails before it is applied is simply made again; an ambiguous one (a timeout after
 * DynamoDB applied it) may count an event twice, the same risk every retrying client has.
 */
class TransientRetryStore implements CorrelationStore {
  constructor(
    private readonly inner: CorrelationStore,
    private readonly retries: number,
    private readonly delayMs: number,
  ) {}

  private async retry<T>(call: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await call();
      } catch (err) {
        if (attempt >= this.retries || !isTransient(err)) throw err;
        await new Promise((resolve) => setTimeout(resolve, this.delayMs * 2 ** attempt));
      }
    }
  }

  addAndRead(...args: Parameters<CorrelationStore['addAndRead']>): Promise<GroupRead> { return this.retry(() => this.inner.addAndRead(...args)); }
  read(...args: Parameters<CorrelationStore['read']>): Promise<GroupRead> { return this.retry(() => this.inner.read(...args)); }
  tryFire(...args: Parameters<CorrelationStore['tryFire']>): Promise<boolean> { return this.retry(() => this.inner.tryFire(...args)); }
  tryOpenWindow(...args: Parameters<CorrelationStore['tryOpenWindow']>): Promise<boolean> { return this.retry(() => this.inner.tryOpenWindow(...args)); }
  dueWindows(...args: Parameters<CorrelationStore['dueWindows']>): Promise<OpenWindow[]> { return this.retry(() => this.inner.dueWindows(...args)); }
  completeWindow(window: OpenWindow): Promise<void> { return this.retry(() => this.inner.completeWindow(window)); }
  purgeExpired(before: number): Promise<void> { return this.retry(() => this.inner.purgeExpired(before)); }
  stats(): StoreStats { return this.inner.stats(); }
}

/** A store that is never called: checkCorrelations only constructs correlators. */
class NullStore implements CorrelationStore {
  private fail(): never {
    throw new Error('checkCorrelations does not evaluate events');
  }
  addAndRead(): Promise<never> { return this.fail(); }
  read(): Promise<never> { return this.fail(); }
  tryFire(): Promise<never> { return this.fail(); }
  tryOpenWindow(): Promise<never> { return this.fail(); }
  dueWindows(): Promise<never> { return this.fail(); }
  completeWindow(): Promise<never> { return this.fail(); }
  purgeExpired(): Promise<never> { return this.fail(); }
  stats(): { calls: number } { return { calls: 0 }; }
}

// ---- helpers ----------------------------------------------------------------------------------------------

const SUMMARY_FIELDS: [string, 'ip' | 'user_id' | 'user_name' | 'client_id' | 'client_name'][] = [
  ['data.ip', 'ip'], ['data.user_id', 'user_id'], ['data.user_name', 'user_name'],
  ['data.client_id', 'client_id'], ['data.client_name', 'client_name'],
];

function where(rule: RuleModel): string {
  return `${rule.file}:${rule.correlation?.loc.line ?? rule.line}`;
}

/**
 * A group's identity within one tenant: `T` + the tenant as JSON + the group key. Never equal to a single-tenant
 * key (those start with `[` or `#`), and distinct per tenant, so the same group values on two tenants are two groups.
 */
export function tenantGroupKey(tenant: string, values: readonly Scalar[]): string {
  return `T${JSON.stringify(tenant)}${groupKeyOf(values)}`;
}

/** The event's log_id as correlation state keeps it (bounded), in the list a bucket add takes. */
function eventLogIds(event: NormalizedEvent): string[] {
  return event.log_id === undefined ? [] : [storableLogId(String(event.log_id))];
}

/** Event time: `data.date` (ISO 8601) in epoch ms; undefined when missing, unparsable or before 1970. */
export function eventTime(event: NormalizedEvent): number | undefined {
  const date = event.data?.date;
  if (typeof date !== 'string') return undefined;
  const ms = parseIsoTime(date);
  return Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}

export function conditionHolds(conditions: readonly [ComparisonOp, number][], value: number): boolean {
  for (const [op, limit] of conditions) {
    switch (op) {
      case 'gt': if (!(value > limit)) return false; break;
      case 'gte': if (!(value >= limit)) return false; break;
      case 'lt': if (!(value < limit)) return false; break;
      case 'lte': if (!(value <= limit)) return false; break;
      case 'eq': if (value !== limit) return false; break;
      case 'neq': if (value === limit) return false; break;
    }
  }
  return true;
}

/** An object or array group value is its JSON, cut here: longer ones that share this prefix are one group. */
const GROUP_OBJECT_TEXT_MAX = 64 * 1024;

/** The group value of a field: its first scalar value; an object or array is its JSON; missing → null. */
function firstValue(root: NormalizedEvent, path: CompiledPath | undefined): Scalar {
  if (!path) return null;
  let first: unknown = null;
  // Stops at the first value: a group-by field holding a huge array costs one step, not one per element.
  visitValues(root, path, (v) => {
    first = v;
    return true;
  });
  const v = first as unknown;
  if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  // Iterative and bounded: an object or array as a group value may nest deeper than JSON.stringify can go.
  return jsonText(v, { maxChars: GROUP_OBJECT_TEXT_MAX });
}

/**
 * Adds the digests of the scalar values (string form) a path reaches to `distinct`, what value_count counts (null
 * is not a value), and stops once `distinct` holds more than `cap`: a window's value is min(distinct values, cap)
 * and it is saturated above the cap, so the digests past cap + 1 change nothing, and an event carrying a huge
 * array costs neither a digest per element nor a bucket of them.
 */
function addDistinctDigests(root: NormalizedEvent, path: CompiledPath | undefined, distinct: Set<string>, cap: number): void {
  if (!path || distinct.size > cap) return;
  visitValues(root, path, (v) => {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') distinct.add(digest(String(v)));
    return distinct.size > cap;
  });
}

/** First numeric value: a finite number, or a string holding a plain decimal number. */
function numericValue(root: NormalizedEvent, path: CompiledPath | undefined): number | undefined {
  if (!path) return undefined;
  let found: number | undefined;
  visitValues(root, path, (v) => {
    if (typeof v === 'number' && Number.isFinite(v)) found = v;
    else if (typeof v === 'string' && PLAIN_DECIMAL.test(v)) {
      const n = Number(v);
      if (Number.isFinite(n)) found = n;
    }
    return found !== undefined;
  });
  return found;
}

// value_count sees the same values again and again (user names, IPs): their digests are kept, within bounds.
const digestCache = new Map<string, string>();
const DIGEST_CACHE_MAX = 8192;
const DIGEST_CACHE_VALUE_MAX = 256;

/** 96-bit digest of a value: sets stay small whatever the values' length; collisions are negligible below the cap. */
function digest(value: string): string {
  let d = digestCache.get(value);
  if (d !== undefined) return d;
  d = sha256Text(value, 'base64').slice(0, 16);
  if (value.length <= DIGEST_CACHE_VALUE_MAX) {
    if (digestCache.size >= DIGEST_CACHE_MAX) digestCache.clear();
    digestCache.set(value, d);
  }
  return d;
}

/** The group values kept for notifications and chains: a bounded, display-safe copy (correlation-limits.ts). */
function groupRecord(corr: CompiledCorrelation, values: Scalar[]): Record<string, Scalar> {
  const group: Record<string, Scalar> = {};
  corr.groupFields.forEach((f, i) => {
    group[f.name] = displayValue(values[i]);
  });
  return group;
}

function windowKey(window: OpenWindow): string {
  return `${window.correlationId}\u0000${window.groupKey}\u0000${window.startBucket}`;
}

const TRANSIENT_ERRORS = new Set([
  'ThrottlingException', 'ProvisionedThroughputExceededException', 'RequestLimitExceeded', 'InternalServerError',
  'ServiceUnavailable', 'TimeoutError', 'RequestTimeout', 'TransactionConflictException',
]);

/** A throttle, timeout, server or network error: the same request may succeed later. */
function isTransient(err: unknown): boolean {
  if (err === null || typeof err !== 'object') return false;
  const e = err as { name?: unknown; code?: unknown; $retryable?: unknown; $metadata?: { httpStatusCode?: unknown } };
  if (typeof e.name === 'string' && TRANSIENT_ERRORS.has(e.name)) return true;
  if (e.$retryable !== undefined && e.$retryable !== null) return true;
  const status = e.$metadata?.httpStatusCode;
  if (typeof status === 'number' && status >= 500) return true;
  return typeof e.code === 'string' && /^(ECONNRESET|ETIMEDOUT|ECONNREFUSED|EPIPE|EAI_AGAIN)$/.test(e.code);
}

/** `Name: message`, on one line and bounded (store errors name limits, not values; cut anyway). */
function errorSummary(err: unknown): string {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').slice(0, 200);
}

/** The event a correlation detection is to the correlations over it: its group values at their field paths. */
function groupAsEvent(group: Record<string, Scalar>): NormalizedEvent {
  const root: Record<string, unknown> = { data: {} };
  for (const [field, value] of Object.entries(group)) {
    const parts = field.split('.');
    let node = root;
    let ok = true;
    for (let i = 0; i < parts.length - 1 && ok; i++) {
      const next = Object.prototype.hasOwnProperty.call(node, parts[i]) ? node[parts[i]] : undefined;
      if (next === undefined) node = (node[parts[i]] = {}) as Record<string, unknown>;
      else if (next !== null && typeof next === 'object') node = next as Record<string, unknown>;
      else ok = false;
    }
    // A literal dotted key is also reachable by the field path rules, so a conflicting path still resolves.
    if (ok) node[parts[parts.length - 1]] = value;
    else root[field] = value;
  }
  return root as unknown as NormalizedEvent;
}

/**
 * temporal_ordered: how many of the referenced rules, in the order listed, have events in the window at
 * non-decreasing times (greedy earliest choice, which finds an ordered sequence whenever one exists).
 */
function orderedPrefix(ruleCount: number, buckets: BucketState[]): number {
  let previous = -Infinity;
  for (let i = 0; i < ruleCount; i++) {
    let best = Infinity;
    for (const b of buckets) {
      for (const t of b.ruleTimes[i] ?? []) if (t >= previous && t < best) best = t;
    }
    if (best === Infinity) return i;
    previous = best;
  }
  return ruleCount;
}

// Window bounds are bucket boundaries: the same few come up detection after detection (toISOString: about 0.7 µs).
const boundaryIsoCache = new Map<number, string>();
const BOUNDARY_ISO_CACHE_MAX = 4096;

function boundaryIso(ms: number): string {
  let text = boundaryIsoCache.get(ms);
  if (text === undefined) {
    text = new Date(ms).toISOString();
    if (boundaryIsoCache.size >= BOUNDARY_ISO_CACHE_MAX) boundaryIsoCache.clear();
    boundaryIsoCache.set(ms, text);
  }
  return text;
}

/** value_count's union of a window's digests (the fast path; cleared after each use). */
const scratchDigests = new Set<string>();

/** The rules and log_ids of a window read in place (as windowValue gathers them from a read), with its value. */
function windowDetails(stored: MemoryGroupView | undefined, value: number, start: number, end: number): WindowValue {
  const rules: number[] = [];
  const logIds: string[] = [];
  for (let i = start; i <= end; i++) {
    const b = stored?.bucket(i);
    if (!b) continue;
    const bucketRules = b.rules;
    if (typeof bucketRules === 'number') {
      if (!rules.includes(bucketRules)) rules.push(bucketRules);
    } else if (bucketRules) for (const r of bucketRules) if (!rules.includes(r)) rules.push(r);
    const sample = b.logIds;
    if (typeof sample === 'string') {
      if (logIds.length < MAX_LOG_IDS && !logIds.includes(sample)) logIds.push(sample);
    } else if (sample) {
      for (const id of sample) {
        if (id !== undefined && logIds.length < MAX_LOG_IDS && !logIds.includes(id)) logIds.push(id);
      }
    }
  }
  return { value, saturated: false, rules: rules.length > 1 ? rules.sort((a, b) => a - b) : rules, logIds };
}

/** orderedPrefix over the buckets of [start, end] read in place. */
function orderedPrefixOf(ruleCount: number, stored: MemoryGroupView | undefined, start: number, end: number): number {
  let previous = -Infinity;
  for (let i = 0; i < ruleCount; i++) {
    let best = Infinity;
    for (let j = start; j <= end; j++) {
      const times = stored?.bucket(j)?.ruleTimes?.get(i);
      if (times) for (const t of times) if (t >= previous && t < best) best = t;
    }
    if (best === Infinity) return i;
    previous = best;
  }
  return ruleCount;
}

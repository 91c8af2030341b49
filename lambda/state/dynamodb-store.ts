// The correlation store of the Lambda: one DynamoDB table shared by every concurrent invocation.
// Every write that decides something is atomic: bucket counts are ADDed (never read-modify-write), the alert-once
// marker and the window opening are conditional updates, so concurrent Lambdas neither lose counts nor alert twice.
//
// Key schema (pk, sk strings; `expiresAt` = TTL in epoch seconds on every item):
//   C#<correlation id>#<group hash>   B#<bucket, 16 digits>   one time bucket of one group (counts, sets, sketch)
//   C#<correlation id>#<group hash>   F                       alert-once marker: firedEnd (last bucket of the last window that fired)
//   C#<correlation id>#<group hash>   H                       at-close window head: ws (first bucket of the latest window)
//   W#<shard 0..n-1>                  <closeAt 16 digits>#<correlation id>#<group hash>#<start>
//                                                             index of windows to evaluate at close (the sweep):
//                                                             sorted by close time, deleted once evaluated
//                                                             (tn = its tenant, with several tenants)
// With several tenants the group hash is of a tenant-scoped group key (correlation.ts tenantGroupKey).
// Delivery ledger and storm control (lambda/reliability, same table):
//   N#<detection key>                 <destination>           notification record (claim, sent, suppressed)
//   OUTBOX                            <detection key>         correlation detection not yet delivered everywhere
//   EV#<log_id>                       CORR                    event fed to the correlation engine (+ its detections)
//   BUDGET#<rule id>                  <window start>          storm-control counter (email/SMS; chat: BUDGET#CHAT#<rule id>)
//   SUMMARY#DUE                       <window end>#<rule>#<start>  window owing a storm summary (chat: SUMMARY#CHAT)
// Every prefix ends with `#` or is a fixed word, so item types never collide.

import type { AttributeValue, CreateTableCommandInput, DynamoDBClient, QueryCommandOutput } from '@aws-sdk/client-dynamodb';
import { clientOf, dynamoDbSdk, type ClientSource } from '../aws-clients';
import { createHash } from 'crypto';
import { checkedSum, gridDecimal } from '../sigma/correlation-limits';
import {
  LOG_ID_SLOTS, logIdSlot,
  type AddOptions, type BucketAdd, type BucketState, type CorrelationStore, type GroupRead, type GroupRef, type GroupState,
  type OpenWindow, type StoreStats,
} from '../sigma/correlation-store';

/** The table the store needs: what the CDK stack creates and the dynalite tests create. */
export const correlationTableSchema = {
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
  timeToLiveAttribute: 'expiresAt',
  billingMode: 'PAY_PER_REQUEST',
  globalSecondaryIndexes: [],
} as const;

/** CreateTable input for the schema (tests; the stack uses the CDK Table construct with the same names). */
export function correlationCreateTableInput(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    AttributeDefinitions: [
      { AttributeName: correlationTableSchema.partitionKey.name, AttributeType: correlationTableSchema.partitionKey.type },
      { AttributeName: correlationTableSchema.sortKey.name, AttributeType: correlationTableSchema.sortKey.type },
    ],
    KeySchema: [
      { AttributeName: correlationTableSchema.partitionKey.name, KeyType: 'HASH' },
      { AttributeName: correlationTableSchema.sortKey.name, KeyType: 'RANGE' },
    ],
    BillingMode: correlationTableSchema.billingMode,
  };
}

export interface DynamoDbCorrelationStoreOptions {
  client: ClientSource<DynamoDBClient>;
  tableName: string;
  /** Wall clock (epoch ms): TTL floor, and the latest time the sweep can close windows up to. Default Date.now. */
  clock?: () => number;
  /**
   * Partitions of the open-window index (a group always uses the same one). The sweep makes one Query per shard;
   * more shards spread window openings over more partitions. Default 4. Must not change while windows are open.
   */
  indexShards?: number;
  /** Added to every item's TTL so DynamoDB's late deletion never races a read. Default one day. */
  ttlMarginSeconds?: number;
  /** Open-window index items live this long past their close time (survives sweep outages). Default 7 days. */
  indexRetentionSeconds?: number;
}

const BUCKET_DIGITS = 16;
/** The two per-group items; apart so that each one's TTL only ever moves forward with its own writes. */
const FIRED_SK = 'F';
const HEAD_SK = 'H';

const pad = (n: number): string => String(Math.max(0, Math.floor(n))).padStart(BUCKET_DIGITS, '0');

function hash(text: string): string {
  return createHash('sha256').update(text).digest('base64url').slice(0, 22);
}

/** Correlation ids are kept readable in keys unless long (derived ids can be); pk stays far below 2048 bytes. */
function idPart(id: string): string {
  return id.length <= 128 && !id.includes('#') ? id : `h:${hash(id)}`;
}

const S = (s: string): AttributeValue => ({ S: s });
/** DynamoDB numbers are decimal strings: write 1e-7 as 0.0000001 (at most 21 significant digits, as JS has). */
const decimal = (n: number): string => {
  const text = String(n);
  return /e/i.test(text) ? n.toLocaleString('en-US', { useGrouping: false, maximumSignificantDigits: 21 }) : text;
};
const N = (n: number): AttributeValue => ({ N: decimal(n) });

export class DynamoDbCorrelationStore implements CorrelationStore {
  private calls = 0;
  private readonly client: ClientSource<DynamoDBClient>;
  private readonly tableName: string;
  private readonly clock: () => number;
  private readonly shards: number;
  private readonly ttlMargin: number;
  private readonly indexRetention: number;

  constructor(options: DynamoDbCorrelationStoreOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
    this.clock = options.clock ?? Date.now;
    this.shards = options.indexShards ?? 4;
    if (!Number.isInteger(this.shards) || this.shards < 1) throw new Error(`indexShards must be a positive integer (got ${this.shards})`);
    this.ttlMargin = options.ttlMarginSeconds ?? 86_400;
    this.indexRetention = options.indexRetentionSeconds ?? 7 * 86_400;
  }

  stats(): StoreStats {
    return { calls: this.calls };
  }

  async addAndRead(ref: GroupRef, bucket: number, add: BucketAdd, from: number, to: number, options: AddOptions): Promise<GroupRead> {
    const key = { pk: S(groupPk(ref)), sk: S(`B#${pad(bucket)}`) };
    const expiresAt = this.ttl(options.expiresAtMs);
    const withDistinct = add.distinct !== undefined && add.distinct.length > 0;
    try {
      await this.send(new (dynamoDbSdk().UpdateItemCommand)({ TableName: this.tableName, Key: key, ...bucketUpdate(add, expiresAt, withDistinct, options.distinctCap) }));
    } catch (err) {
      if (!withDistinct || !(err instanceof dynamoDbSdk().ConditionalCheckFailedException)) throw err;
      // The bucket's distinct set is full: count the event, keep the set, mark the bucket saturated.
      const update = bucketUpdate({ ...add, distinct: undefined }, expiresAt, false, options.distinctCap);
      update.UpdateExpression = update.UpdateExpression.replace('SET ', 'SET #sat = :true, ');
      update.ExpressionAttributeNames = { ...update.ExpressionAttributeNames, '#sat': 'sat' };
      update.ExpressionAttributeValues = { ...update.ExpressionAttributeValues, ':true': { BOOL: true } };
      await this.send(new (dynamoDbSdk().UpdateItemCommand)({ TableName: this.tableName, Key: key, ...update }));
    }
    return this.read(ref, from, to);
  }

  async read(ref: GroupRef, from: number, to: number): Promise<GroupRead> {
    // One range covers the buckets from `from` onwards and both group items (`B#…` < `F` < `H`).
    const buckets: BucketState[] = [];
    const state: GroupState = {};
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page: QueryCommandOutput = await this.send(new (dynamoDbSdk().QueryCommand)({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :lo AND :hi',
        ExpressionAttributeValues: { ':pk': S(groupPk(ref)), ':lo': S(`B#${pad(from)}`), ':hi': S(HEAD_SK) },
        ConsistentRead: true,
        ExclusiveStartKey: startKey,
      }));
      for (const item of page.Items ?? []) {
        const sk = item.sk?.S ?? '';
        if (sk === FIRED_SK) {
          if (item.firedEnd?.N !== undefined) state.firedEnd = Number(item.firedEnd.N);
        } else if (sk === HEAD_SK) {
          if (item.ws?.N !== undefined) state.windowStart = Number(item.ws.N);
        } else if (sk.startsWith('B#')) {
          const index = Number(sk.slice(2));
          if (index >= from && index <= to) buckets.push(decodeBucket(index, item));
        }
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return { buckets, state };
  }

  async tryFire(ref: GroupRef, startBucket: number, endBucket: number, expiresAtMs: number): Promise<boolean> {
    try {
      await this.send(new (dynamoDbSdk().UpdateItemCommand)({
        TableName: this.tableName,
        Key: { pk: S(groupPk(ref)), sk: S(FIRED_SK) },
        UpdateExpression: 'SET firedEnd = :end, expiresAt = :exp',
        ConditionExpression: 'attribute_not_exists(firedEnd) OR firedEnd < :start',
        ExpressionAttributeValues: { ':end': N(endBucket), ':start': N(startBucket), ':exp': N(this.ttl(expiresAtMs)) },
      }));
      return true;
    } catch (err) {
      if (err instanceof dynamoDbSdk().ConditionalCheckFailedException) return false;
      throw err;
    }
  }

  async tryOpenWindow(window: OpenWindow, expiresAtMs: number): Promise<boolean> {
    // Index first, then the conditional group update: a crash in between leaves an extra window that the sweep
    // evaluates (the alert-once marker still holds), never an open window the sweep cannot find.
    const index = this.indexKey(window);
    await this.send(new (dynamoDbSdk().PutItemCommand)({
      TableName: this.tableName,
      Item: {
        ...index,
        corr: S(window.correlationId),
        gk: S(window.groupKey),
        grp: S(JSON.stringify(window.group)),
        start: N(window.startBucket),
        nb: N(window.buckets),
        closeAt: N(window.closeAt),
        ...(window.tenant === undefined ? {} : { tn: S(window.tenant) }),
        expiresAt: N(Math.ceil(Math.max(window.closeAt, this.clock()) / 1000) + this.indexRetention),
      },
    }));
    try {
      await this.send(new (dynamoDbSdk().UpdateItemCommand)({
        TableName: this.tableName,
        Key: { pk: S(groupPk(window)), sk: S(HEAD_SK) },
        UpdateExpression: 'SET ws = :start, expiresAt = :exp',
        ConditionExpression: 'attribute_not_exists(ws) OR ws <= :latestAllowed',
        ExpressionAttributeValues: {
          ':start': N(window.startBucket),
          ':latestAllowed': N(window.startBucket - window.buckets),
          ':exp': N(this.ttl(expiresAtMs)),
        },
      }));
      return true;
    } catch (err) {
      if (!(err instanceof dynamoDbSdk().ConditionalCheckFailedException)) throw err;
      await this.send(new (dynamoDbSdk().DeleteItemCommand)({ TableName: this.tableName, Key: index }));
      return false;
    }
  }

  async dueWindows(upTo: number, limit: number): Promise<OpenWindow[]> {
    // The Lambda has no "end of input": a window cannot be due later than now.
    const until = Math.min(upTo, this.clock());
    const out: OpenWindow[] = [];
    for (let shard = 0; shard < this.shards && out.length < limit; shard++) {
      let startKey: Record<string, AttributeValue> | undefined;
      do {
        const page: QueryCommandOutput = await this.send(new (dynamoDbSdk().QueryCommand)({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND sk < :hi',
          ExpressionAttributeValues: { ':pk': S(`W#${shard}`), ':hi': S(pad(until + 1)) },
          ConsistentRead: true,
          Limit: limit - out.length,
          ExclusiveStartKey: startKey,
        }));
        for (const item of page.Items ?? []) out.push(decodeWindow(item));
        startKey = out.length < limit ? page.LastEvaluatedKey : undefined;
      } while (startKey);
    }
    return out.sort((a, b) => a.closeAt - b.closeAt);
  }

  /**
   * Exact count of the at-close windows waiting in the index (due or not), by tenant (`''`: windows without one).
   * Reads the whole index (eventually consistent, only the `tn` attribute, billed by the items' size all the
   * same); undefined when it holds more than `maxPages` pages of 1 MB, so a huge index never eats the caller's time.
   */
  async countOpenWindows(maxPages: number): Promise<Map<string, number> | undefined> {
    const counts = new Map<string, number>();
    let pages = 0;
    for (let shard = 0; shard < this.shards; shard++) {
      let startKey: Record<string, AttributeValue> | undefined;
      do {
        if (pages++ >= maxPages) return undefined;
        const page: QueryCommandOutput = await this.send(new (dynamoDbSdk().QueryCommand)({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': S(`W#${shard}`) },
          ProjectionExpression: 'tn',
          ExclusiveStartKey: startKey,
        }));
        for (const item of page.Items ?? []) {
          const tenant = item.tn?.S ?? '';
          counts.set(tenant, (counts.get(tenant) ?? 0) + 1);
        }
        startKey = page.LastEvaluatedKey;
      } while (startKey);
    }
    return counts;
  }

  async completeWindow(window: OpenWindow): Promise<void> {
    await this.send(new (dynamoDbSdk().DeleteItemCommand)({ TableName: this.tableName, Key: this.indexKey(window) }));
  }

  async purgeExpired(): Promise<void> {
    // DynamoDB TTL deletes expired items; reads never look before the windows they need.
  }

  private ttl(expiresAtMs: number): number {
    return Math.ceil(Math.max(expiresAtMs, this.clock()) / 1000) + this.ttlMargin;
  }

  private indexKey(window: OpenWindow): Record<string, AttributeValue> {
    const groupHash = hash(window.groupKey);
    return {
      pk: S(`W#${shardOf(groupHash, this.shards)}`),
      sk: S(`${pad(window.closeAt)}#${idPart(window.correlationId)}#${groupHash}#${window.startBucket}`),
    };
  }

  private async send<T>(command: { readonly input: unknown }): Promise<T> {
    this.calls++;
    return (clientOf(this.client).send as (c: unknown) => Promise<T>)(command);
  }
}

/** The shard of a group: the first byte of its hash. */
function shardOf(groupHash: string, shards: number): number {
  return groupHash.charCodeAt(0) % shards;
}

function groupPk(ref: GroupRef): string {
  return `C#${idPart(ref.correlationId)}#${hash(ref.groupKey)}`;
}

/** The UpdateItem for one bucket add: ADD for every count, set and sketch bin; SET for TTL and log_id slots. */
function bucketUpdate(add: BucketAdd, expiresAt: number, withDistinct: boolean, distinctCap: number): {
  UpdateExpression: string;
  ConditionExpression?: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues: Record<string, AttributeValue>;
} {
  const names: Record<string, string> = {};
  const values: Record<string, AttributeValue> = {};
  const sets: string[] = [];
  const adds: string[] = [];
  let i = 0;
  const name = (attr: string): string => {
    const placeholder = `#a${i}`;
    names[placeholder] = attr;
    return placeholder;
  };
  const value = (v: AttributeValue): string => {
    const placeholder = `:v${i++}`;
    values[placeholder] = v;
    return placeholder;
  };
  sets.push(`${name('expiresAt')} = ${value(N(expiresAt))}`);
  adds.push(`${name('n')} ${value(N(add.count))}`);
  if (add.sum !== undefined) adds.push(`${name('s')} ${value(sumNumber(add.sum))}`);
  if (add.rules && add.rules.length > 0) adds.push(`${name('r')} ${value({ NS: [...new Set(add.rules)].map(String) })}`);
  for (const [rule, times] of Object.entries(add.ruleTimes ?? {})) {
    if (times.length > 0) adds.push(`${name(`t${rule}`)} ${value({ NS: [...new Set(times)].map(String) })}`);
  }
  for (const [bin, n] of Object.entries(add.sketch ?? {})) adds.push(`${name(`h${bin}`)} ${value(N(n))}`);
  for (const id of add.logIds ?? []) {
    const slot = name(`l${logIdSlot(id)}`);
    sets.push(`${slot} = if_not_exists(${slot}, ${value(S(id))})`);
  }
  let condition: string | undefined;
  if (withDistinct) {
    const v = name('v');
    adds.push(`${v} ${value({ SS: [...new Set(add.distinct)] })}`);
    condition = `attribute_not_exists(${v}) OR size(${v}) < ${value(N(distinctCap))}`;
  }
  // Two log_ids of one add may share a slot: keep the first (one SET per attribute is allowed).
  const seenSlots = new Set<string>();
  const dedupedSets = sets.filter((s) => {
    const attr = names[s.split(' ')[0]];
    if (!attr.startsWith('l')) return true;
    if (seenSlots.has(attr)) return false;
    seenSlots.add(attr);
    return true;
  });
  return {
    UpdateExpression: `SET ${dedupedSets.join(', ')} ADD ${adds.join(', ')}`,
    ConditionExpression: condition,
    ExpressionAttributeNames: pruneNames(names, dedupedSets, adds, condition),
    ExpressionAttributeValues: pruneValues(values, dedupedSets, adds, condition),
  };
}

// DynamoDB rejects unused placeholders: keep only those the final expressions mention.
function pruneNames(names: Record<string, string>, ...parts: (string[] | string | undefined)[]): Record<string, string> {
  const text = parts.flat().join(' ');
  return Object.fromEntries(Object.entries(names).filter(([k]) => new RegExp(`${k}(?![0-9])`).test(text)));
}

function pruneValues(values: Record<string, AttributeValue>, ...parts: (string[] | string | undefined)[]): Record<string, AttributeValue> {
  const text = parts.flat().join(' ');
  return Object.fromEntries(Object.entries(values).filter(([k]) => new RegExp(`${k}(?![0-9])`).test(text)));
}

/**
 * A bucket sum addend as DynamoDB takes it: exact decimal text on the engine's grid (correlation-limits.ts), so
 * no ADD ever needs more than 38 digits or leaves DynamoDB's range; anything else is a RangeError, not a
 * ValidationException on every retry.
 */
function sumNumber(sum: number): AttributeValue {
  return { N: gridDecimal(checkedSum(sum)) };
}

function decodeBucket(index: number, item: Record<string, AttributeValue>): BucketState {
  const bucket: BucketState = {
    bucket: index, count: 0, sum: 0, distinct: [], saturated: false, rules: [], ruleTimes: {}, sketch: {}, logIds: [],
  };
  const slots: string[] = new Array<string>(LOG_ID_SLOTS);
  for (const [attr, v] of Object.entries(item)) {
    if (attr === 'n') bucket.count = Number(v.N);
    else if (attr === 's') bucket.sum = Number(v.N);
    else if (attr === 'v') bucket.distinct = v.SS ?? [];
    else if (attr === 'sat') bucket.saturated = v.BOOL === true;
    else if (attr === 'r') bucket.rules = (v.NS ?? []).map(Number).sort((a, b) => a - b);
    else if (/^t\d+$/.test(attr)) bucket.ruleTimes[Number(attr.slice(1))] = (v.NS ?? []).map(Number).sort((a, b) => a - b);
    else if (attr.startsWith('h')) bucket.sketch[attr.slice(1)] = Number(v.N);
    else if (/^l\d+$/.test(attr) && v.S !== undefined) slots[Number(attr.slice(1))] = v.S;
  }
  bucket.logIds = slots.filter((x): x is string => x !== undefined);
  return bucket;
}

function decodeWindow(item: Record<string, AttributeValue>): OpenWindow {
  return {
    correlationId: item.corr?.S ?? '',
    groupKey: item.gk?.S ?? '[]',
    group: JSON.parse(item.grp?.S ?? '{}') as OpenWindow['group'],
    startBucket: Number(item.start?.N),
    buckets: Number(item.nb?.N),
    closeAt: Number(item.closeAt?.N),
    ...(item.tn?.S === undefined ? {} : { tenant: item.tn.S }),
  };
}

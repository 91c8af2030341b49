// Exactly-once notification on top of at-least-once delivery (EventBridge and Lambda retries, duplicate events,
// redrive from the dead-letter queues). Decisions and numbers: docs/reliability.md.
//
// Every detection has a stable key (detectionKey); per destination (sns, eventbridge) a ledger item records
// whether it was sent. Before sending, an invocation *claims* the item with a conditional write and a lease;
// after the provider acknowledged, it marks the item sent; after a failure it releases the lease so the
// retry can claim it at once. A retry therefore sends only what is missing, per destination.
//
// Items live in the correlation table (lambda/state/dynamodb-store.ts documents every prefix):
//   N#<detection key>     <destination>           st = pending|sent|suppressed, lease, owner, ch (storm decision)
//   OUTBOX                <detection key>         a correlation detection not yet delivered everywhere (d = JSON)
//   EV#<log_id>           CORR                    the event was fed to the correlation engine (retries skip it)
// `expiresAt` (TTL) on every item: LEDGER_TTL_SECONDS, longer than the whole retry horizon (see below).

import type { AttributeValue, DynamoDBClient, QueryCommandOutput } from '@aws-sdk/client-dynamodb';
import { clientOf, dynamoDbSdk, type ClientSource } from '../aws-clients';
import { createHash, randomUUID } from 'crypto';
import { jsonText } from '../sigma/bounded-json';
import type { Detection } from '../sigma/types';

/**
 * The retry horizon an item must outlive, so that no late copy of an event notifies twice:
 *   EventBridge target retries  ≤ 4 h  (maximumEventAge of the rule target)
 * + Lambda asynchronous retries ≤ 6 h  (maximumEventAge of the function's invoke config)
 * + dead-letter / failed-invocation queue retention 14 days, after which `auth0-sigma redrive` may replay it.
 * 15 days covers all three with a day to spare.
 */
export const LEDGER_TTL_SECONDS = 15 * 86_400;
/**
 * How long a claim blocks other invocations. Longer than one invocation can run (the function timeout,
 * 30 s by default) so two live invocations never send the same thing; short enough that Lambda's own retry
 * (≥ 1 min later, then ≥ 2 min) finds an abandoned claim expired. The construct passes 2 × timeout + 10 s.
 */
export const DEFAULT_LEASE_MS = 70_000;

export const LEDGER_PK_PREFIX = 'N#';
export const OUTBOX_PK = 'OUTBOX';
export const EVENT_PK_PREFIX = 'EV#';
export const EVENT_CORRELATED_SK = 'CORR';

/** Lease override in ms (the construct sets 2 × function timeout + 10 s). The table is SIGMA_CORRELATION_TABLE. */
export const ENV_LEDGER_LEASE_MS = 'SIGMA_LEDGER_LEASE_MS';

export type Destination = string;
export type LedgerStatus = 'pending' | 'sent' | 'suppressed';

export type ClaimResult =
  /** This invocation owns the item and must send; `channels` is a storm-control decision an earlier attempt recorded. */
  | { state: 'claimed'; channels?: string[] }
  /** Sent (or deliberately suppressed) already: nothing to do. */
  | { state: 'done'; status: 'sent' | 'suppressed' }
  /** Another invocation holds a live lease: the outcome is unknown until it expires. */
  | { state: 'held'; leaseUntil: number };

const S = (s: string): AttributeValue => ({ S: s });
const N = (n: number): AttributeValue => ({ N: String(n) });

function sha(text: string): string {
  return createHash('sha256').update(text).digest('base64url').slice(0, 32);
}

/**
 * JSON with object keys sorted, so equal values give equal text whatever their key order. Iterative: detection
 * field values come from the log and may nest deeper than the call stack.
 */
export function stableJson(value: unknown): string {
  return jsonText(value, { sortKeys: true });
}

/** Keys stay readable when short and safe; anything long or odd is hashed (DynamoDB keys are ≤ 1024 bytes here). */
function part(text: string): string {
  return text.length <= 200 && /^[A-Za-z0-9._:@/+=-]*$/.test(text) ? text : `h:${sha(text)}`;
}

/**
 * The identity of a detection across retries and duplicate deliveries:
 * - single-event: rule id + log_id (an event without log_id: a hash of its date, type and matched identifiers,
 *   the most stable content a detection carries);
 * - correlation: correlation rule id + group values + window start and end, and the tenant when the correlator
 *   recorded one (several tenants: the same group and window on two tenants are two detections).
 */
export function detectionKey(detection: Detection): string {
  const rule = part(detection.rule.id);
  const c = detection.correlation;
  if (c) {
    const tenant = (detection as Detection & { tenant?: unknown }).tenant;
    const scope = typeof tenant === 'string' ? `T#${part(tenant)}#` : '';
    return `C#${rule}#${scope}G#${sha(stableJson(c.group))}#W#${part(c.window.start)}#${part(c.window.end)}`;
  }
  if (detection.log_id !== undefined) return `R#${rule}#L#${part(detection.log_id)}`;
  return `R#${rule}#H#${sha(stableJson([detection.date, detection.type, detection.user_id, detection.ip, detection.matched, detection.field_values]))}`;
}

export interface DeliveryLedgerOptions {
  client: ClientSource<DynamoDBClient>;
  tableName: string;
  leaseMs?: number;
  ttlSeconds?: number;
  clock?: () => number;
  /** Identifies this invocation's claims (default: a random id per ledger instance). */
  owner?: string;
}

export interface OutboxEntry {
  key: string;
  detection: Detection;
  createdAt: number;
}

export class DeliveryLedger {
  readonly leaseMs: number;
  private readonly ttlSeconds: number;
  private readonly clock: () => number;
  private readonly client: ClientSource<DynamoDBClient>;
  private readonly tableName: string;
  private owner: string;
  private calls = 0;

  constructor(options: DeliveryLedgerOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    if (!(this.leaseMs > 0)) throw new Error(`ledger lease must be a positive number of ms (got ${this.leaseMs})`);
    this.ttlSeconds = options.ttlSeconds ?? LEDGER_TTL_SECONDS;
    this.clock = options.clock ?? Date.now;
    this.owner = options.owner ?? randomUUID();
  }

  /** A new owner id per invocation: a retried invocation in a warm container must not inherit the old claims. */
  newOwner(owner: string = randomUUID()): void {
    this.owner = owner;
  }

  /** DynamoDB requests made so far (reported in docs/reliability.md per detection). */
  get requestCount(): number {
    return this.calls;
  }

  /**
   * Claims `key` for `destination`: succeeds when the item does not exist, or is pending with an expired lease
   * (an earlier attempt died or failed). One conditional UpdateItem; a refused claim costs one read (Query) more.
   */
  async claim(key: string, destination: Destination): Promise<ClaimResult> {
    const now = this.clock();
    try {
      const out = await this.send<{ Attributes?: Record<string, AttributeValue> }>(new (dynamoDbSdk().UpdateItemCommand)({
        TableName: this.tableName,
        Key: this.key(key, destination),
        UpdateExpression: 'SET st = :pending, lease = :lease, #owner = :owner, expiresAt = :exp ADD attempts :one',
        ConditionExpression: 'attribute_not_exists(st) OR (st = :pending AND lease < :now)',
        ExpressionAttributeNames: { '#owner': 'owner' },
        ExpressionAttributeValues: {
          ':pending': S('pending'), ':lease': N(now + this.leaseMs), ':owner': S(this.owner), ':exp': N(this.ttl(now)),
          ':now': N(now), ':one': N(1),
        },
        ReturnValues: 'ALL_NEW',
      }));
      const channels = decodeChannels(out.Attributes?.ch);
      return channels === undefined ? { state: 'claimed' } : { state: 'claimed', channels };
    } catch (err) {
      if (!(err instanceof dynamoDbSdk().ConditionalCheckFailedException)) throw err;
    }
    const item = await this.get(key, destination);
    const status = item?.st?.S;
    if (status === 'sent' || status === 'suppressed') return { state: 'done', status };
    const leaseUntil = Number(item?.lease?.N ?? 0);
    if (!item || leaseUntil < this.clock()) {
      // Deleted by TTL or expired between the two calls: claim again (rare; bounded by one retry).
      return this.claim(key, destination);
    }
    return { state: 'held', leaseUntil };
  }

  /**
   * Records the storm-control decision (which channels this detection goes to) on a claimed item, so a retry
   * reuses it instead of charging the budget again.
   */
  async recordChannels(key: string, destination: Destination, channels: string[]): Promise<void> {
    await this.send(new (dynamoDbSdk().UpdateItemCommand)({
      TableName: this.tableName,
      Key: this.key(key, destination),
      UpdateExpression: 'SET ch = :ch',
      ConditionExpression: '#owner = :owner',
      ExpressionAttributeNames: { '#owner': 'owner' },
      ExpressionAttributeValues: { ':ch': encodeChannels(channels), ':owner': S(this.owner) },
    }));
  }

  /** The provider acknowledged: never send this again (unconditional: it *was* sent, whoever holds the lease). */
  async markSent(key: string, destination: Destination): Promise<void> {
    await this.finish(key, destination, 'sent');
  }

  /** Storm control held it back for every channel: it counts in the window's summary instead. */
  async markSuppressed(key: string, destination: Destination): Promise<void> {
    await this.finish(key, destination, 'suppressed');
  }

  /** Sending failed: drop our lease so the retry can claim at once. Only our own, still pending claim. */
  async release(key: string, destination: Destination): Promise<void> {
    try {
      await this.send(new (dynamoDbSdk().UpdateItemCommand)({
        TableName: this.tableName,
        Key: this.key(key, destination),
        UpdateExpression: 'SET lease = :zero',
        ConditionExpression: 'st = :pending AND #owner = :owner',
        ExpressionAttributeNames: { '#owner': 'owner' },
        ExpressionAttributeValues: { ':zero': N(0), ':pending': S('pending'), ':owner': S(this.owner) },
      }));
    } catch (err) {
      if (!(err instanceof dynamoDbSdk().ConditionalCheckFailedException)) throw err;
    }
  }

  async status(key: string, destination: Destination): Promise<LedgerStatus | undefined> {
    const st = (await this.get(key, destination))?.st?.S;
    return st === 'pending' || st === 'sent' || st === 'suppressed' ? st : undefined;
  }

  // ---- outbox: correlation detections fire once (the correlation store's alert-once marker), so a retry does
  // not produce them again; they are written here before any send and delivered by the sweep if need be. ------

  async saveOutbox(detection: Detection, detectionJson: string): Promise<string> {
    const key = detectionKey(detection);
    const now = this.clock();
    await this.send(new (dynamoDbSdk().PutItemCommand)({
      TableName: this.tableName,
      Item: { pk: S(OUTBOX_PK), sk: S(key), d: S(detectionJson), createdAt: N(now), expiresAt: N(this.ttl(now)) },
    }));
    return key;
  }

  async clearOutbox(key: string): Promise<void> {
    await this.send(new (dynamoDbSdk().DeleteItemCommand)({ TableName: this.tableName, Key: { pk: S(OUTBOX_PK), sk: S(key) } }));
  }

  /** Outbox entries written before `olderThan` (epoch ms): their invocation had its chance and its lease. */
  async pendingOutbox(olderThan: number, limit = 100): Promise<OutboxEntry[]> {
    const out: OutboxEntry[] = [];
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page: QueryCommandOutput = await this.send(new (dynamoDbSdk().QueryCommand)({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': S(OUTBOX_PK) },
        ConsistentRead: true,
        ExclusiveStartKey: startKey,
      }));
      for (const item of page.Items ?? []) {
        const createdAt = Number(item.createdAt?.N ?? 0);
        if (createdAt >= olderThan) continue;
        try {
          out.push({ key: item.sk?.S ?? '', detection: JSON.parse(item.d?.S ?? 'null') as Detection, createdAt });
        } catch {
          // Written by this code only; an unreadable entry cannot be delivered and is left to its TTL.
        }
        if (out.length >= limit) return out;
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return out;
  }

  // ---- event markers: a retried event must not be counted twice by the correlation engine ---------------------

  /**
   * The correlation detections an event produced when it was fed to the correlation engine, or undefined when it
   * was not (yet). A retried event then skips the engine (its counts are in already) and re-delivers these
   * through the ledger, which sends only what is missing.
   */
  async correlatedEvent(logId: string): Promise<Detection[] | undefined> {
    const item = await this.getItem({ pk: S(EVENT_PK_PREFIX + part(logId)), sk: S(EVENT_CORRELATED_SK) });
    if (!item) return undefined;
    try {
      return (item.d?.L ?? []).map((v) => JSON.parse(v.S ?? 'null') as Detection).filter((d) => d !== null);
    } catch {
      return [];
    }
  }

  /** Marks the event as fed to the correlation engine, with the detections (JSON, size-bounded) it produced. */
  async markEventCorrelated(logId: string, detectionsJson: readonly string[] = []): Promise<void> {
    const now = this.clock();
    await this.send(new (dynamoDbSdk().PutItemCommand)({
      TableName: this.tableName,
      Item: {
        pk: S(EVENT_PK_PREFIX + part(logId)), sk: S(EVENT_CORRELATED_SK), at: N(now), expiresAt: N(this.ttl(now)),
        d: { L: detectionsJson.map((j) => S(j)) },
      },
    }));
  }

  // ---- internals ---------------------------------------------------------------------------------------------

  private async finish(key: string, destination: Destination, status: 'sent' | 'suppressed'): Promise<void> {
    const now = this.clock();
    await this.send(new (dynamoDbSdk().UpdateItemCommand)({
      TableName: this.tableName,
      Key: this.key(key, destination),
      UpdateExpression: 'SET st = :st, doneAt = :now, expiresAt = :exp REMOVE lease',
      ExpressionAttributeValues: { ':st': S(status), ':now': N(now), ':exp': N(this.ttl(now)) },
    }));
  }

  private async get(key: string, destination: Destination): Promise<Record<string, AttributeValue> | undefined> {
    return this.getItem(this.key(key, destination));
  }

  /**
   * One item by its key, read as a strongly consistent Query on pk and sk: the state table's IAM policy allows
   * UpdateItem, Query, PutItem and DeleteItem only (lib/correlation-state.ts), and a Query costs what a GetItem does.
   */
  private async getItem(key: Record<string, AttributeValue>): Promise<Record<string, AttributeValue> | undefined> {
    const out = await this.send<QueryCommandOutput>(new (dynamoDbSdk().QueryCommand)({
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND sk = :sk',
      ExpressionAttributeValues: { ':pk': key.pk, ':sk': key.sk },
      ConsistentRead: true,
    }));
    return out.Items?.[0];
  }

  private key(key: string, destination: Destination): Record<string, AttributeValue> {
    return { pk: S(LEDGER_PK_PREFIX + key), sk: S(destination) };
  }

  private ttl(now: number): number {
    return Math.ceil(now / 1000) + this.ttlSeconds;
  }

  private async send<T = unknown>(command: { readonly input: unknown }): Promise<T> {
    this.calls++;
    return (clientOf(this.client).send as (c: unknown) => Promise<T>)(command);
  }
}

// A string set cannot be empty in DynamoDB, and "no channel" is a real decision: channels travel as a list.
function encodeChannels(channels: string[]): AttributeValue {
  return { L: channels.map((c) => S(c)) };
}

function decodeChannels(value: AttributeValue | undefined): string[] | undefined {
  if (!value) return undefined;
  if (value.L) return value.L.map((v) => v.S ?? '').filter((c) => c !== '');
  return value.SS;
}

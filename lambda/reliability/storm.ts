// Storm control: an attack can produce thousands of detections of one rule in minutes. Each rule has a
// notification budget per time window, per level and per channel (email, SMS; SMS stricter: it pages people
// and costs money; chat: a channel flooded with cards is unreadable and Slack rate-limits posts). Past the budget
// a detection still goes to EventBridge (and Security Hub) and is counted, and when the window ends the scheduled
// sweep sends one summary per rule: "N more detections of <rule> between <start> and <end>".
// Defaults and reasoning: docs/reliability.md, docs/channels.md#storm-control-in-chat.
//
// Two scopes, each its own counters and summaries: `sns` (email and SMS, decided together for the one SNS
// message) and `chat` (the chat cards, counted only for detections at or above the chat minimum level).
//
// Items (correlation table, see lambda/state/dynamodb-store.ts for every prefix):
//   BUDGET#<rule id>   <window start, 16 digits>                      n = detections of the rule in the window (ADD)
//   SUMMARY#DUE        <window end, 16 digits>#<rule id>#<start>        a window with suppressed notifications,
//                                                                        summarised and deleted by flushSummaries
// With several tenants the budget is per tenant and rule: <rule id> is then T#<tenant>#<rule id> (a storm on one
// tenant never silences another's notifications; docs/channels.md#several-tenants). Single tenant: unchanged.
// The chat scope: BUDGET#CHAT#<rule id or T#...> and SUMMARY#CHAT (rule parts never hold '#': no collision).
// Windows are fixed, aligned to the epoch, in processing time (paging rate is what storm control bounds).

import type { AttributeValue, DynamoDBClient, QueryCommandOutput } from '@aws-sdk/client-dynamodb';
import { clientOf, dynamoDbSdk, type ClientSource } from '../aws-clients';
import { createHash } from 'crypto';
import { SIGMA_LEVELS, type Detection, type Level } from '../sigma/types';
import type { DeliveryLedger } from './ledger';

/** The channels of the SNS message (its `channels` attribute; the subscriptions filter on it). */
export const CHANNELS = ['email', 'sms'] as const;
/** Every channel with a budget: the SNS ones and the chat cards. */
export const BUDGET_CHANNELS = [...CHANNELS, 'chat'] as const;
export type Channel = (typeof BUDGET_CHANNELS)[number];

/** What one StormControl decides for: its channels, its keys, and the ledger destination of its summaries. */
export interface StormScope {
  channels: readonly Channel[];
  /** Put before the budget part of BUDGET# keys ('' keeps the SNS keys of earlier versions). */
  budgetPrefix: string;
  summaryPk: string;
  /** Ledger destination of the summaries (the sink name). */
  sink: string;
}

export const STORM_SCOPES = {
  sns: { channels: CHANNELS, budgetPrefix: '', summaryPk: 'SUMMARY#DUE', sink: 'sns' },
  chat: { channels: ['chat'], budgetPrefix: 'CHAT#', summaryPk: 'SUMMARY#CHAT', sink: 'chat' },
} as const satisfies Record<string, StormScope>;

/** SNS message attribute listing the channels a message is for (String.Array); subscriptions filter on it. */
export { SNS_ATTRIBUTE_CHANNELS } from '../notify/constants';
/** Lambda environment variable holding budget overrides as JSON (see parseStormConfig). */
export const ENV_NOTIFICATION_BUDGETS = 'SIGMA_NOTIFICATION_BUDGETS';

export const BUDGET_PK_PREFIX = 'BUDGET#';
export const SUMMARY_DUE_PK = 'SUMMARY#DUE';

export interface StormConfig {
  /** Window length in ms (fixed windows aligned to the epoch). */
  windowMs: number;
  /**
   * Notifications per rule and window, by the rule's level and the channel (chat, when absent: its default, so a
   * configuration written before chat had a budget keeps working).
   */
  budgets: Record<Level, Record<(typeof CHANNELS)[number], number> & { chat?: number }>;
}

/**
 * One hour windows. A critical rule may page by email 20 times an hour and by SMS 5 times; lower levels less.
 * SMS budgets are deliberately small: a storm of SMS is both useless and billed per message.
 */
export const DEFAULT_STORM_CONFIG: StormConfig = {
  windowMs: 3_600_000,
  budgets: {
    critical: { email: 20, sms: 5 },
    high: { email: 10, sms: 3 },
    medium: { email: 5, sms: 1 },
    low: { email: 3, sms: 1 },
    informational: { email: 2, sms: 1 },
  },
};

/**
 * Chat cards per rule and window when `budgets.<level>.chat` is not set: as email. Past ten cards of one rule an
 * hour, more cards add nothing a count does not say, and Slack accepts about one post a second per channel.
 */
export const DEFAULT_CHAT_BUDGETS: Record<Level, number> = { critical: 20, high: 10, medium: 5, low: 3, informational: 2 };

/** Wait this long after a window ends before summarising it (clock skew between Lambda instances). */
export const SUMMARY_GRACE_MS = 60_000;

/**
 * Reads overrides: `{"windowMinutes": 30, "budgets": {"high": {"sms": 2}, "critical": {"email": 50}}}`.
 * Anything missing keeps its default. Throws a message naming the bad key and what is expected.
 */
export function parseStormConfig(json: string | undefined, source = ENV_NOTIFICATION_BUDGETS): StormConfig {
  const config: StormConfig = {
    windowMs: DEFAULT_STORM_CONFIG.windowMs,
    budgets: Object.fromEntries(SIGMA_LEVELS.map((l) => [l, { ...DEFAULT_STORM_CONFIG.budgets[l] }])) as StormConfig['budgets'],
  };
  if (json === undefined || json.trim() === '') return config;
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    throw new Error(`${source}: not valid JSON (${(err as Error).message}); expected e.g. {"windowMinutes": 60, "budgets": {"high": {"email": 10, "sms": 3}}}`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new Error(`${source}: expected a JSON object`);
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    if (key === 'windowMinutes') {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 1440) {
        throw new Error(`${source}: windowMinutes must be an integer from 1 to 1440 (got ${JSON.stringify(value)})`);
      }
      config.windowMs = value * 60_000;
    } else if (key === 'budgets') {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error(`${source}: budgets must be an object keyed by level`);
      for (const [level, perChannel] of Object.entries(value as Record<string, unknown>)) {
        if (!(SIGMA_LEVELS as readonly string[]).includes(level)) {
          throw new Error(`${source}: budgets.${level}: unknown level (use one of ${SIGMA_LEVELS.join(', ')})`);
        }
        if (perChannel === null || typeof perChannel !== 'object' || Array.isArray(perChannel)) {
          throw new Error(`${source}: budgets.${level} must be an object like {"email": 10, "sms": 3, "chat": 10}`);
        }
        for (const [channel, n] of Object.entries(perChannel as Record<string, unknown>)) {
          if (!(BUDGET_CHANNELS as readonly string[]).includes(channel)) throw new Error(`${source}: budgets.${level}.${channel}: unknown channel (use email, sms or chat)`);
          if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 100_000) {
            throw new Error(`${source}: budgets.${level}.${channel} must be an integer from 0 to 100000 (got ${JSON.stringify(n)})`);
          }
          config.budgets[level as Level][channel as Channel] = n;
        }
      }
    } else {
      throw new Error(`${source}: unknown key '${key}' (expected windowMinutes, budgets)`);
    }
  }
  return config;
}

export interface Admission {
  /** The scope's channels still within budget: the message goes to these only. Empty: no message at all. */
  channels: Channel[];
  /** Detections of the rule in this window so far, this one included. */
  count: number;
  windowStart: number;
  windowEnd: number;
}

export interface StormSummary {
  ruleId: string;
  /** Several tenants: the tenant whose budget ran out. */
  tenant?: string;
  title: string;
  level: Level;
  windowStart: string;
  windowEnd: string;
  /** Detections of the rule in the window. */
  total: number;
  /** Detections that were not notified, per channel of the scope. */
  suppressed: Partial<Record<Channel, number>>;
}

/** Sends one summary to the given channels (the SNS implementation is in summary-message.ts). */
export interface SummarySender {
  sendSummary(summary: StormSummary, channels: Channel[]): Promise<void>;
}

export interface StormControlOptions {
  client: ClientSource<DynamoDBClient>;
  tableName: string;
  config?: StormConfig;
  clock?: () => number;
  /** flushSummaries: where summaries go, and the ledger that makes each one go out once. */
  sender?: SummarySender;
  ledger?: DeliveryLedger;
  /** Items outlive their window by this much (default 2 days: the sweep may be down for a while). */
  retentionSeconds?: number;
  /** @default STORM_SCOPES.sns (email and SMS) */
  scope?: StormScope;
}

export interface FlushResult {
  sent: StormSummary[];
  /** Windows left for the next sweep (a live claim elsewhere, or a failed send). */
  pending: number;
}

const S = (s: string): AttributeValue => ({ S: s });
const N = (n: number): AttributeValue => ({ N: String(n) });
const pad = (n: number): string => String(Math.max(0, Math.floor(n))).padStart(16, '0');

function rulePart(id: string): string {
  return id.length <= 128 && /^[A-Za-z0-9._:-]+$/.test(id) ? id : `h:${createHash('sha256').update(id).digest('base64url').slice(0, 32)}`;
}

/** What one budget counts: the rule, and with several tenants the tenant (`T#<tenant>#<rule>`). */
function budgetPart(ruleId: string, tenant: string | undefined): string {
  return tenant === undefined ? rulePart(ruleId) : `T#${rulePart(tenant)}#${rulePart(ruleId)}`;
}

/** The tenant a detection was recorded in (lambda/tenants.ts), when the stack has several. */
function tenantOf(detection: Detection): string | undefined {
  const tenant = (detection as Detection & { tenant?: unknown }).tenant;
  return typeof tenant === 'string' ? tenant : undefined;
}

export class StormControl {
  readonly config: StormConfig;
  readonly scope: StormScope;
  private readonly clock: () => number;
  private readonly retentionSeconds: number;
  private calls = 0;

  constructor(private readonly options: StormControlOptions) {
    this.config = options.config ?? DEFAULT_STORM_CONFIG;
    this.scope = options.scope ?? STORM_SCOPES.sns;
    this.clock = options.clock ?? Date.now;
    this.retentionSeconds = options.retentionSeconds ?? 2 * 86_400;
  }

  get requestCount(): number {
    return this.calls;
  }

  budget(level: Level, channel: Channel): number {
    const perChannel = this.config.budgets[level];
    if (channel === 'chat') return perChannel?.chat ?? DEFAULT_CHAT_BUDGETS[level] ?? 0;
    return perChannel?.[channel] ?? 0;
  }

  /**
   * Counts one detection of its rule in the current window (atomic ADD, so concurrent Lambdas never lose a
   * count or both take the last slot) and says which channels it may still use. One UpdateItem; one PutItem
   * more when a channel is over budget (marks the window for its summary; idempotent).
   */
  async admit(detection: Detection): Promise<Admission> {
    const now = this.clock();
    const windowStart = Math.floor(now / this.config.windowMs) * this.config.windowMs;
    const windowEnd = windowStart + this.config.windowMs;
    const rule = detection.rule;
    const tenant = tenantOf(detection);
    const budget = this.scope.budgetPrefix + budgetPart(rule.id, tenant);
    const expiresAt = Math.ceil(windowEnd / 1000) + this.retentionSeconds;
    const out = await this.send<{ Attributes?: Record<string, AttributeValue> }>(new (dynamoDbSdk().UpdateItemCommand)({
      TableName: this.options.tableName,
      Key: { pk: S(BUDGET_PK_PREFIX + budget), sk: S(pad(windowStart)) },
      UpdateExpression: 'ADD n :one SET expiresAt = :exp',
      ExpressionAttributeValues: { ':one': N(1), ':exp': N(expiresAt) },
      ReturnValues: 'UPDATED_NEW',
    }));
    const count = Number(out.Attributes?.n?.N ?? 1);
    const channels = this.scope.channels.filter((c) => count <= this.budget(rule.level, c));
    if (channels.length < this.scope.channels.length) {
      await this.send(new (dynamoDbSdk().PutItemCommand)({
        TableName: this.options.tableName,
        Item: {
          pk: S(this.scope.summaryPk),
          sk: S(`${pad(windowEnd)}#${budget}#${windowStart}`),
          ruleId: S(rule.id), title: S(rule.title.slice(0, 1000)), level: S(rule.level),
          ...(tenant === undefined ? {} : { tn: S(tenant) }),
          ws: N(windowStart), we: N(windowEnd), expiresAt: N(expiresAt),
        },
      }));
    }
    return { channels, count, windowStart, windowEnd };
  }

  /** Windows that ended (plus the grace period) before `now` and have suppressed notifications. */
  async dueSummaries(now: number, limit = 100): Promise<{ sk: string; summary: StormSummary }[]> {
    const due: { sk: string; summary: StormSummary }[] = [];
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page: QueryCommandOutput = await this.send(new (dynamoDbSdk().QueryCommand)({
        TableName: this.options.tableName,
        KeyConditionExpression: 'pk = :pk AND sk < :hi',
        ExpressionAttributeValues: { ':pk': S(this.scope.summaryPk), ':hi': S(pad(now - SUMMARY_GRACE_MS)) },
        ConsistentRead: true,
        Limit: limit - due.length,
        ExclusiveStartKey: startKey,
      }));
      for (const item of page.Items ?? []) {
        const ruleId = item.ruleId?.S ?? '';
        const tenant = item.tn?.S;
        const level = (item.level?.S ?? 'informational') as Level;
        const windowStart = Number(item.ws?.N ?? 0);
        // A Query for the one counter item (the state table's policy has no GetItem; the cost is the same).
        const counter = await this.send<QueryCommandOutput>(new (dynamoDbSdk().QueryCommand)({
          TableName: this.options.tableName,
          KeyConditionExpression: 'pk = :pk AND sk = :sk',
          ExpressionAttributeValues: { ':pk': S(BUDGET_PK_PREFIX + this.scope.budgetPrefix + budgetPart(ruleId, tenant)), ':sk': S(pad(windowStart)) },
          ConsistentRead: true,
        }));
        const total = Number(counter.Items?.[0]?.n?.N ?? 0);
        const suppressed: Partial<Record<Channel, number>> = Object.fromEntries(this.scope.channels.map((c) => [c, Math.max(0, total - this.budget(level, c))]));
        due.push({
          sk: item.sk?.S ?? '',
          summary: {
            ruleId, ...(tenant === undefined ? {} : { tenant }), title: item.title?.S ?? ruleId, level,
            windowStart: new Date(windowStart).toISOString(), windowEnd: new Date(Number(item.we?.N ?? 0)).toISOString(),
            total, suppressed,
          },
        });
      }
      startKey = due.length < limit ? page.LastEvaluatedKey : undefined;
    } while (startKey);
    return due;
  }

  /**
   * Called by the scheduled sweep: one summary per rule and ended window with suppressed notifications, to the
   * channels that missed some, exactly once (ledger key `S#<rule>#<window start>`). A failed send stays due for
   * the next sweep; after trying every window, the first failure is thrown so the sweep's alarm sees it.
   */
  async flushSummaries(now: number = this.clock()): Promise<FlushResult> {
    const { sender, ledger } = this.options;
    if (!sender) throw new Error('StormControl.flushSummaries needs a `sender`');
    const result: FlushResult = { sent: [], pending: 0 };
    let firstError: unknown;
    for (const { sk, summary } of await this.dueSummaries(now)) {
      const channels = this.scope.channels.filter((c) => (summary.suppressed[c] ?? 0) > 0);
      if (channels.length === 0) {
        await this.deleteDue(sk);
        continue;
      }
      const key = `S#${this.scope.budgetPrefix}${budgetPart(summary.ruleId, summary.tenant)}#${Date.parse(summary.windowStart)}`;
      const claim = ledger ? await ledger.claim(key, this.scope.sink) : { state: 'claimed' as const };
      if (claim.state === 'held') {
        result.pending++;
        continue;
      }
      if (claim.state === 'claimed') {
        try {
          await sender.sendSummary(summary, channels);
        } catch (err) {
          if (ledger) await ledger.release(key, this.scope.sink);
          firstError ??= err;
          result.pending++;
          continue;
        }
        if (ledger) await ledger.markSent(key, this.scope.sink);
        result.sent.push(summary);
      }
      await this.deleteDue(sk);
    }
    if (firstError !== undefined) throw firstError;
    return result;
  }

  private async deleteDue(sk: string): Promise<void> {
    await this.send(new (dynamoDbSdk().DeleteItemCommand)({ TableName: this.options.tableName, Key: { pk: S(this.scope.summaryPk), sk: S(sk) } }));
  }

  private async send<T = unknown>(command: { readonly input: unknown }): Promise<T> {
    this.calls++;
    return (clientOf(this.options.client).send as (c: unknown) => Promise<T>)(command);
  }
}

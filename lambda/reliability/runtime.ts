// The reliability layer as the detector and the sweep use it: every sink wrapped exactly-once (SNS and chat also
// storm controlled), the correlation stage made retry-safe, and the sweep's extra work (outbox, storm summaries).
// Built from the environment the construct sets; see docs/reliability.md for the design.

import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SNSClient } from '@aws-sdk/client-sns';
import { lazyDynamoDbClient, lazySnsClient } from '../aws-clients';
import { ENV_CORRELATION_TABLE, ENV_TOPIC_ARN } from '../notify/constants';
import { ENV_CHAT_TOPIC_ARN } from '../notify/channel-constants';
import { ChatSummarySender } from '../notify/chat-summary';
import { detectionJson } from '../notify/fit-detection';
import type { CorrelationStage, DetectionItem, DetectionSink, LoggerLike } from '../pipeline-types';
import type { RuleMatch } from '../sigma/ruleset';
import type { Detection, NormalizedEvent } from '../sigma/types';
import { reportCorrelationFailures } from '../pipeline-correlation';
import { ExactlyOnceSink } from './exactly-once-sink';
import { DEFAULT_LEASE_MS, DeliveryLedger, detectionKey, ENV_LEDGER_LEASE_MS } from './ledger';
import { ENV_NOTIFICATION_BUDGETS, parseStormConfig, STORM_SCOPES, StormControl, type FlushResult } from './storm';
import { SnsSummarySender } from './summary-message';

/** Stored per detection in the outbox: small enough for DynamoDB's 400 KB item limit. */
const STORED_DETECTION_BYTES = 48 * 1024;
/**
 * The event marker lists every correlation detection of one event in one item: together they stay below this
 * (far under 400 KB), each shortened further when an event fired many (a detection shrinks to its identifiers,
 * group and window: a few KB at most).
 */
const EVENT_MARKER_BYTES = 300 * 1024;

export interface ReliabilityDependencies {
  dynamoDbClient?: DynamoDBClient;
  snsClient?: SNSClient;
  clock?: () => number;
}

export class Reliability {
  constructor(
    readonly ledger: DeliveryLedger,
    /** Storm control; undefined when it is off (no sweep to send the window summaries). */
    readonly storm?: StormControl,
    private readonly logger?: LoggerLike,
    /** Storm control of the chat cards (its own budgets and summaries); with storm control and a chat topic. */
    readonly chatStorm?: StormControl,
  ) {}

  /** A new claim owner per invocation: a retry in a warm container must not think it holds the old claims. */
  beginInvocation(): void {
    this.ledger.newOwner();
  }

  /**
   * Exactly-once per destination; the SNS and chat sinks also get storm control, each its own budgets
   * (EventBridge and Security Hub receive everything).
   */
  wrapSinks(sinks: readonly DetectionSink[]): DetectionSink[] {
    const stormOf = (name: string): StormControl | undefined => (name === 'sns' ? this.storm : name === 'chat' ? this.chatStorm : undefined);
    return sinks.map((sink) => {
      const storm = stormOf(sink.name);
      return new ExactlyOnceSink(sink, this.ledger, storm ? { storm } : {});
    });
  }

  /**
   * The correlation stage, safe for retried events: an event already fed to the engine is not counted again,
   * and the detections it produced then are returned again (the ledger sends only what is missing). New
   * correlation detections go to the outbox before anything is sent, so the sweep delivers them if every
   * retry fails. `referencedRuleIds`: events matching none of these cost no DynamoDB request here.
   */
  wrapCorrelation(inner: CorrelationStage, referencedRuleIds: readonly string[]): CorrelationStage {
    const referenced = new Set(referencedRuleIds);
    return {
      observe: async (event: NormalizedEvent, matches: RuleMatch[]): Promise<Detection[]> => {
        if (!matches.some((m) => referenced.has(m.rule.id))) return inner.observe(event, matches);
        const logId = typeof event.log_id === 'string' && event.log_id !== '' ? event.log_id : undefined;
        if (logId !== undefined) {
          const earlier = await this.ledger.correlatedEvent(logId);
          if (earlier !== undefined) return earlier;
        }
        const detections = await inner.observe(event, matches);
        // Failures of single correlation rules were contained by the engine: logged here, never thrown.
        if (this.logger) reportCorrelationFailures(inner.drainFailures?.() ?? [], this.logger);
        const stored = detections.map((d) => detectionJson(d, STORED_DETECTION_BYTES));
        const markerEach = Math.max(4 * 1024, Math.min(STORED_DETECTION_BYTES, Math.floor(EVENT_MARKER_BYTES / Math.max(1, detections.length))));
        const storedForMarker = detections.map((d, i) => (Buffer.byteLength(stored[i]) <= markerEach ? stored[i] : detectionJson(d, markerEach)));
        // The counts are in and any detection has fired: failing now would lose the detection (it does not fire
        // again) and count the event twice on the retry. So a failed write here is logged, and the detections
        // are delivered by this invocation all the same.
        try {
          for (let i = 0; i < detections.length; i++) await this.ledger.saveOutbox(detections[i], stored[i]);
          if (logId !== undefined) await this.ledger.markEventCorrelated(logId, storedForMarker);
        } catch (err) {
          this.logger?.error('could not record a correlated event (a retry may count it twice)', {
            log_id: logId === undefined ? undefined : logId.slice(0, 128), error: err instanceof Error ? `${err.name}: ${err.message}`.slice(0, 300) : 'unknown',
          });
        }
        return detections;
      },
    };
  }

  /** Sweep: correlation detections of closed windows go to the outbox before they are delivered. */
  async saveToOutbox(detections: readonly Detection[]): Promise<void> {
    for (const d of detections) await this.ledger.saveOutbox(d, detectionJson(d, STORED_DETECTION_BYTES));
  }

  /** Sweep: after a successful delivery, the outbox entries are done. */
  async clearOutbox(detections: readonly Detection[]): Promise<void> {
    for (const d of detections) await this.ledger.clearOutbox(detectionKey(d));
  }

  /**
   * Sweep: delivers outbox entries older than the lease (their invocation had its chance) through `deliver`
   * (the wrapped sinks: whatever was sent already is skipped), then drops them. Returns how many were handled;
   * throws the first delivery error after trying every entry.
   */
  async redeliverOutbox(now: number, deliver: (items: DetectionItem[]) => Promise<void>): Promise<number> {
    const pending = await this.ledger.pendingOutbox(now - this.ledger.leaseMs);
    let firstError: unknown;
    let done = 0;
    for (const entry of pending) {
      try {
        await deliver([{ detection: entry.detection }]);
        await this.ledger.clearOutbox(entry.key);
        done++;
      } catch (err) {
        firstError ??= err;
      }
    }
    if (firstError !== undefined) throw firstError;
    return done;
  }

  /**
   * Sweep: one summary per rule whose notification budget ran out in a window that has ended (email/SMS, then
   * chat). Both are tried; the first failure is thrown after.
   */
  async flushSummaries(now: number): Promise<FlushResult> {
    const result: FlushResult = { sent: [], pending: 0 };
    let firstError: unknown;
    for (const storm of [this.storm, this.chatStorm]) {
      if (!storm) continue;
      try {
        const flushed = await storm.flushSummaries(now);
        result.sent.push(...flushed.sent);
        result.pending += flushed.pending;
      } catch (err) {
        firstError ??= err;
      }
    }
    if (firstError !== undefined) throw firstError;
    return result;
  }
}

/**
 * The reliability layer for the environment, or undefined when the function has no state table (then delivery
 * is at-least-once without storm control, and the logger says so once).
 */
export function createReliability(env: NodeJS.ProcessEnv, deps: ReliabilityDependencies = {}, logger?: LoggerLike): Reliability | undefined {
  const tableName = env[ENV_CORRELATION_TABLE];
  if (!tableName) {
    logger?.info('no state table: notifications are at-least-once and not storm controlled', { variable: ENV_CORRELATION_TABLE });
    return undefined;
  }
  const leaseText = env[ENV_LEDGER_LEASE_MS];
  const leaseMs = leaseText ? Number(leaseText) : DEFAULT_LEASE_MS;
  if (!Number.isInteger(leaseMs) || leaseMs < 1000) throw new Error(`${ENV_LEDGER_LEASE_MS} must be an integer number of ms ≥ 1000 (got '${leaseText}')`);
  const client = deps.dynamoDbClient ?? lazyDynamoDbClient();
  const ledger = new DeliveryLedger({ client, tableName, leaseMs, clock: deps.clock });
  // Storm control needs the sweep (window summaries): the construct sets the budgets variable (`{}` for the
  // defaults) exactly when it deploys the sweep, and adds the `channels` condition to the subscriptions then.
  const budgets = env[ENV_NOTIFICATION_BUDGETS];
  if (budgets === undefined) return new Reliability(ledger, undefined, logger);
  const topicArn = env[ENV_TOPIC_ARN];
  const sender = topicArn ? new SnsSummarySender(deps.snsClient ?? lazySnsClient(), topicArn) : undefined;
  const config = parseStormConfig(budgets);
  const storm = new StormControl({ client, tableName, config, clock: deps.clock, sender, ledger });
  const chatTopicArn = env[ENV_CHAT_TOPIC_ARN];
  const chatStorm = chatTopicArn
    ? new StormControl({ client, tableName, config, clock: deps.clock, sender: new ChatSummarySender(deps.snsClient ?? lazySnsClient(), chatTopicArn), ledger, scope: STORM_SCOPES.chat })
    : undefined;
  return new Reliability(ledger, storm, logger, chatStorm);
}

// The contracts between the detector's pipeline stages, kept apart from their implementations so later stages
// (correlation, idempotency ledger, storm control) can plug in without touching the handler:
//   normalize → match → correlate → build detections → (dedupe / budget) → deliver to every sink.

import type { CorrelationFailure } from './sigma/correlation';
import type { RuleMatch } from './sigma/ruleset';
import type { Detection, NormalizedEvent } from './sigma/types';

/** A detection on its way out, with the event it came from when there is one (correlations have none). */
export interface DetectionItem {
  detection: Detection;
  event?: NormalizedEvent;
  /**
   * Storm control's decision: the notification channels (`email`, `sms`) this detection may still use. Set only
   * when storm control runs; the SNS notifier then sends it as the `channels` attribute subscriptions filter on.
   */
  channels?: readonly string[];
}

/** A destination of detections (SNS, EventBridge, ...). `deliver` throws when anything could not be delivered. */
export interface DetectionSink {
  readonly name: string;
  deliver(items: DetectionItem[]): Promise<void>;
  /**
   * Whether `deliver` would send anything for this detection (a sink with a level filter). When false, the
   * exactly-once wrapper neither records it in the ledger nor charges its storm budget. Absent: every detection.
   */
  accepts?(detection: Detection): boolean;
}

/**
 * Stateful detection (correlation rules): sees every normalized event with its single-event matches (including
 * rules that do not alert on their own) and returns the correlation detections that became due.
 */
export interface CorrelationStage {
  observe(event: NormalizedEvent, matches: RuleMatch[]): Promise<Detection[]>;
  /**
   * Failures contained to one correlation rule since the last call (the Correlator: a value it cannot store, a
   * state write that failed). `observe` does not throw for them: the event's other rules still deliver.
   */
  drainFailures?(): CorrelationFailure[];
}

/**
 * Runs just before delivery: may drop items already sent (idempotency) or hold some back (storm control).
 * Receives the sink so it can record per destination.
 */
export interface DeliveryGate {
  admit(sink: DetectionSink, items: DetectionItem[]): Promise<DetectionItem[]>;
  /** Called after a sink delivered `items`. */
  delivered?(sink: DetectionSink, items: DetectionItem[]): Promise<void>;
}

export interface LoggerLike {
  debug(message: string, extra?: Record<string, unknown>): void;
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

export type MetricName =
  | 'EventsEvaluated'
  | 'MalformedEvents'
  | 'Detections'
  | 'PublishFailures'
  | 'EvaluationErrors'
  /** Rules whose evaluation failed on an event (contained: the event's other rules still ran), per rule. */
  | 'RuleEvaluationFailures'
  /** Events that exhausted the per-event regex budget (each also yields a budget-rule detection). */
  | 'EvaluationBudgetExceeded'
  /** DynamoDB requests of the correlation store (detector: per invocation; sweep: per run). */
  | 'CorrelationStoreCalls'
  /** Detections storm control kept from every notification channel (over budget), per invocation. */
  | 'NotificationsSuppressed'
  /** Correlation windows opened for evaluation at close, per invocation (the dashboard's correlation state). */
  | 'CorrelationWindowsOpened'
  /**
   * Correlation rules that could not use an event (or a closed window), by `Reason`: value-out-of-range (a
   * value_sum/value_avg value that cannot be stored) or state-error (the store failed); the other rules went on.
   */
  | 'CorrelationFailures'
  /** Gauges of the sweep (lambda/state/state-size.ts): the state table's items and bytes (DescribeTable). */
  | 'StateTableItems'
  | 'StateTableBytes'
  /** Gauge of the sweep: at-close windows waiting in the index, exact, in total and by `Tenant`. */
  | 'CorrelationWindowsOpen';

/** Logs and CloudWatch metrics, behind an interface so tests can record what was counted. */
export interface Telemetry {
  readonly logger: LoggerLike;
  count(metric: MetricName, value?: number, dimensions?: Record<string, string>): void;
  /** A level measured now (not a count of events): the dashboard graphs its maximum. */
  gauge?(metric: MetricName, value: number, unit: 'Count' | 'Bytes', dimensions?: Record<string, string>): void;
  /** Called at the start of every invocation with the Lambda context (request id in every log line). */
  beginInvocation?(lambdaContext: unknown): void;
  /** Writes buffered metrics; called at the end of every invocation, success or failure. */
  flush(): void;
}

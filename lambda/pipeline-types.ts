// The contracts between the detector's pipeline stages, kept apart from their implementations so later stages
// (correlation, idempotency ledger, storm control) can plug in without touching the handler:
//   normalize → match → correlate → build detections → (dedupe / budget) → deliver to every sink.

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
}

/**
 * Stateful detection (correlation rules): sees every normalized event with its single-event matches (including
 * rules that do not alert on their own) and returns the correlation detections that became due.
 */
export interface CorrelationStage {
  observe(event: NormalizedEvent, matches: RuleMatch[]): Promise<Detection[]>;
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
  /** DynamoDB requests of the correlation store (detector: per invocation; sweep: per run). */
  | 'CorrelationStoreCalls';

/** Logs and CloudWatch metrics, behind an interface so tests can record what was counted. */
export interface Telemetry {
  readonly logger: LoggerLike;
  count(metric: MetricName, value?: number, dimensions?: Record<string, string>): void;
  /** Called at the start of every invocation with the Lambda context (request id in every log line). */
  beginInvocation?(lambdaContext: unknown): void;
  /** Writes buffered metrics; called at the end of every invocation, success or failure. */
  flush(): void;
}

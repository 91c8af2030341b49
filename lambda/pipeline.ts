// The per-event work of the detector: normalize → match → correlate → build detections → deliver.
// Pure orchestration over the engine and the sinks, so the same pipeline serves the Lambda handler, tests and
// later tools (redrive); AWS clients live only in the sinks.

import { buildDetection } from './sigma/detection';
import { normalizeEvent } from './sigma/events';
import { newMatchReport, type CompiledRuleSet, type MatchReport, type RuleMatch } from './sigma/ruleset';
import type { Detection, NormalizedEvent } from './sigma/types';
import { errorText } from './notify/delivery-error';
import { safeLabel, safeLine } from './notify/sanitize';
import type { CorrelationStage, DeliveryGate, DetectionItem, DetectionSink, Telemetry } from './pipeline-types';

export interface PipelineOptions {
  ruleSet: CompiledRuleSet;
  sinks: DetectionSink[];
  telemetry: Telemetry;
  /** Correlation rules (a later stage); without it only single-event rules alert. */
  correlation?: CorrelationStage;
  /** Idempotency / storm control in front of each sink (a later stage). */
  gate?: DeliveryGate;
}

export type RecordOutcome =
  | { status: 'malformed'; logId?: string; reason: string }
  | { status: 'evaluated'; logId?: string; detections: Detection[] };

/** Failures of one event logged one by one at most; the rest are counted and summarised in one line. */
export const FAILURE_LOG_LINES_MAX = 20;

export class DetectionPipeline {
  private readonly report: MatchReport = newMatchReport();

  constructor(private readonly options: PipelineOptions) {}

  /** Evaluates one raw record. Throws only when a detection could not be delivered (so Lambda retries). */
  async processRecord(raw: unknown): Promise<RecordOutcome> {
    const { telemetry } = this.options;
    const normalized = normalizeEvent(raw);
    if ('error' in normalized) {
      // Not an Auth0 log: retrying cannot fix it, so it is counted and skipped, never thrown.
      const logId = rawLogId(raw);
      telemetry.count('MalformedEvents');
      telemetry.logger.warn('skipped an event that is not an Auth0 log', { log_id: logId, reason: safeLine(normalized.error, 300) });
      return { status: 'malformed', logId, reason: normalized.error };
    }
    const event = normalized.event;
    telemetry.count('EventsEvaluated');
    const items = await this.detect(event);
    await this.deliver(items);
    return { status: 'evaluated', logId: event.log_id, detections: items.map((i) => i.detection) };
  }

  /** Matching and correlation: the detections one event produces. */
  async detect(event: NormalizedEvent): Promise<DetectionItem[]> {
    const { ruleSet, correlation, telemetry } = this.options;
    let matches: RuleMatch[];
    try {
      matches = ruleSet.match(event, this.report);
      this.recordFailures(event);
    } catch (err) {
      // Rules are isolated inside `match`; this is the engine itself. A retry would fail the same way, so the
      // event is counted and logged (never its content) and not retried: retries are for delivery failures.
      matches = [];
      telemetry.count('EvaluationErrors');
      telemetry.logger.error('rule evaluation failed', { log_id: boundedLogId(event.log_id), error: safeLine(errorText(err), 300) });
    }
    const items: DetectionItem[] = [];
    for (const m of matches) {
      if (!m.rule.alerts) continue;
      try {
        items.push({ detection: buildDetection(m, event), event });
      } catch (err) {
        // Building one rule's detection is that rule's work: a failure there is contained to it, like matching.
        telemetry.count('RuleEvaluationFailures', 1, { RuleId: m.rule.id });
        telemetry.logger.warn('rule evaluation failed', { rule_id: m.rule.id, reason: `detection: ${safeLine(errorName(err), 100)}`, log_id: boundedLogId(event.log_id) });
      }
    }
    if (correlation) {
      // Every match, including rules with `alerts: false`: they feed correlations without notifying themselves.
      for (const detection of await correlation.observe(event, matches)) items.push({ detection });
    }
    this.record(items);
    return items;
  }

  /**
   * Counts, logs and delivers detections that come from no event: correlation windows closed by the sweep.
   * Throws like `deliver`.
   */
  async deliverDetections(detections: Detection[]): Promise<void> {
    const items = detections.map((detection) => ({ detection }));
    this.record(items);
    await this.deliver(items);
  }

  /** Rules that failed or ran out of budget on the event: counted per rule, logged with a short reason. */
  private recordFailures(event: NormalizedEvent): void {
    const { telemetry } = this.options;
    const { failures, budgetExceeded, budgetSteps } = this.report;
    if (budgetExceeded) {
      telemetry.count('EvaluationBudgetExceeded');
      telemetry.logger.warn('evaluation budget exceeded', {
        log_id: boundedLogId(event.log_id), regex_steps: budgetSteps,
        skipped_rules: failures.filter((f) => f.kind === 'budget').length,
      });
    }
    if (failures.length === 0) return;
    telemetry.count('RuleEvaluationFailures', failures.length);
    for (let i = 0; i < failures.length; i++) {
      const f = failures[i];
      telemetry.count('RuleEvaluationFailures', 1, { RuleId: f.ruleId });
      if (i < FAILURE_LOG_LINES_MAX) {
        telemetry.logger.warn('rule evaluation failed', { rule_id: f.ruleId, reason: safeLine(f.reason, 200), log_id: boundedLogId(event.log_id) });
      }
    }
    if (failures.length > FAILURE_LOG_LINES_MAX) {
      telemetry.logger.warn('more rules failed on this event', { log_id: boundedLogId(event.log_id), not_logged: failures.length - FAILURE_LOG_LINES_MAX });
    }
  }

  private record(items: DetectionItem[]): void {
    const { telemetry } = this.options;
    for (const { detection } of items) {
      telemetry.count('Detections', 1, { Level: detection.rule.level });
      telemetry.count('Detections', 1, { RuleId: detection.rule.id });
      const c = detection.correlation;
      // A correlation detection is logged with its group and window, so it can be found even if delivery fails.
      telemetry.logger.info('detection', {
        rule_id: detection.rule.id, level: detection.rule.level, log_id: boundedLogId(detection.log_id),
        ...(c ? { correlation: { group: safeGroup(c.group), value: c.value, window: c.window, log_ids: c.log_ids.map((id) => safeLine(id, 80)) } } : {}),
      });
    }
  }

  /** Sends the items to every sink; every sink is tried even if one fails, then the first failure is thrown. */
  async deliver(items: DetectionItem[]): Promise<void> {
    if (items.length === 0) return;
    const { sinks, gate, telemetry } = this.options;
    const errors: unknown[] = [];
    for (const sink of sinks) {
      try {
        const admitted = gate ? await gate.admit(sink, items) : items;
        if (admitted.length === 0) continue;
        await sink.deliver(admitted);
        if (gate?.delivered) await gate.delivered(sink, admitted);
      } catch (err) {
        telemetry.count('PublishFailures', 1, { Sink: sink.name });
        telemetry.logger.error('delivery failed', { sink: sink.name, error: errorText(err) });
        errors.push(err);
      }
    }
    if (errors.length > 0) throw errors[0];
  }
}

/** Group values come from logs: each is cut and stripped of control characters before it is logged. */
function safeGroup(group: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [field, value] of Object.entries(group)) out[safeLabel(field, 100)] = safeLine(value, 200);
  return out;
}

/** The log_id of a record that failed normalization, if it has a plausible one (for the log line only). */
function rawLogId(raw: unknown): string | undefined {
  if (raw === null || typeof raw !== 'object') return undefined;
  const record = raw as Record<string, unknown>;
  const detail = record.detail;
  const candidate =
    typeof record.log_id === 'string'
      ? record.log_id
      : detail !== null && typeof detail === 'object' && typeof (detail as Record<string, unknown>).log_id === 'string'
        ? ((detail as Record<string, unknown>).log_id as string)
        : undefined;
  return candidate === undefined ? undefined : safeLine(candidate, 80);
}

/** The class of an error, never its message (a message may quote the event). */
function errorName(err: unknown): string {
  return err instanceof Error ? err.name : typeof err;
}

/** A log_id for a log line: bounded and on one line whatever the event carried (log lines are not for payloads). */
function boundedLogId(logId: string | undefined): string | undefined {
  return logId === undefined ? undefined : safeLine(logId, 128);
}

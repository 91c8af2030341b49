// The fuzz runs of scan's pipeline and of the Lambda handler, by number of events (fuzz-scan.test.ts,
// fuzz-handler.test.ts): `npm test` runs them on 1,000 events, `npm run test:long` on 100,000
// (test/helpers/scale.ts): the same generators, seeds and checks; the long runs also meet the rare huge values (one
// string in 16,000: fuzz-arbitraries.ts).

import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { ScanPipeline } from '../../bin/cli/scan-pipeline';
import { createRuntime, runInvocation } from '../../lambda/handler';
import type { LoggerLike, MetricName, Telemetry } from '../../lambda/pipeline-types';
import { CompiledRuleSet } from '../../lambda/sigma/ruleset';
import type { Detection, RuleSetModel } from '../../lambda/sigma/types';
import { eventBatches, fuzzModel } from './fuzz-arbitraries';

/** `events` hostile events through scan's normalize + match: no throw, each counted once, labels respected. */
export function fuzzScanPipeline(events: number): void {
  const model = fuzzModel();
  const ruleSet = new CompiledRuleSet(model);
  const detections: Detection[] = [];
  const pipeline = new ScanPipeline(ruleSet, model.rules, (d) => {
    if (detections.length < 1000) detections.push(d);
  });
  const counts = { valid: 0, invalid: 0, any: 0 };
  let slowest = 0;
  let line = 0;
  for (const batch of eventBatches(events, 2_000, 20261128)) {
    for (const { label, event } of batch) {
      counts[label]++;
      const malformedBefore = pipeline.malformedCount;
      const evaluatedBefore = pipeline.eventsEvaluated;
      const start = process.hrtime.bigint();
      pipeline.processItem(event, 'fuzz', ++line);
      slowest = Math.max(slowest, Number(process.hrtime.bigint() - start) / 1e6);
      const malformed = pipeline.malformedCount - malformedBefore;
      const evaluated = pipeline.eventsEvaluated - evaluatedBefore;
      // Exactly one of the two, and the one the event's shape calls for.
      if (malformed + evaluated !== 1) throw new Error(`event ${line} was counted ${malformed + evaluated} times`);
      if (label === 'valid' && evaluated !== 1) throw new Error(`a valid event was skipped at ${line}`);
      if (label === 'invalid' && malformed !== 1) throw new Error(`an invalid event was evaluated at ${line}`);
    }
  }
  expect(pipeline.itemsRead).toBe(events);
  expect(pipeline.malformedCount + pipeline.eventsEvaluated).toBe(events);
  expect(pipeline.malformedCount).toBeGreaterThanOrEqual(counts.invalid);
  expect(pipeline.eventsEvaluated).toBeGreaterThanOrEqual(counts.valid);
  // The generator really produced a mix, and the rules really fired on hostile content.
  expect(counts.valid).toBeGreaterThan(events / 2);
  expect(counts.invalid).toBeGreaterThan(events / 10);
  expect(pipeline.detectionsTotal).toBeGreaterThan(events / 100);
  expect(new Set(detections.map((d) => d.rule.id)).size).toBeGreaterThanOrEqual(3);
  // No single event may take long: the value caps and compile-once matching keep each one cheap.
  expect(slowest).toBeLessThan(2_000);
  // Detections are plain JSON-serialisable data, whatever the event held.
  for (const d of detections) expect(() => JSON.stringify(d)).not.toThrow();
}

/** Counts metrics and checks every log line as it is written (keeping 100,000 events' lines would be wasteful). */
export class CheckingTelemetry implements Telemetry {
  readonly totals = new Map<MetricName, number>();
  /** Longest log extra and which message it was; the longest log_id logged. */
  longestLogExtra = 0;
  longestLogMessage = '';
  longestLogId = 0;
  readonly logger: LoggerLike;
  constructor() {
    const check = (message: string, extra?: Record<string, unknown>): void => {
      if (extra === undefined) return;
      const logId = extra.log_id;
      this.longestLogId = Math.max(this.longestLogId, typeof logId === 'string' ? logId.length : 0);
      const length = JSON.stringify(extra).length;
      if (length > this.longestLogExtra) {
        this.longestLogExtra = length;
        this.longestLogMessage = message;
      }
    };
    this.logger = { debug: check, info: check, warn: check, error: check };
  }
  count(metric: MetricName, value = 1): void {
    this.totals.set(metric, (this.totals.get(metric) ?? 0) + value);
  }
  flush(): void {}
}

/** Correlation rules need the DynamoDB table (their fault behaviour is tested against dynalite elsewhere). */
export function detectionOnly(model: RuleSetModel): RuleSetModel {
  return { ...model, rules: model.rules.filter((r) => r.kind === 'detection') };
}

/** `events` hostile events through the handler: no throw, every event accounted for, bounded logs and messages. */
export async function fuzzHandler(events: number): Promise<void> {
  const snsMock = mockClient(SNSClient);
  const ebMock = mockClient(EventBridgeClient);
  try {
    let publishes = 0;
    let largestPublish = 0;
    let longestSubject = 0;
    snsMock.on(PublishCommand).callsFake((input: { Message?: string; Subject?: string }) => {
      publishes++;
      largestPublish = Math.max(largestPublish, Buffer.byteLength(input.Message ?? '', 'utf8'));
      longestSubject = Math.max(longestSubject, (input.Subject ?? '').length);
      if (!/^[\x20-\x7e]+$/.test(input.Subject ?? '')) throw new Error(`subject not printable ASCII: ${JSON.stringify(input.Subject)}`);
      return { MessageId: `m${publishes}` };
    });
    let entries = 0;
    ebMock.on(PutEventsCommand).callsFake((input: { Entries?: unknown[] }) => {
      entries += input.Entries?.length ?? 0;
      return { FailedEntryCount: 0, Entries: (input.Entries ?? []).map((_, i) => ({ EventId: `e${i}` })) };
    });
    const telemetry = new CheckingTelemetry();
    const runtime = createRuntime(
      { SIGMA_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:t', SIGMA_DETECTION_BUS: 'arn:aws:events:eu-west-1:123456789012:event-bus/default', SIGMA_AUTH0_DOMAIN: 'acme.eu.auth0.com' },
      { model: detectionOnly(fuzzModel()), telemetry, snsClient: new SNSClient({ region: 'eu-west-1' }), eventBridgeClient: new EventBridgeClient({ region: 'eu-west-1' }) },
    );
    const totals = { evaluated: 0, malformed: 0, detections: 0, valid: 0, invalid: 0 };
    for (const batch of eventBatches(events, 1_000, 424242)) {
      for (const { label } of batch) if (label !== 'any') totals[label]++;
      // 1,000 records per invocation: runInvocation accepts an array (what redrive and tests pass).
      const summary = await runInvocation(runtime, batch.map((b) => b.event));
      if (summary.evaluated + summary.malformed !== batch.length) throw new Error(`a batch lost events: ${JSON.stringify(summary)}`);
      const validHere = batch.filter((b) => b.label === 'valid').length;
      const invalidHere = batch.filter((b) => b.label === 'invalid').length;
      if (summary.evaluated < validHere || summary.malformed < invalidHere) throw new Error(`misclassified: ${JSON.stringify(summary)} valid=${validHere} invalid=${invalidHere}`);
      totals.evaluated += summary.evaluated;
      totals.malformed += summary.malformed;
      totals.detections += summary.detections;
    }
    expect(totals.evaluated + totals.malformed).toBe(events);
    expect(telemetry.totals.get('MalformedEvents')).toBe(totals.malformed);
    expect(telemetry.totals.get('EventsEvaluated')).toBe(totals.evaluated);
    expect(telemetry.totals.get('PublishFailures') ?? 0).toBe(0);
    expect(telemetry.totals.get('EvaluationErrors') ?? 0).toBe(0);
    expect(totals.invalid).toBeGreaterThan(events / 20);
    expect(totals.detections).toBeGreaterThan(events / 100);
    // Every detection went out once per destination.
    expect(publishes).toBe(totals.detections);
    expect(entries).toBe(totals.detections);
    expect(largestPublish).toBeLessThan(256 * 1024);
    expect(longestSubject).toBeLessThanOrEqual(100);
    // Log lines hold identifiers and short reasons, never an event (events here reach hundreds of KB).
    expect([telemetry.longestLogMessage, telemetry.longestLogExtra < 1_000]).toEqual([telemetry.longestLogMessage, true]);
  } finally {
    snsMock.restore();
    ebMock.restore();
  }
}

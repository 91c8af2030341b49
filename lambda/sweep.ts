// The correlation sweep: a scheduled Lambda (every minute) that evaluates the at-close correlation windows whose
// end has passed (conditions with lt/lte/eq/neq, or true at zero, can only be decided then) and delivers their
// detections through the same sinks as the detector (SNS + EventBridge).
// Evaluated windows are deleted from the table's window index, so a sweep that times out or fails is resumed by
// the next run; the alert-once marker is a conditional write, so two overlapping sweeps never alert twice.

import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { SNSClient } from '@aws-sdk/client-sns';
import { DetectionPipeline } from './pipeline';
import { createCorrelator } from './pipeline-correlation';
import { createSinks } from './pipeline-sinks';
import type { DeliveryGate, Telemetry } from './pipeline-types';
import { loadBundledRuleSet } from './rules-bundle';
import type { Correlator } from './sigma/correlation';
import { CompiledRuleSet } from './sigma/ruleset';
import type { RuleSetModel } from './sigma/types';
import { PowertoolsTelemetry } from './telemetry';

export interface SweepDependencies {
  model?: RuleSetModel;
  telemetry?: Telemetry;
  snsClient?: SNSClient;
  eventBridgeClient?: EventBridgeClient;
  dynamoDbClient?: DynamoDBClient;
  gate?: DeliveryGate;
  /** Wall clock (epoch ms): windows ending at or before it are closed. Default Date.now. */
  clock?: () => number;
}

export interface SweepRuntime {
  /** Undefined when the rule set has no correlation rule (nothing to sweep). */
  correlator?: Correlator;
  pipeline: DetectionPipeline;
  telemetry: Telemetry;
  clock: () => number;
}

export interface SweepSummary {
  windowsClosed: number;
  detections: number;
}

export function createSweepRuntime(env: NodeJS.ProcessEnv = process.env, deps: SweepDependencies = {}): SweepRuntime {
  const telemetry = deps.telemetry ?? new PowertoolsTelemetry();
  const model = deps.model ?? loadBundledRuleSet();
  const clock = deps.clock ?? Date.now;
  const correlator = createCorrelator(model, env, { dynamoDbClient: deps.dynamoDbClient, clock });
  const sinks = createSinks(env, deps, model);
  for (const warning of correlator?.warnings ?? []) telemetry.logger.warn('correlation rule set warning', { warning });
  // The pipeline is used only for delivery (counting, logging, gate, every sink tried); the rule set it holds
  // is never matched here.
  const pipeline = new DetectionPipeline({ ruleSet: new CompiledRuleSet(model), sinks, telemetry, gate: deps.gate });
  telemetry.logger.info('sweep ready', { correlations: model.rules.filter((r) => r.kind === 'correlation').length, sinks: sinks.map((s) => s.name) });
  return { correlator, pipeline, telemetry, clock };
}

/**
 * Closes every window due by now and delivers the detections. Throws when a delivery failed (the Errors alarm):
 * the windows are already evaluated then, so each such detection is in the log ('detection', with group and window).
 */
export async function runSweep(runtime: SweepRuntime, lambdaContext?: unknown): Promise<SweepSummary> {
  const { correlator, pipeline, telemetry, clock } = runtime;
  telemetry.beginInvocation?.(lambdaContext);
  try {
    if (!correlator) return { windowsClosed: 0, detections: 0 };
    const before = correlator.stats();
    const detections = await correlator.closeWindows(clock());
    const after = correlator.stats();
    const summary = { windowsClosed: after.windowsClosed - before.windowsClosed, detections: detections.length };
    const storeCalls = after.storeCalls - before.storeCalls;
    telemetry.logger.info('sweep done', { ...summary, storeCalls });
    if (storeCalls > 0) telemetry.count('CorrelationStoreCalls', storeCalls);
    await pipeline.deliverDetections(detections);
    return summary;
  } finally {
    telemetry.flush();
  }
}

// Built during the Lambda init phase (see handler.ts); elsewhere on first use.
let runtime: SweepRuntime | undefined = process.env.AWS_LAMBDA_FUNCTION_NAME ? createSweepRuntime() : undefined;

export const handler = async (_event: unknown, lambdaContext?: unknown): Promise<SweepSummary> => {
  runtime ??= createSweepRuntime();
  return runSweep(runtime, lambdaContext);
};

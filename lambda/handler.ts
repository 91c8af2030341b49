// Lambda entry point: EventBridge delivers one Auth0 log event per asynchronous invocation. Cold start loads the
// bundled rule set and compiles it once; each invocation runs the pipeline (pipeline.ts) and flushes metrics.
// A delivery failure is thrown so Lambda retries the invocation and finally hands it to the on-failure queue;
// an event that is not an Auth0 log is counted and skipped without an error.

import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SNSClient } from '@aws-sdk/client-sns';
import { ENV_AUTH0_DOMAIN, ENV_DETECTION_BUS, ENV_TOPIC_ARN } from './notify/constants';
import { EventBridgeNotifier } from './notify/eventbridge-publisher';
import { SnsNotifier } from './notify/sns-publisher';
import { DetectionPipeline, type RecordOutcome } from './pipeline';
import type { CorrelationStage, DeliveryGate, DetectionSink, Telemetry } from './pipeline-types';
import { loadBundledRuleSet } from './rules-bundle';
import { CompiledRuleSet } from './sigma/ruleset';
import type { RuleSetModel } from './sigma/types';
import { PowertoolsTelemetry } from './telemetry';

export interface HandlerDependencies {
  model?: RuleSetModel;
  telemetry?: Telemetry;
  snsClient?: SNSClient;
  eventBridgeClient?: EventBridgeClient;
  /** Correlation stage (DynamoDB-backed in the Lambda), when the rule set has correlation rules. */
  correlation?: CorrelationStage;
  /** Idempotency / storm-control gate in front of the sinks. */
  gate?: DeliveryGate;
}

export interface DetectorRuntime {
  pipeline: DetectionPipeline;
  telemetry: Telemetry;
}

/** Builds the pipeline from the Lambda environment (the construct sets these variables). */
export function createRuntime(env: NodeJS.ProcessEnv = process.env, deps: HandlerDependencies = {}): DetectorRuntime {
  const telemetry = deps.telemetry ?? new PowertoolsTelemetry();
  const model = deps.model ?? loadBundledRuleSet();
  const ruleSet = new CompiledRuleSet(model);
  const sinks: DetectionSink[] = [];
  const topicArn = env[ENV_TOPIC_ARN];
  if (topicArn) {
    // The SDK retries throttling itself (standard mode); a few more attempts than the default ride out bursts.
    const client = deps.snsClient ?? new SNSClient({ maxAttempts: 5 });
    sinks.push(new SnsNotifier(client, { topicArn, auth0Domain: env[ENV_AUTH0_DOMAIN] || undefined }));
  }
  const bus = env[ENV_DETECTION_BUS];
  if (bus) {
    const client = deps.eventBridgeClient ?? new EventBridgeClient({ maxAttempts: 5 });
    sinks.push(new EventBridgeNotifier(client, { eventBusName: bus }));
  }
  telemetry.logger.info('detector ready', { rules: model.rules.length, sinks: sinks.map((s) => s.name) });
  return { pipeline: new DetectionPipeline({ ruleSet, sinks, telemetry, correlation: deps.correlation, gate: deps.gate }), telemetry };
}

/** Runs one invocation: a single EventBridge event, or an array of them (redrive, tests). */
export async function runInvocation(runtime: DetectorRuntime, event: unknown, lambdaContext?: unknown): Promise<InvocationSummary> {
  runtime.telemetry.beginInvocation?.(lambdaContext);
  const records = Array.isArray(event) ? event : [event];
  const summary: InvocationSummary = { evaluated: 0, malformed: 0, detections: 0 };
  try {
    for (const record of records) {
      const outcome: RecordOutcome = await runtime.pipeline.processRecord(record);
      if (outcome.status === 'malformed') summary.malformed++;
      else {
        summary.evaluated++;
        summary.detections += outcome.detections.length;
      }
    }
    return summary;
  } finally {
    runtime.telemetry.flush();
  }
}

export interface InvocationSummary {
  evaluated: number;
  malformed: number;
  detections: number;
}

// In Lambda the rule set is loaded and compiled during the init phase (module load), which runs before the
// first event and at full CPU; elsewhere (tests, tools importing this module) only on first use.
let runtime: DetectorRuntime | undefined = process.env.AWS_LAMBDA_FUNCTION_NAME ? createRuntime() : undefined;

export const handler = async (event: unknown, lambdaContext?: unknown): Promise<InvocationSummary> => {
  runtime ??= createRuntime();
  return runInvocation(runtime, event, lambdaContext);
};

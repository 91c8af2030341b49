// Lambda entry point: EventBridge delivers one Auth0 log event per asynchronous invocation. Cold start loads the
// bundled rule set and compiles it once (and, when the rules have correlations, builds the DynamoDB-backed
// correlator: pipeline-correlation.ts); each invocation runs the pipeline (pipeline.ts) and flushes metrics.
// A delivery failure is thrown so Lambda retries the invocation and finally hands it to the on-failure queue;
// an event that is not an Auth0 log is counted and skipped without an error.

import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { SecurityHubClient } from '@aws-sdk/client-securityhub';
import type { SNSClient } from '@aws-sdk/client-sns';
import { DetectionPipeline, type RecordOutcome } from './pipeline';
import { createCorrelator } from './pipeline-correlation';
import { createSinks } from './pipeline-sinks';
import { countSince, readCounters } from './invocation-metrics';
import { createReliability, type Reliability } from './reliability/runtime';
import type { CorrelationStage, DeliveryGate, DetectionSink, Telemetry } from './pipeline-types';
import { loadBundledRuleSet } from './rules-bundle';
import { CompiledRuleSet } from './sigma/ruleset';
import type { Correlator } from './sigma/correlation';
import type { RuleSetModel } from './sigma/types';
import { PowertoolsTelemetry } from './telemetry';
import { createTenantCorrelators, type CorrelationRunner } from './tenant-correlation';
import { tenantPipelines, type TenantBundle, type TenantRouter } from './tenants';

export interface HandlerDependencies {
  model?: RuleSetModel;
  telemetry?: Telemetry;
  snsClient?: SNSClient;
  eventBridgeClient?: EventBridgeClient;
  /** Client of the Security Hub sink (SIGMA_SECURITY_HUB_PRODUCT_ARN). */
  securityHubClient?: SecurityHubClient;
  /**
   * Correlation stage. Default: the engine's Correlator over the DynamoDB table named by SIGMA_CORRELATION_TABLE
   * when the rule set has correlation rules (none otherwise).
   */
  correlation?: CorrelationStage;
  /** Client of the default correlation stage's table. */
  dynamoDbClient?: DynamoDBClient;
  /** Idempotency / storm-control gate in front of the sinks. */
  gate?: DeliveryGate;
  /** Wall clock for the delivery ledger and storm control (tests). Default Date.now. */
  clock?: () => number;
}

export interface DetectorRuntime {
  pipeline: DetectionPipeline;
  telemetry: Telemetry;
  model: RuleSetModel;
  /** The DynamoDB-backed correlator built from the environment, every tenant's with several (not set when `deps.correlation` was given). */
  correlator?: CorrelationRunner;
  /** Exactly-once delivery and storm control (lambda/reliability): present when the state table is configured. */
  reliability?: Reliability;
  /** The sinks as the pipeline uses them (wrapped exactly-once when `reliability` is set), for their counters. */
  sinks?: readonly DetectionSink[];
  /** Several tenants (lambda/tenants.ts): routes each record to its tenant's pipeline; `pipeline` is then unused. */
  router?: TenantRouter;
}

/** Builds the pipeline from the Lambda environment (the construct sets these variables). */
export function createRuntime(env: NodeJS.ProcessEnv = process.env, deps: HandlerDependencies = {}): DetectorRuntime {
  const telemetry = deps.telemetry ?? new PowertoolsTelemetry();
  const model = deps.model ?? loadBundledRuleSet();
  const ruleSet = new CompiledRuleSet(model);
  // Several tenants: each tenant's pipeline has its own sinks (tenantPipelines below), the top-level ones none.
  const tenantBundle = (model as TenantBundle).tenants?.length ? (model as TenantBundle) : undefined;
  const rawSinks = tenantBundle ? [] : createSinks(env, deps, model);
  // Several tenants: one correlator per tenant's rule set, its state keyed by the tenant (tenant-correlation.ts).
  const tenantCorrelators = deps.correlation || !tenantBundle ? undefined : createTenantCorrelators(tenantBundle.tenants ?? [], env, { dynamoDbClient: deps.dynamoDbClient });
  const correlator = deps.correlation || tenantBundle ? undefined : createCorrelator(model, env, { dynamoDbClient: deps.dynamoDbClient });
  // Exactly-once per destination, storm control, retry-safe correlation: docs/reliability.md.
  const reliability = createReliability(env, { dynamoDbClient: deps.dynamoDbClient, snsClient: deps.snsClient, clock: deps.clock }, telemetry.logger);
  const sinks = reliability ? reliability.wrapSinks(rawSinks) : rawSinks;
  const stageOf = (own: Correlator | undefined): CorrelationStage | undefined => {
    const stage = deps.correlation ?? own;
    return stage && reliability && own ? reliability.wrapCorrelation(stage, own.referencedRuleIds()) : stage;
  };
  const correlation = stageOf(correlator);
  const runner: CorrelationRunner | undefined = tenantCorrelators ?? correlator;
  for (const warning of runner?.warnings ?? []) telemetry.logger.warn('correlation rule set warning', { warning });
  const tenants = tenantPipelines(tenantBundle?.tenants, {
    env, clients: deps, telemetry, reliability, gate: deps.gate, correlationFor: (tenant) => stageOf(tenantCorrelators?.byTenant.get(tenant.name)),
  });
  telemetry.logger.info('detector ready', {
    rules: model.rules.length, sinks: (tenants?.sinks ?? sinks).map((s) => s.name), correlations: correlation !== undefined || runner !== undefined,
    exactlyOnce: reliability !== undefined, stormControl: reliability?.storm !== undefined, tenants: tenants?.router.tenantCount,
  });
  return {
    pipeline: new DetectionPipeline({ ruleSet, sinks, telemetry, correlation, gate: deps.gate }), telemetry, model, correlator: runner, reliability,
    sinks: tenants?.sinks ?? sinks, router: tenants?.router,
  };
}

/** Runs one invocation: a single EventBridge event, or an array of them (redrive, tests). */
export async function runInvocation(runtime: DetectorRuntime, event: unknown, lambdaContext?: unknown): Promise<InvocationSummary> {
  runtime.telemetry.beginInvocation?.(lambdaContext);
  runtime.reliability?.beginInvocation();
  const records = Array.isArray(event) ? event : [event];
  const summary: InvocationSummary = { evaluated: 0, malformed: 0, detections: 0 };
  const storeCallsBefore = runtime.correlator?.stats().storeCalls ?? 0;
  const countersBefore = readCounters(runtime.sinks, runtime.correlator);
  try {
    for (const record of records) {
      const outcome: RecordOutcome = await (runtime.router?.pipelineFor(record) ?? runtime.pipeline).processRecord(record);
      if (outcome.status === 'malformed') summary.malformed++;
      else {
        summary.evaluated++;
        summary.detections += outcome.detections.length;
      }
    }
    return summary;
  } finally {
    const storeCalls = (runtime.correlator?.stats().storeCalls ?? 0) - storeCallsBefore;
    if (storeCalls > 0) runtime.telemetry.count('CorrelationStoreCalls', storeCalls);
    countSince(runtime.telemetry, countersBefore, readCounters(runtime.sinks, runtime.correlator));
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

// The correlation sweep: a scheduled Lambda (every minute) that evaluates the at-close correlation windows whose
// end has passed (conditions with lt/lte/eq/neq, or true at zero, can only be decided then) and delivers their
// detections through the same sinks as the detector (SNS + EventBridge).
// Evaluated windows are deleted from the table's window index, so a sweep that times out or fails is resumed by
// the next run; the alert-once marker is a conditional write, so two overlapping sweeps never alert twice.
// Every fifth minute it also publishes the state table's size for the dashboard (lambda/state/state-size.ts).

import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { SNSClient } from '@aws-sdk/client-sns';
import { DetectionPipeline } from './pipeline';
import { createCorrelator, reportCorrelationFailures } from './pipeline-correlation';
import { createSinks } from './pipeline-sinks';
import { createReliability, type Reliability } from './reliability/runtime';
import { ENV_CORRELATION_TABLE } from './notify/constants';
import { StateSizeProbe } from './state/state-size';
import { lazyDynamoDbClient } from './aws-clients';
import type { DeliveryGate, Telemetry } from './pipeline-types';
import { loadBundledRuleSet } from './rules-bundle';
import { CompiledRuleSet } from './sigma/ruleset';
import type { Detection, RuleSetModel } from './sigma/types';
import { createTenantCorrelators, type CorrelationRunner } from './tenant-correlation';
import { tenantPipelines, type TenantBundle } from './tenants';
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
  /** Undefined when the rule set has no correlation rule (nothing to sweep); every tenant's with several. */
  correlator?: CorrelationRunner;
  /** Delivers detections (the first tenant's, with several: see `pipelineFor`). */
  pipeline: DetectionPipeline;
  /** Several tenants: the pipeline of the tenant a detection carries (its sinks, its dashboard domain). */
  pipelineFor?: (tenant: string | undefined) => DetectionPipeline;
  telemetry: Telemetry;
  clock: () => number;
  /** Exactly-once delivery, the outbox and storm summaries (present when the state table is configured). */
  reliability?: Reliability;
  /** Publishes the state table's size for the dashboard (present when the state table is configured). */
  stateSize?: StateSizeProbe;
}

export interface SweepSummary {
  windowsClosed: number;
  detections: number;
  /** Correlation detections from the outbox that earlier deliveries had left incomplete (when any). */
  redelivered?: number;
  /** Storm-control summaries sent ("N more detections of <rule> ...", when any). */
  summaries?: number;
}

export function createSweepRuntime(env: NodeJS.ProcessEnv = process.env, deps: SweepDependencies = {}): SweepRuntime {
  const telemetry = deps.telemetry ?? new PowertoolsTelemetry();
  const model = deps.model ?? loadBundledRuleSet();
  const clock = deps.clock ?? Date.now;
  // Several tenants: each tenant's correlator closes the windows its tenant opened (tenant-correlation.ts).
  const tenants = (model as TenantBundle).tenants?.length ? (model as TenantBundle).tenants : undefined;
  const correlator: CorrelationRunner | undefined = tenants
    ? createTenantCorrelators(tenants, env, { dynamoDbClient: deps.dynamoDbClient, clock })
    : createCorrelator(model, env, { dynamoDbClient: deps.dynamoDbClient, clock });
  const reliability = createReliability(env, { dynamoDbClient: deps.dynamoDbClient, snsClient: deps.snsClient, clock }, telemetry.logger);
  for (const warning of correlator?.warnings ?? []) telemetry.logger.warn('correlation rule set warning', { warning });
  // The pipelines are used only for delivery (counting, logging, gate, every sink tried); the rule sets they
  // hold are never matched here. With several tenants, each tenant's records the tenant and links to its dashboard.
  const perTenant = tenantPipelines(tenants, { env, clients: deps, telemetry, reliability, gate: deps.gate });
  const rawSinks = perTenant ? [] : createSinks(env, deps, model);
  const sinks = perTenant?.sinks ?? (reliability ? reliability.wrapSinks(rawSinks) : rawSinks);
  const pipeline = perTenant?.router.pipelineFor(undefined) ?? new DetectionPipeline({ ruleSet: new CompiledRuleSet(model), sinks, telemetry, gate: deps.gate });
  const pipelineFor = perTenant ? (tenant: string | undefined) => (tenant === undefined ? undefined : perTenant.byTenant.get(tenant)) ?? pipeline : undefined;
  const tableName = env[ENV_CORRELATION_TABLE];
  const stateSize = tableName
    ? new StateSizeProbe({ client: deps.dynamoDbClient ?? lazyDynamoDbClient(), tableName, tenants: tenants?.map((t) => t.name) })
    : undefined;
  telemetry.logger.info('sweep ready', { correlations: model.rules.filter((r) => r.kind === 'correlation').length, sinks: sinks.map((s) => s.name), tenants: tenants?.length });
  return { correlator, pipeline, pipelineFor, telemetry, clock, reliability, stateSize };
}

/**
 * Closes every window due by now and delivers the detections; with the state table, also re-delivers outbox
 * entries earlier runs or detector invocations left incomplete, and sends storm-control summaries of ended
 * windows. Throws when a delivery failed (the Errors alarm) after trying everything: the detections stay in the
 * outbox for the next run.
 */
export async function runSweep(runtime: SweepRuntime, lambdaContext?: unknown): Promise<SweepSummary> {
  const { correlator, telemetry, clock, reliability } = runtime;
  telemetry.beginInvocation?.(lambdaContext);
  reliability?.beginInvocation();
  try {
    const now = clock();
    const summary: SweepSummary = { windowsClosed: 0, detections: 0 };
    let firstError: unknown;
    let storeCalls = 0;
    if (correlator) {
      const before = correlator.stats();
      const detections = await correlator.closeWindows(now);
      // A window whose evaluation failed is contained to its rule: counted, logged, left for the next run when
      // transient; the other windows were closed and are delivered below.
      reportCorrelationFailures(correlator.drainFailures(), telemetry.logger, telemetry);
      const after = correlator.stats();
      summary.windowsClosed = after.windowsClosed - before.windowsClosed;
      summary.detections = detections.length;
      storeCalls = after.storeCalls - before.storeCalls;
      if (storeCalls > 0) telemetry.count('CorrelationStoreCalls', storeCalls);
      // Fired windows do not fire again: into the outbox first, so a failed delivery is retried by later sweeps.
      await reliability?.saveToOutbox(detections);
      for (const [deliverThrough, ofTenant] of byPipeline(runtime, detections)) {
        try {
          await deliverThrough.deliverDetections(ofTenant);
          await reliability?.clearOutbox(ofTenant);
        } catch (err) {
          firstError ??= err;
        }
      }
    }
    if (reliability) {
      try {
        const redelivered = await reliability.redeliverOutbox(now, (items) => pipelineOf(runtime, items[0]?.detection).deliver(items));
        if (redelivered > 0) summary.redelivered = redelivered;
      } catch (err) {
        firstError ??= err;
      }
      try {
        const sent = (await reliability.flushSummaries(now)).sent.length;
        if (sent > 0) summary.summaries = sent;
      } catch (err) {
        firstError ??= err;
      }
    }
    // After the work, whatever its outcome: the dashboard's state size (contained: never fails the run).
    await runtime.stateSize?.publish(now, telemetry);
    telemetry.logger.info('sweep done', { ...summary, storeCalls });
    if (firstError !== undefined) throw firstError;
    return summary;
  } finally {
    telemetry.flush();
  }
}

type WithTenant = Detection & { tenant?: unknown };

/** The pipeline that delivers `detection`: its tenant's with several tenants. */
function pipelineOf(runtime: SweepRuntime, detection: Detection | undefined): DetectionPipeline {
  const tenant = (detection as WithTenant | undefined)?.tenant;
  return runtime.pipelineFor?.(typeof tenant === 'string' ? tenant : undefined) ?? runtime.pipeline;
}

/** The detections grouped by the pipeline that delivers them (one group without tenants), in order. */
function byPipeline(runtime: SweepRuntime, detections: readonly Detection[]): Map<DetectionPipeline, Detection[]> {
  const groups = new Map<DetectionPipeline, Detection[]>();
  for (const detection of detections) {
    const pipeline = pipelineOf(runtime, detection);
    const group = groups.get(pipeline);
    if (group) group.push(detection);
    else groups.set(pipeline, [detection]);
  }
  return groups;
}

// Built during the Lambda init phase (see handler.ts); elsewhere on first use.
let runtime: SweepRuntime | undefined = process.env.AWS_LAMBDA_FUNCTION_NAME ? createSweepRuntime() : undefined;

export const handler = async (_event: unknown, lambdaContext?: unknown): Promise<SweepSummary> => {
  runtime ??= createSweepRuntime();
  return runSweep(runtime, lambdaContext);
};

// Several Auth0 tenants in one stack (docs/channels.md#several-tenants): each tenant's partner event source has
// its own bus and bus rule, and all of them invoke the one detector. The synth step writes one rule set per
// tenant (its own placeholder values and minimum level) into the bundle; at run time each event goes to the
// pipeline of the tenant whose event source sent it, and every detection records the tenant.

import { ENV_AUTH0_DOMAIN } from './notify/constants';
import { DetectionPipeline } from './pipeline';
import { createSinks, type SinkClients } from './pipeline-sinks';
import type { CorrelationStage, DeliveryGate, DetectionItem, DetectionSink, Telemetry } from './pipeline-types';
import type { Reliability } from './reliability/runtime';
import { CompiledRuleSet } from './sigma/ruleset';
import type { RuleSetModel } from './sigma/types';

/** One tenant's rule set, as the synth step writes it (lib/tenant-rules.ts). */
export interface TenantRuleSet {
  /** The name detections carry (configured, or taken from the event source name). */
  name: string;
  /** `aws.partner/auth0.com/<tenant>-<id>/auth0.logs`: the `source` of its events. */
  eventSourceName: string;
  /** Its canonical domain, for dashboard links. */
  auth0Domain?: string;
  model: RuleSetModel;
}

/** The bundled rule set with tenants: the first tenant's rule set at the top level (so it is a valid rule set on its own), every tenant's in `tenants`. */
export interface TenantBundle extends RuleSetModel {
  tenants?: TenantRuleSet[];
}

/** A detection with the tenant it was found in (set only when the stack has several tenants). */
export type TenantDetection = { tenant?: string };

/**
 * The tenant a detection belongs to: the log's `tenant_name` when it has one (what Auth0 calls the tenant),
 * else the configured name of the event source it came from.
 */
export function recordedTenant(item: DetectionItem, configured: string): string {
  const fromLog = item.event?.data?.tenant_name;
  return typeof fromLog === 'string' && fromLog.trim() !== '' ? fromLog.trim().slice(0, 100) : configured;
}

/** Records the tenant on every detection before the inner sink (and every sink after it) sees it. */
export class TenantSink implements DetectionSink {
  readonly name: string;

  constructor(
    private readonly inner: DetectionSink,
    private readonly tenant: string,
  ) {
    this.name = inner.name;
  }

  deliver(items: DetectionItem[]): Promise<void> {
    for (const item of items) {
      const detection = item.detection as typeof item.detection & TenantDetection;
      detection.tenant ??= recordedTenant(item, this.tenant);
    }
    return this.inner.deliver(items);
  }
}

/** The `source` of an EventBridge envelope, if the record is one. */
export function eventSource(record: unknown): string | undefined {
  if (record === null || typeof record !== 'object') return undefined;
  const source = (record as Record<string, unknown>).source;
  return typeof source === 'string' ? source : undefined;
}

/** Routes each record to its tenant's pipeline by the envelope's `source`; anything else to the fallback. */
export class TenantRouter {
  constructor(
    private readonly bySource: ReadonlyMap<string, DetectionPipeline>,
    private readonly fallback: DetectionPipeline,
  ) {}

  pipelineFor(record: unknown): DetectionPipeline {
    const source = eventSource(record);
    return (source !== undefined ? this.bySource.get(source) : undefined) ?? this.fallback;
  }

  get tenantCount(): number {
    return this.bySource.size;
  }
}

export interface TenantPipelinesOptions {
  env: NodeJS.ProcessEnv;
  clients: SinkClients;
  telemetry: Telemetry;
  reliability?: Reliability;
  /** Each tenant's correlation stage (its own correlator: lambda/tenant-correlation.ts); none for the sweep. */
  correlationFor?: (tenant: TenantRuleSet) => CorrelationStage | undefined;
  gate?: DeliveryGate;
}

export interface TenantPipelines {
  router: TenantRouter;
  /** Every tenant's sinks as the pipelines use them (exactly-once wrapped), for their counters. */
  sinks: DetectionSink[];
  /** Tenant name → its pipeline (the sweep delivers a detection through the pipeline of the tenant it carries). */
  byTenant: ReadonlyMap<string, DetectionPipeline>;
}

/**
 * One pipeline per tenant of the bundle: its own compiled rule set, its own sinks (its dashboard domain) wrapped
 * exactly-once like the single-tenant ones, and the tenant recorded on every detection. Undefined without tenants.
 */
export function tenantPipelines(tenants: readonly TenantRuleSet[] | undefined, options: TenantPipelinesOptions): TenantPipelines | undefined {
  if (!tenants || tenants.length === 0) return undefined;
  const bySource = new Map<string, DetectionPipeline>();
  const byTenant = new Map<string, DetectionPipeline>();
  const sinks: DetectionSink[] = [];
  let first: DetectionPipeline | undefined;
  for (const tenant of tenants) {
    const env = { ...options.env, [ENV_AUTH0_DOMAIN]: tenant.auth0Domain ?? options.env[ENV_AUTH0_DOMAIN] ?? '' };
    const raw = createSinks(env, options.clients, tenant.model);
    const wrapped = options.reliability ? options.reliability.wrapSinks(raw) : raw;
    sinks.push(...wrapped);
    const pipeline = new DetectionPipeline({
      ruleSet: new CompiledRuleSet(tenant.model),
      sinks: wrapped.map((sink) => new TenantSink(sink, tenant.name)),
      telemetry: options.telemetry,
      correlation: options.correlationFor?.(tenant),
      gate: options.gate,
    });
    bySource.set(tenant.eventSourceName, pipeline);
    byTenant.set(tenant.name, pipeline);
    first ??= pipeline;
  }
  return { router: new TenantRouter(bySource, first!), sinks, byTenant };
}

// Correlation with several tenants (docs/channels.md#several-tenants): one Correlator per tenant, each with its
// tenant's rule set (its minimum level and placeholder values), all on the one correlation table. The tenant is
// part of every group's identity (correlation.ts tenantGroupKey), so the same IP on two tenants is counted twice,
// once per tenant; the windows a tenant opens carry the tenant, so the sweep closes each with that tenant's rules
// and its detections carry the tenant.

import type { CorrelationStageOptions } from './pipeline-correlation';
import { createCorrelationStore, createCorrelator, hasCorrelationRules } from './pipeline-correlation';
import type { CorrelationFailure, Correlator, CorrelatorStats } from './sigma/correlation';
import type { CorrelationStore, OpenWindow } from './sigma/correlation-store';
import type { Detection } from './sigma/types';
import type { TenantRuleSet } from './tenants';

/** What the detector's metrics and the sweep use of a correlator: one Correlator, or every tenant's. */
export type CorrelationRunner = Pick<Correlator, 'stats' | 'drainFailures' | 'warnings'> & {
  closeWindows(upTo: number): Promise<Detection[]>;
};

/** Every tenant's correlator over one shared store. */
export class TenantCorrelators implements CorrelationRunner {
  /** Tenant name → its correlator (tenants whose rules have no correlation have none). */
  readonly byTenant: ReadonlyMap<string, Correlator>;
  private readonly first: Correlator;

  constructor(
    correlators: ReadonlyMap<string, Correlator>,
    private readonly store: CorrelationStore,
    /** Owns windows that carry no tenant (opened before correlation state was kept per tenant). */
    private readonly untenanted: Correlator | undefined,
  ) {
    if (correlators.size === 0) throw new Error('TenantCorrelators needs at least one correlator');
    this.byTenant = correlators;
    this.first = correlators.values().next().value as Correlator;
  }

  get warnings(): string[] {
    return [...this.byTenant].flatMap(([tenant, c]) => c.warnings.map((w) => `tenant '${tenant}': ${w}`));
  }

  /** Closes every due window, each with its tenant's correlator; a window of a removed tenant is dropped. */
  closeWindows(upTo: number): Promise<Detection[]> {
    return this.first.closeWindows(upTo, (window: OpenWindow) =>
      window.tenant === undefined ? this.untenanted : this.byTenant.get(window.tenant));
  }

  drainFailures(): CorrelationFailure[] {
    return [...this.byTenant.values()].flatMap((c) => c.drainFailures());
  }

  /** The tenants' counters summed; store calls once (the store is shared). */
  stats(): CorrelatorStats {
    const all = [...this.byTenant.values()].map((c) => c.stats());
    const sum = (key: keyof CorrelatorStats): number => all.reduce((n, s) => n + s[key], 0);
    const storeCalls = this.store.stats().calls;
    const correlatedEvents = sum('correlatedEvents');
    return {
      events: sum('events'), correlatedEvents, invalidDate: sum('invalidDate'), nonNumeric: sum('nonNumeric'),
      outOfRange: sum('outOfRange'), stateErrors: sum('stateErrors'), beforeOpenWindow: sum('beforeOpenWindow'),
      windowsOpened: sum('windowsOpened'), windowsClosed: sum('windowsClosed'), saturatedWindows: sum('saturatedWindows'),
      detections: sum('detections'), storeCalls,
      storeCallsPerCorrelatedEvent: correlatedEvents === 0 ? 0 : storeCalls / correlatedEvents,
    };
  }
}

/**
 * One correlator per tenant whose rule set has correlation rules, sharing one store; undefined when no tenant's
 * has any. Refused like createCorrelator when the table is not configured.
 */
export function createTenantCorrelators(
  tenants: readonly TenantRuleSet[],
  env: NodeJS.ProcessEnv,
  options: Omit<CorrelationStageOptions, 'tenant' | 'store'> = {},
): TenantCorrelators | undefined {
  const withCorrelations = tenants.filter((t) => hasCorrelationRules(t.model));
  if (withCorrelations.length === 0) return undefined;
  const store = createCorrelationStore(withCorrelations[0].model, env, options);
  const byTenant = new Map<string, Correlator>();
  for (const tenant of withCorrelations) {
    byTenant.set(tenant.name, createCorrelator(tenant.model, env, { ...options, tenant: tenant.name, store }) as Correlator);
  }
  // Windows without a tenant were opened with the first tenant's rule set (the top-level one, which the
  // correlators of earlier versions used for every tenant): that tenant closes them.
  return new TenantCorrelators(byTenant, store, byTenant.get(tenants[0].name));
}

// Rules at synth for several tenants (lib/tenant-config.ts): the rules are loaded and validated once per tenant,
// with the tenant's placeholder values over the global ones and its minimum level, each with its own
// EventBridge prefilter; the bundle (rules.json) holds every tenant's rule set (lambda/tenants.ts reads it).

import { buildEventPattern, type EventPatternResult } from '../lambda/sigma/prefilter';
import type { TenantBundle } from '../lambda/tenants';
import type { DeployConfig } from './config';
import { loadDeployRules, RulesError, type DeployRules, type DeployRulesOptions } from './rules-artifact';
import type { TenantConfig } from './tenant-config';

export interface TenantDeployment {
  tenant: TenantConfig;
  rules: DeployRules;
  /** Undefined with `-c prefilter=false`. */
  prefilter?: EventPatternResult;
}

/** Every tenant's validated rules; throws RulesError, naming the tenant, for the first tenant whose rules fail. */
export function loadTenantRules(
  config: DeployConfig,
  tenants: readonly TenantConfig[],
  base: Omit<DeployRulesOptions, 'placeholders' | 'minLevel'>,
): TenantDeployment[] {
  return tenants.map((tenant) => {
    let rules: DeployRules;
    try {
      rules = loadDeployRules({
        ...base,
        placeholders: { ...config.placeholders, ...tenant.placeholders },
        minLevel: tenant.minLevel ?? config.minLevel,
      });
    } catch (err) {
      // A placeholder missing for one tenant is that tenant's to fix: its "placeholders" in 'tenants'.
      if (err instanceof RulesError) throw new RulesError(`${err.rulesDir} for tenant '${tenant.name}'`, err.problems);
      throw err;
    }
    rules.sources = `${rules.sources} (tenant '${tenant.name}')`;
    return { tenant, rules, prefilter: config.prefilter ? buildEventPattern(rules.model) : undefined };
  });
}

/** The bundle: the first tenant's rule set at the top level, every tenant's under `tenants`. */
export function tenantBundle(deployments: readonly TenantDeployment[]): TenantBundle {
  return {
    ...deployments[0].rules.model,
    tenants: deployments.map(({ tenant, rules }) => ({
      name: tenant.name, eventSourceName: tenant.eventSourceName, auth0Domain: tenant.auth0Domain, model: rules.model,
    })),
  };
}

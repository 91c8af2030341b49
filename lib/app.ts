// Builds the whole app from context: config → rules (validated, written as rules.json) → stack → cdk-nag.
// bin/app.ts calls this; tests call it with their own App and context.
//
// cdk-nag 2 (Aspects + annotations), not 3: cdk-nag 3 moved the packs onto CDK's policy-validation plugin
// framework (registered on the App, reported after synthesis in a validation report), removed NagSuppressions
// in favour of acknowledgements, and changed how granular findings are matched. Version 2 reports through the
// construct annotations that `cdk synth` prints and `Annotations.fromStack` can assert in unit tests, and its
// suppressions sit next to the resources they justify; that is what this project wants, so it pins ^2.

import * as path from 'node:path';
import { App, Aspects } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { buildEventPattern, type EventPatternResult } from '../lambda/sigma/prefilter';
import { Auth0SigmaStack } from './auth0-sigma-stack';
import { readConfig, type DeployConfig } from './config';
import { loadDeployRules, writeRulesFile, type DeployRules } from './rules-artifact';
import { loadTenantRules, tenantBundle } from './tenant-rules';

export const DEFAULT_STACK_NAME = 'Auth0Sigma';
const PROJECT_ROOT = path.join(__dirname, '..');

export interface BuildAppOptions {
  /** Where relative `rulesDir` values are resolved. @default the project root */
  root?: string;
  /** Where rules.json is written. @default the OS temp dir */
  rulesBuildDir?: string;
  /** Receives synth-time messages (rule warnings, counts). @default stderr */
  log?: (line: string) => void;
}

export interface BuiltApp {
  stack: Auth0SigmaStack;
  /** The EventBridge prefilter the bus rule uses; undefined with `-c prefilter=false`. */
  prefilter?: EventPatternResult;
  config: DeployConfig;
  rules: DeployRules;
  rulesFile: string;
}

/** Throws ConfigError or RulesError (both list every problem) when the configuration or the rules are wrong. */
export function buildApp(app: App, options: BuildAppOptions = {}): BuiltApp {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const config = readConfig((key) => app.node.tryGetContext(key), Object.keys(app.node.getAllContext()));
  const baseRulesOptions = { rulesDir: config.rulesDir, configFile: config.configFile, root: options.root ?? PROJECT_ROOT, regexValueCap: config.regexValueCap, regexBudget: config.regexBudget };
  // Several tenants: one rule set per tenant (its placeholders and minimum level); `rules` is the first one's.
  const tenants = config.tenants ? loadTenantRules(config, config.tenants, baseRulesOptions) : undefined;
  const rules = tenants?.[0].rules ?? loadDeployRules({ ...baseRulesOptions, placeholders: config.placeholders, minLevel: config.minLevel });
  for (const warning of rules.warnings) log(`auth0-sigma: ${warning}`);
  log(`auth0-sigma: ${rules.model.rules.length} rule(s) from ${rules.files.length} file(s) in ${rules.sources}` +
    (rules.skipped.length > 0 ? `, ${rules.skipped.length} left out (below minLevel '${config.minLevel}' or disabled)` : ''));
  for (const { tenant, rules: tenantRules } of tenants?.slice(1) ?? []) {
    for (const warning of tenantRules.warnings) log(`auth0-sigma: tenant ${tenant.name}: ${warning}`);
    log(`auth0-sigma: tenant ${tenant.name}: ${tenantRules.model.rules.length} rule(s)`);
  }
  const rulesFile = writeRulesFile(tenants ? tenantBundle(tenants) : rules.model, options.rulesBuildDir);
  const prefilter = config.prefilter ? buildEventPattern(rules.model) : undefined;
  if (prefilter) {
    // One line: how selective the bus rule is, and when it is wide, the rule and selection responsible
    // (`auth0-sigma check --show-prefilter` lists every widening).
    log(`auth0-sigma: ${prefilter.summary}`);
  } else {
    log('auth0-sigma: prefilter off (-c prefilter=false): every Auth0 log event invokes the detector');
  }
  const stackName = (app.node.tryGetContext('stackName') as string | undefined) ?? DEFAULT_STACK_NAME;
  const stack = new Auth0SigmaStack(app, stackName, {
    config, rulesFile, eventPattern: prefilter?.pattern,
    tenantPatterns: tenants?.map((t) => t.prefilter?.pattern),
  });
  Aspects.of(app).add(new AwsSolutionsChecks({ verbose: true }));
  return { stack, config, rules, rulesFile, prefilter };
}

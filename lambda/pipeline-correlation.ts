// The correlation stage of the Lambda functions (detector and sweep): the engine's Correlator over the DynamoDB
// store, built once per cold start. No table and no correlator when the rule set has no correlation rule.

import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { lazyDynamoDbClient } from './aws-clients';
import { ENV_CORRELATION_TABLE } from './notify/constants';
import type { LoggerLike, Telemetry } from './pipeline-types';
import { Correlator, type CorrelationFailure } from './sigma/correlation';
import type { CorrelationStore } from './sigma/correlation-store';
import type { RuleSetModel } from './sigma/types';
import { DynamoDbCorrelationStore } from './state/dynamodb-store';

export interface CorrelationStageOptions {
  dynamoDbClient?: DynamoDBClient;
  /** Wall clock for the store (TTL floor). Default Date.now. */
  clock?: () => number;
  /** Several tenants: the correlator's tenant (part of its state keys) and the store every tenant shares. */
  tenant?: string;
  store?: CorrelationStore;
}

export function hasCorrelationRules(model: RuleSetModel): boolean {
  return model.rules.some((r) => r.kind === 'correlation');
}

/**
 * Logs (and, with `telemetry`, counts as CorrelationFailures by reason) the failures one correlation rule had on
 * one event or window: rule id, reason, whether it was transient, the error name; never event content.
 * Why these are not retried by failing the invocation: docs/reliability.md#one-correlation-rule-failing.
 */
export function reportCorrelationFailures(failures: readonly CorrelationFailure[], logger: LoggerLike, telemetry?: Pick<Telemetry, 'count'>): void {
  for (const f of failures) {
    const extra = { rule_id: f.ruleId.slice(0, 200), reason: f.reason, transient: f.transient, ...(f.error ? { error: f.error } : {}) };
    if (f.reason === 'state-error') logger.error('correlation rule failed on this event; the other rules went on', extra);
    else logger.warn('correlation rule skipped a value it cannot store; the other rules went on', extra);
    telemetry?.count('CorrelationFailures', 1, { Reason: f.reason });
  }
}

/** Thrown when the rule set needs the correlation table but the function was deployed without it. */
export class CorrelationTableMissingError extends Error {}

/**
 * The DynamoDB-backed Correlator for `model`, or undefined when the model has no correlation rule. A model with
 * correlations but no table name in `env` is a deployment mistake (the construct always sets it): refused, so
 * correlations are never silently off.
 */
export function createCorrelator(model: RuleSetModel, env: NodeJS.ProcessEnv, options: CorrelationStageOptions = {}): Correlator | undefined {
  if (!hasCorrelationRules(model)) return undefined;
  const store = options.store ?? createCorrelationStore(model, env, options);
  return new Correlator(model.rules, store, options.tenant === undefined ? {} : { tenant: options.tenant });
}

/** The DynamoDB correlation store named by `env` (refused without a table: see createCorrelator). */
export function createCorrelationStore(model: RuleSetModel, env: NodeJS.ProcessEnv, options: CorrelationStageOptions = {}): CorrelationStore {
  const tableName = env[ENV_CORRELATION_TABLE];
  if (!tableName) {
    const count = model.rules.filter((r) => r.kind === 'correlation').length;
    throw new CorrelationTableMissingError(
      `the rule set has ${count} correlation rule(s) but ${ENV_CORRELATION_TABLE} is not set: deploy with the SigmaDetector construct ` +
        `(it creates the table when the rules have correlations), or set ${ENV_CORRELATION_TABLE} to a table with the correlation schema`,
    );
  }
  // A few more attempts than the default (aws-clients.ts): throttling of a hot group partition should slow down,
  // not fail, an event. The SDK loads on the first request.
  const client = options.dynamoDbClient ?? lazyDynamoDbClient();
  return new DynamoDbCorrelationStore({ client, tableName, clock: options.clock });
}

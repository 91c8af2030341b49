// The `regexBudget` context key: validated with the other context, carried into the deployed rule set's engine
// options (rules.json), where the Lambda's CompiledRuleSet reads it.

import * as path from 'node:path';
import { ConfigError, readConfig } from '../../lib/config';
import { loadDeployRules } from '../../lib/rules-artifact';
import { CompiledRuleSet } from '../../lambda/sigma/ruleset';

const BASE = { auth0EventSourceName: 'aws.partner/auth0.com/acme-1234/auth0.logs', alertEmails: 'a@example.com' };
const context = (extra: Record<string, unknown>) => (key: string) => ({ ...BASE, ...extra } as Record<string, unknown>)[key];

function problemsOf(extra: Record<string, unknown>): string[] {
  try {
    readConfig(context(extra));
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

test('regexBudget: unset by default, read as a whole number, out-of-range and non-numbers refused', () => {
  expect(readConfig(context({})).regexBudget).toBeUndefined();
  expect(readConfig(context({ regexBudget: '2000000' })).regexBudget).toBe(2_000_000);
  expect(problemsOf({ regexBudget: '10' })).toEqual([expect.stringContaining("'regexBudget': 10 must be between 1000 and 1000000000")]);
  expect(problemsOf({ regexBudget: 'lots' })).toEqual(["'regexBudget': 'lots' is not a whole number"]);
});

test('regexBudget reaches the deployed rule set and the engine', () => {
  const rules = loadDeployRules({
    rulesDir: 'rules', placeholders: { api_explorer_client_id: 'x' }, minLevel: 'informational', root: path.resolve(__dirname, '../..'), regexBudget: 123_456,
  });
  expect(rules.model.options.regexBudget).toBe(123_456);
  expect(() => new CompiledRuleSet(rules.model)).not.toThrow();
});

// Schema lint (issue 7) as the CLI uses it: warnings on rules reading fields Auth0 never writes, and the
// schemas' verdict on the fields the scan coverage report finds missing from the input.
import { lintRules, logTypesOf, schemaKnowsField } from '../../lambda/sigma/schema-lint';
import type { Diagnostic, RuleModel } from '../../lambda/sigma/types';

export function lintRuleSet(rules: RuleModel[]): Diagnostic[] {
  return lintRules(rules);
}

/**
 * Whether Auth0's schemas define `field` for the log types `rule` can match: true, false, or undefined when the
 * catalog cannot tell (no cataloged type).
 */
export function schemaKnows(rule: RuleModel, field: string): boolean | undefined {
  const types = logTypesOf(rule);
  return schemaKnowsField(field, types === 'all' ? undefined : types);
}

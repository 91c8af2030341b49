// `auth0-sigma check --show-prefilter`: the EventBridge event pattern the stack puts on the bus rule, and every
// constraint the prefilter had to drop (each one lets more events through, none lets fewer).

import { buildEventPattern, DEFAULT_MAX_PATTERN_LENGTH } from '../../lambda/sigma/prefilter';
import type { RuleSetModel } from '../../lambda/sigma/types';

export function formatPrefilter(model: RuleSetModel): string {
  const result = buildEventPattern(model);
  const lines: string[] = [];
  // The verdict first, on one line: what lets too much through and what would narrow it.
  lines.push(result.summary);
  for (const cause of result.causes.slice(1)) {
    lines.push(`  also: ${cause.ruleId ? `rule '${cause.ruleTitle}' (${cause.ruleId})${cause.identifier ? `, '${cause.identifier}'` : ''}: ` : ''}${cause.why}; to narrow it, ${cause.narrow}`);
  }
  lines.push(`EventBridge prefilter (${result.json.length} of ${DEFAULT_MAX_PATTERN_LENGTH} characters)${result.matchesEverything ? ': every Auth0 log event passes' : ''}:`);
  lines.push(JSON.stringify(result.pattern, null, 2));
  if (result.widened.length > 0) {
    lines.push(`widened (${result.widened.length} constraint${result.widened.length === 1 ? '' : 's'} not expressible in EventBridge, dropped):`);
    for (const note of result.widened) lines.push(`  - ${note}`);
  }
  return lines.join('\n') + '\n';
}

// Regex safety: a load-time ReDoS check of every `re` value. Kept out of modifiers.ts so the Lambda bundle, which
// compiles already-validated rules, does not carry the checker.

import { isSafePattern } from 'redos-detector';
import { ModifierProblem, REGEX_FLAGS, splitInlineFlags } from './modifiers';
import { FieldItem } from './types';

const REDOS_CHECK_MAX_STEPS = 2000;
const REDOS_CHECK_TIMEOUT_MS = 10_000;

/** ReDoS warnings for the item's regexes (never errors: the rule still loads). */
export function regexWarnings(item: FieldItem): ModifierProblem[] {
  if (!item.modifiers.includes('re')) return [];
  const flags = REGEX_FLAGS.filter((f) => item.modifiers.includes(f)).join('');
  const warnings: ModifierProblem[] = [];
  for (const value of item.values) {
    if (typeof value !== 'string') continue;
    const { source, flags: allFlags } = splitInlineFlags(value, flags);
    try {
      // Checked as anchored at one start position: the engine's unanchored search multiplies the cost by the
      // value length at most, which the regex value cap bounds; unanchored, the checker flags even `a*b`.
      // A step budget (not a timeout) keeps the verdict the same on a loaded machine.
      const result = isSafePattern(`^(?:${source})`, {
        caseInsensitive: allFlags.includes('i'),
        multiLine: allFlags.includes('m'),
        dotAll: allFlags.includes('s'),
        maxSteps: REDOS_CHECK_MAX_STEPS,
        timeout: REDOS_CHECK_TIMEOUT_MS,
      });
      if (!result.safe) {
        const reason = result.error === 'hitMaxScore'
          ? 'it can backtrack catastrophically (ReDoS) on crafted input'
          : 'the ReDoS check could not prove it safe within its step budget, so it may backtrack catastrophically';
        warnings.push({
          code: 'regex-redos',
          message: `regex ${JSON.stringify(value)}: ${reason}`,
          hint: 'avoid nested or overlapping quantifiers such as (a+)+ or (a|a)*; values are cut to the regex value cap before matching',
          modifier: 're',
        });
      }
    } catch {
      warnings.push({
        code: 'regex-redos-unchecked',
        message: `regex ${JSON.stringify(value)} uses syntax the ReDoS checker does not understand; it was not checked`,
        modifier: 're',
      });
    }
  }
  return warnings;
}

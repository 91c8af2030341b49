// Regex safety at load time: `re` values run on the linear engine (regex-engine.ts) need no check; the few that
// stay on the backtracking engine get a warning with their cost bound (ReDoS check by redos-detector). Kept out
// of modifiers.ts so the Lambda bundle, which compiles already-validated rules, does not carry the checker.

import { isSafePattern } from 'redos-detector';
import { ModifierProblem, REGEX_FLAGS, splitInlineFlags } from './modifiers';
import { regexEngineOf } from './regex-engine';
import { DEFAULT_ENGINE_OPTIONS, FieldItem } from './types';

const REDOS_CHECK_MAX_STEPS = 2000;
const REDOS_CHECK_TIMEOUT_MS = 10_000;

/**
 * Warnings for the item's regexes that cannot run on the linear engine (regex-engine.ts): each names the reason
 * and the cost bound. Patterns on the linear engine get none: their cost is linear in the value length whatever
 * the pattern, and the per-event budget pays for them. Never errors: the rule still loads.
 */
export function regexWarnings(item: FieldItem, valueCap = DEFAULT_ENGINE_OPTIONS.regexValueCap): ModifierProblem[] {
  if (!item.modifiers.includes('re')) return [];
  const flags = REGEX_FLAGS.filter((f) => item.modifiers.includes(f)).join('');
  const warnings: ModifierProblem[] = [];
  for (const value of item.values) {
    if (typeof value !== 'string') continue;
    const { source, flags: allFlags } = splitInlineFlags(value, flags);
    let engine;
    try {
      engine = regexEngineOf(source, allFlags);
    } catch {
      continue; // an invalid regex: validateFieldItem reports it
    }
    if (engine.engine === 'linear') continue;
    const hint = 'rewrite it without lookaround or backreferences (and without multiline anchors) so that it runs on the linear-time engine';
    const where = `regex ${JSON.stringify(value)} needs the backtracking engine (${engine.reason})`;
    const verdict = redosVerdict(source, allFlags);
    if (verdict === 'unsafe') {
      warnings.push({
        code: 'regex-redos',
        message: `${where} and can backtrack catastrophically (ReDoS): up to exponential time in the value length, on values of up to ${valueCap} characters; the per-event budget cannot interrupt one such match`,
        hint, modifier: 're',
      });
      continue;
    }
    const k = unboundedQuantifiers(source);
    const bound = verdict === 'safe'
      ? `no catastrophic backtracking found: at most about n^${Math.max(1, k)} steps (${k} unbounded quantifier(s)) on a value of n ≤ ${valueCap} characters`
      : `the ReDoS check could not prove it safe within its step budget: up to exponential time on values of up to ${valueCap} characters`;
    warnings.push({ code: 'regex-backtracking', message: `${where}: ${bound}`, hint, modifier: 're' });
  }
  return warnings;
}

/** Unbounded quantifiers (`*`, `+`, `{n,}`) outside classes and escapes: the exponent of a polynomial bound. */
function unboundedQuantifiers(source: string): number {
  let count = 0;
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const ch = source[i];
    if (ch === '\\') {
      i++;
    } else if (inClass) {
      if (ch === ']') inClass = false;
    } else if (ch === '[') {
      inClass = true;
    } else if (ch === '*' || ch === '+' || (ch === '{' && /^\{\d+,\}/.test(source.slice(i, i + 12)))) {
      count++;
    }
  }
  return count;
}

function redosVerdict(source: string, flags: string): 'safe' | 'unsafe' | 'unknown' {
  try {
    // Checked as anchored at one start position: the unanchored search multiplies the cost by the value length
    // at most, which the regex value cap bounds. A step budget (not a timeout) keeps the verdict stable.
    const result = isSafePattern(`^(?:${source})`, {
      caseInsensitive: flags.includes('i'),
      multiLine: flags.includes('m'),
      dotAll: flags.includes('s'),
      maxSteps: REDOS_CHECK_MAX_STEPS,
      timeout: REDOS_CHECK_TIMEOUT_MS,
    });
    if (result.safe) return 'safe';
    return result.error === 'hitMaxScore' ? 'unsafe' : 'unknown';
  } catch {
    return 'unknown';
  }
}

// The per-event budget for expensive matching, and the built-in rule that reports an event exhausting it.
//
// Regex work is the one cost of matching that grows with more than the event's size: every `|re` test charges
// `value length × program size` steps (the linear engine's bound on its own work) before it runs. When an event's
// steps would exceed the budget, that test and every later one on the event is refused; the rules concerned
// stop evaluating (they neither match nor fail silently) and the event produces a detection of the built-in
// rule below, naming them. Steps, not time: the outcome is the same on a loaded machine and in tests.

import type { RuleModel } from './types';

/**
 * Default steps per event. Measured worst case of the linear engine on this project's 2-core machine: about
 * 40 ns per step on an event's first (cold) hostile values, a few ns once warm (docs/threat-model.md), so a
 * budget-exhausting event costs a fraction of a second of regex work against the 30 s Lambda timeout. Ordinary
 * events use a few thousand steps (a 200-character user agent against a 30-instruction pattern: 6,000).
 */
export const DEFAULT_REGEX_BUDGET = 5_000_000;

/** Thrown inside a rule's evaluation when the event's budget cannot pay for the next expensive check. */
export class BudgetExceeded extends Error {
  constructor() {
    super('evaluation budget exceeded');
  }
}

const EXCEEDED = new BudgetExceeded();

export class EvaluationBudget {
  private used = 0;
  private exhaustedFlag = false;

  /** `limit` steps per event; Infinity for none. */
  constructor(readonly limit: number) {}

  /** A new event. */
  reset(): void {
    this.used = 0;
    this.exhaustedFlag = false;
  }

  get exhausted(): boolean {
    return this.exhaustedFlag;
  }

  get stepsUsed(): number {
    return this.used;
  }

  /** Pays for `steps` of work, or throws BudgetExceeded (and stays exhausted for the rest of the event). */
  charge(steps: number): void {
    if (this.exhaustedFlag || this.used + steps > this.limit) {
      this.exhaustedFlag = true;
      throw EXCEEDED;
    }
    this.used += steps;
  }
}

/** A budget that never runs out: standalone matchers (explain, tools) and rule sets built with no limit. */
export const UNLIMITED_BUDGET = new EvaluationBudget(Infinity);

/** Stable id of the built-in rule: notifications, metrics and suppressions can name it. */
export const BUDGET_RULE_ID = 'a8f0c3e2-2b4d-4f6a-9c1e-7d5b3a9e0f42';

/**
 * The built-in rule "evaluation budget exceeded". It is not in any rule file: the engine adds its match to an
 * event's matches, so it flows through the same detection and notification path as any rule.
 */
export const BUDGET_RULE: RuleModel = Object.freeze({
  kind: 'detection',
  id: BUDGET_RULE_ID,
  idDerived: false,
  title: 'Evaluation budget exceeded',
  level: 'high',
  status: 'stable',
  description:
    'The event needed more regex work than the per-event evaluation budget allows, so some rules were not evaluated ' +
    'on it (listed in skipped_rules). An attacker who controls log content can try this to evade detection: review ' +
    'the event and the skipped rules.',
  tags: ['attack.defense-evasion', 'attack.t1562'],
  falsepositives: ['Very large legitimate values (user agents, request bodies) read by costly regexes'],
  references: ['docs/threat-model.md'],
  fields: [],
  meta: {},
  file: '(built-in)',
  line: 0,
  docIndex: 0,
  alerts: true,
  placeholders: [],
}) as RuleModel;

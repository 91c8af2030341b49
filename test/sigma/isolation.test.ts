// One rule, field or value failing on an event stays with that rule on that event: the other rules still
// evaluate, the failure is reported with the rule id and a reason that never quotes the event, and the per-event
// regex budget turns evasion-by-cost into a detection of the built-in budget rule.

import { BUDGET_RULE_ID, DEFAULT_REGEX_BUDGET } from '../../lambda/sigma/budget';
import { buildDetection } from '../../lambda/sigma/detection';
import { loadRulesFromText } from '../../lambda/sigma/loader';
import { CompiledRuleSet, newMatchReport } from '../../lambda/sigma/ruleset';
import type { NormalizedEvent, RuleSetModel } from '../../lambda/sigma/types';

function model(text: string, engine?: { regexBudget?: number }): RuleSetModel {
  const result = loadRulesFromText([{ file: 'rules.yml', text }], { unresolvedPlaceholders: 'error', engine });
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) throw new Error(errors.map((e) => e.message).join('; '));
  return result.model;
}

const rule = (id: string, title: string, detection: string): string => `title: ${title}
id: ${id}
status: test
level: medium
logsource: { product: auth0 }
detection:
${detection}
`;

const PLAIN = rule('00000000-0000-4000-8000-000000000001', 'Plain type rule', `  sel: { data.type: seccft }
  condition: sel`);
const FRAGILE = rule('00000000-0000-4000-8000-000000000002', 'Rule reading a fragile field', `  sel: { data.fragile|contains: x }
  condition: sel`);
const REGEX = rule('00000000-0000-4000-8000-000000000003', 'Regex on user agents', `  sel:
    data.details.agents|re: '(?:\\w+\\s+){5,30}zz'
  condition: sel`);
const NOT_REGEX = rule('00000000-0000-4000-8000-000000000004', 'Not of a regex', `  sel: { data.type: seccft }
  ua: { data.details.agents|re: '^curl/' }
  condition: sel and not ua`);
const rules = [PLAIN, FRAGILE, REGEX, NOT_REGEX].join('---\n');

describe('isolation of a failing rule', () => {
  test('a rule that throws is reported and left out; every other rule still evaluates', () => {
    const ruleSet = new CompiledRuleSet(model(rules));
    const data: Record<string, unknown> = { type: 'seccft', details: { agents: ['curl/8'] } };
    // An engine defect reading one field (a getter stands in for it): secret text in the message must not leak.
    Object.defineProperty(data, 'fragile', { enumerable: true, get: () => { throw new TypeError('secret-event-content'); } });
    const report = newMatchReport();
    const matches = ruleSet.match({ log_id: 'l1', data }, report);
    expect(matches.map((m) => m.rule.title)).toEqual(['Plain type rule']);
    expect(report.failures).toHaveLength(1);
    expect(report.failures[0]).toMatchObject({ ruleId: '00000000-0000-4000-8000-000000000002', kind: 'error' });
    expect(report.failures[0].reason).toMatch(/^TypeError( at |$)/);
    expect(report.failures[0].reason).not.toContain('secret');
    // The next event starts clean.
    expect(ruleSet.match({ data: { type: 'seccft', fragile: 'x' } }, report).map((m) => m.rule.title))
      .toEqual(['Plain type rule', 'Rule reading a fragile field', 'Not of a regex']);
    expect(report.failures).toEqual([]);
  });

  test('without the index too', () => {
    const ruleSet = new CompiledRuleSet(model(rules), { index: false });
    const data: Record<string, unknown> = { type: 'seccft' };
    Object.defineProperty(data, 'fragile', { enumerable: true, get: () => { throw new Error('boom'); } });
    const report = newMatchReport();
    expect(ruleSet.match({ data }, report).map((m) => m.rule.title)).toEqual(['Plain type rule', 'Not of a regex']);
    expect(report.failures.map((f) => f.ruleId)).toEqual(['00000000-0000-4000-8000-000000000002']);
  });
});

describe('per-event regex budget', () => {
  const hostile = (n: number): NormalizedEvent => ({
    log_id: 'budget-1',
    data: { type: 'seccft', details: { agents: Array.from({ length: n }, (_, i) => `${'word '.repeat(819)}${i}`) } },
  });

  test('the default is the documented one', () => {
    expect(DEFAULT_REGEX_BUDGET).toBe(5_000_000);
  });

  test('an event over budget: the costly rules are skipped and named by the built-in rule; the others fire', () => {
    const ruleSet = new CompiledRuleSet(model(rules, { regexBudget: 2_000_000 }));
    const report = newMatchReport();
    const matches = ruleSet.match(hostile(20), report);
    const titles = matches.map((m) => m.rule.title);
    // The plain rule still fires; `not ua` is not taken as true when ua could not be evaluated.
    expect(titles).toEqual(['Plain type rule', 'Evaluation budget exceeded']);
    expect(report.budgetExceeded).toBe(true);
    expect(report.budgetSteps).toBeLessThanOrEqual(2_000_000);
    expect(report.failures.map((f) => [f.ruleId, f.kind, f.reason])).toEqual([
      ['00000000-0000-4000-8000-000000000003', 'budget', 'evaluation budget exceeded'],
      ['00000000-0000-4000-8000-000000000004', 'budget', 'evaluation budget exceeded'],
    ]);
    const budget = matches[matches.length - 1];
    expect(budget.rule.id).toBe(BUDGET_RULE_ID);
    expect(budget.rule.level).toBe('high');
    const detection = buildDetection(budget, hostile(20));
    expect(detection.rule.tags).toContain('attack.defense-evasion');
    expect(detection.skipped_rules).toEqual([
      { id: '00000000-0000-4000-8000-000000000003', title: 'Regex on user agents' },
      { id: '00000000-0000-4000-8000-000000000004', title: 'Not of a regex' },
    ]);
    expect(detection.log_id).toBe('budget-1');
  });

  test('the same event within budget evaluates every rule, and the budget resets per event', () => {
    const ruleSet = new CompiledRuleSet(model(rules, { regexBudget: 2_000_000 }));
    const report = newMatchReport();
    ruleSet.match(hostile(20), report);
    expect(report.budgetExceeded).toBe(true);
    const small = ruleSet.match(hostile(1), report).map((m) => m.rule.title);
    expect(report.budgetExceeded).toBe(false);
    expect(report.failures).toEqual([]);
    expect(small).toEqual(['Plain type rule', 'Not of a regex']);
    const generous = new CompiledRuleSet(model(rules, { regexBudget: 50_000_000 }));
    expect(generous.match(hostile(20), report).map((m) => m.rule.title)).toEqual(['Plain type rule', 'Not of a regex']);
    expect(report.budgetExceeded).toBe(false);
    expect(report.budgetSteps).toBeGreaterThan(0);
  });

  test('a rule already matched keeps its match when the budget runs out listing its identifiers', () => {
    const either = rule('00000000-0000-4000-8000-000000000005', 'Type or regex', `  plain: { data.type: seccft }
  costly:
    data.details.agents|re: '(?:\\w+\\s+){5,30}zz'
  condition: plain or costly`);
    const ruleSet = new CompiledRuleSet(model(either, { regexBudget: 1000 }));
    const report = newMatchReport();
    const matches = ruleSet.match(hostile(1), report);
    expect(matches.map((m) => [m.rule.title, m.matched])).toEqual([['Type or regex', ['plain']]]);
    expect(report.budgetExceeded).toBe(true);
    expect(report.failures).toEqual([]);
  });

  test('explain on an event over budget says so instead of guessing', () => {
    const ruleSet = new CompiledRuleSet(model(rules, { regexBudget: 2_000_000 }));
    expect(() => ruleSet.explain('00000000-0000-4000-8000-000000000003', hostile(20))).toThrow(/needs more than the regex budget of 2000000 steps/);
    expect(ruleSet.explain('00000000-0000-4000-8000-000000000003', hostile(1)).result).toBe(false);
  });

  test('an invalid budget is refused when the rule set is built', () => {
    for (const bad of [0, -1, 1.5, NaN]) {
      expect(() => new CompiledRuleSet({ ...model(PLAIN), options: { regexValueCap: 4096, regexBudget: bad } })).toThrow(/regexBudget must be a positive integer/);
    }
  });
});

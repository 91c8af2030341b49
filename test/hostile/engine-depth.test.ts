// Attacker-controlled nesting depth: every walk over event data is iterative, so an event nested 100,000 levels
// deep is matched like any other (no depth bound: values at any depth are found), its detections serialise, and
// an unrelated rule on the same event still fires.

import { buildDetection } from '../../lambda/sigma/detection';
import { DEPTH_MARKER } from '../../lambda/sigma/bounded-value';
import { formatExplain } from '../../lambda/sigma/explain';
import { fieldIsPresent, compilePath, valuesAt } from '../../lambda/sigma/fieldpath';
import { loadRulesFromText } from '../../lambda/sigma/loader';
import { visitScalars } from '../../lambda/sigma/modifiers';
import { CompiledRuleSet, newMatchReport } from '../../lambda/sigma/ruleset';
import type { NormalizedEvent } from '../../lambda/sigma/types';
import { DEPTH_RULES, deepArrays, deepObjects, DEPTHS } from './deep-values';

function ruleSet(): CompiledRuleSet {
  const result = loadRulesFromText([{ file: 'depth.yml', text: DEPTH_RULES }], { unresolvedPlaceholders: 'error' });
  expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return new CompiledRuleSet(result.model);
}

describe.each(DEPTHS)('an event nested %i levels deep', (depth) => {
  const event: NormalizedEvent = {
    log_id: 'deep-1',
    data: { type: 'seccft', description: 'ok', details: { arrays: deepArrays(depth, { x: 'needle-a' }), objects: deepObjects(depth, 'needle-o') } },
  };

  test('every rule evaluates: keywords and paths reach the bottom, the unrelated rule fires, nothing fails', () => {
    const report = newMatchReport();
    const titles = ruleSet().match(event, report).map((m) => m.rule.title);
    expect(report.failures).toEqual([]);
    expect(titles).toEqual(['Unrelated rule', 'Keyword at the bottom of arrays', 'Keyword at the bottom of objects', 'Path through nested arrays', 'Regex through nested arrays']);
  });

  test('field walks, presence and value collection are iterative', () => {
    expect(valuesAt(event, 'data.details.arrays.x')).toEqual(['needle-a']);
    expect(fieldIsPresent(event, compilePath('data.details.arrays.x'))).toBe(true);
    expect(fieldIsPresent(event, compilePath('data.details.arrays.y'))).toBe(false);
    const seen: unknown[] = [];
    visitScalars(event.data, (v) => {
      seen.push(v);
      return false;
    });
    expect(seen).toEqual(['seccft', 'ok', 'needle-a', 'needle-o']);
  });

  test('the detection of a rule showing the deep field serialises, with the depth cut marked', () => {
    const set = ruleSet();
    const match = set.match(event).find((m) => m.rule.title === 'Unrelated rule')!;
    const detection = buildDetection(match, event);
    const text = JSON.stringify(detection);
    expect(text).toContain(DEPTH_MARKER);
    expect(text.length).toBeLessThan(10_000);
    // And explaining any rule on the event works too.
    expect(formatExplain(set.explain(match.rule.id, event))).toContain('rule "Unrelated rule"');
    const pathRule = set.rules.find((r) => r.title === 'Path through nested arrays')!;
    expect(formatExplain(set.explain(pathRule.id, event))).toContain('"needle-a"');
  });
});

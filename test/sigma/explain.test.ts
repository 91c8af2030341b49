import { EXPLAIN_VALUE_MAX, ExplainNode, formatExplain } from '../../lambda/sigma/explain';
import { CompiledRuleSet } from '../../lambda/sigma/ruleset';
import { ConditionNode, DEFAULT_ENGINE_OPTIONS, FieldItem, RuleModel, Scalar, SearchNode, ValueModifier } from '../../lambda/sigma/types';

const loc = { file: 'rules/t.yml', line: 1, col: 1 };
const field = (spec: string, ...values: Scalar[]): FieldItem => {
  const [name, ...mods] = spec.split('|');
  return { field: name === '' ? null : name, modifiers: mods as ValueModifier[], values, loc };
};
const map = (...items: FieldItem[]): SearchNode => ({ kind: 'map', items, loc });

function rule(identifiers: Record<string, SearchNode>, condition: ConditionNode, conditionText: string): RuleModel {
  return {
    kind: 'detection', id: 'r1', idDerived: false, title: 'Token copied', level: 'medium', tags: [], falsepositives: [],
    references: [], fields: [], meta: {}, file: 'rules/t.yml', line: 1, docIndex: 0, alerts: true, placeholders: [],
    detection: { identifiers, conditionText: [conditionText], condition, conditionLoc: loc },
  };
}

const r = rule({
  selection: map(field('data.type', 'seccft'), field('data.client_id', 'abc')),
  filter: { kind: 'anyOf', alternatives: [map(field('data.ip|cidr', '10.0.0.0/8')), map(field('data.user_name|endswith', '@corp.example'))], loc },
  kw: { kind: 'keywords', item: field('', 'explorer'), loc },
}, {
  op: 'or',
  args: [
    { op: 'and', args: [{ op: 'id', name: 'selection' }, { op: 'not', arg: { op: 'id', name: 'filter' } }] },
    { op: 'of', quantifier: 'all', pattern: 'kw*', names: ['kw'] },
  ],
}, 'selection and not filter or all of kw*');
const set = new CompiledRuleSet({ version: 1, rules: [r], options: DEFAULT_ENGINE_OPTIONS });

describe('CompiledRuleSet.explain', () => {
  it('gives every node its truth value, agreeing with match', () => {
    const event = { log_id: 'L', data: { type: 'seccft', client_id: 'xyz', ip: '8.8.8.8', client_name: 'API Explorer' } };
    const tree = set.explain('r1', event);
    expect(tree.kind).toBe('rule');
    expect(tree.result).toBe(set.match(event).length > 0);
    expect(tree.result).toBe(true);
    const text = formatExplain(tree);
    expect(text).toBe([
      '✔ rule "Token copied" (r1): matches',
      '  condition: selection and not filter or all of kw*',
      '  ✔ or',
      '    ✘ and',
      '      ✘ selection',
      '        ✔ data.type: "seccft"  ← "seccft"',
      '        ✘ data.client_id: "abc"  ← "xyz"',
      '      ✔ not',
      '        ✘ filter',
      '          ✘ any of',
      '            ✘ all of',
      '              ✘ data.ip|cidr: "10.0.0.0/8"  ← "8.8.8.8"',
      '            ✘ all of',
      '              ✘ data.user_name|endswith: "@corp.example"  ← field missing',
      '    ✔ all of kw*',
      '      ✔ kw',
      '        ✔ keywords: "explorer"  ← matched in "API Explorer"',
    ].join('\n'));
  });

  it('has a plain ASCII form', () => {
    const text = formatExplain(set.explain('r1', { data: { type: 'fapi' } }), { ascii: true });
    expect(text).toMatch(/^\[F\] rule "Token copied" \(r1\): does not match/);
    expect(text).toContain('[F] data.type: "seccft"  <- "fapi"');
    expect(text).toContain('[F] keywords: "explorer"  <- no value of the event matched');
    expect(text).not.toMatch(/[✔✘←]/);
  });

  it('truncates long values and lists of values', () => {
    const long = 'x'.repeat(500);
    const tree = set.explain('r1', { data: { type: long, client_id: Array.from({ length: 25 }, (_, i) => `c${i}`) } });
    const items: ExplainNode[] = [];
    const walk = (n: ExplainNode) => {
      if (n.kind === 'item') items.push(n);
      if ('children' in n) n.children.forEach(walk);
      if ('child' in n) walk(n.child);
    };
    walk(tree);
    const typeItem = items.find((n) => n.kind === 'item' && n.field === 'data.type');
    const clientItem = items.find((n) => n.kind === 'item' && n.field === 'data.client_id');
    if (typeItem?.kind !== 'item' || clientItem?.kind !== 'item') throw new Error('items not found');
    expect(typeItem.compared[0].length).toBe(EXPLAIN_VALUE_MAX);
    expect(typeItem.compared[0].endsWith('…')).toBe(true);
    expect(clientItem.compared).toHaveLength(10);
    expect(clientItem.omitted).toBe(15);
    expect(formatExplain(tree)).toContain('(+15 more)');
  });

  it('shows fieldref values and an empty list', () => {
    const ref = rule({ sel: map(field('data.a|fieldref', 'data.b'), field('data.list|exists', true)) }, { op: 'id', name: 'sel' }, 'sel');
    const s = new CompiledRuleSet({ version: 1, rules: [ref], options: DEFAULT_ENGINE_OPTIONS });
    const text = formatExplain(s.explain('r1', { data: { a: 'x', b: 'y', list: [] } }));
    expect(text).toContain('✘ data.a|fieldref: "data.b"  ← "x"; data.b = "y"');
    expect(text).toContain('✔ data.list|exists: true  ← present, no value (empty list)');
  });
});

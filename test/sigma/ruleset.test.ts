import * as fc from 'fast-check';
import { compileSearch } from '../../lambda/sigma/matcher';
import { CompiledRuleSet, conditionTypes } from '../../lambda/sigma/ruleset';
import {
  ConditionNode, DEFAULT_ENGINE_OPTIONS, FieldItem, NormalizedEvent, RuleModel, RuleSetModel, Scalar, SearchNode, ValueModifier,
} from '../../lambda/sigma/types';
import { testScale } from '../helpers/scale';

const loc = { file: 'rules/t.yml', line: 1, col: 1 };
const field = (spec: string, ...values: Scalar[]): FieldItem => {
  const [name, ...mods] = spec.split('|');
  return { field: name === '' ? null : name, modifiers: mods as ValueModifier[], values, loc };
};
const map = (...items: FieldItem[]): SearchNode => ({ kind: 'map', items, loc });
const anyOf = (...alternatives: SearchNode[]): SearchNode => ({ kind: 'anyOf', alternatives, loc });
const id = (name: string): ConditionNode => ({ op: 'id', name });
const and = (...args: ConditionNode[]): ConditionNode => ({ op: 'and', args });
const or = (...args: ConditionNode[]): ConditionNode => ({ op: 'or', args });
const not = (arg: ConditionNode): ConditionNode => ({ op: 'not', arg });
const of = (quantifier: 'one' | 'all', names: string[]): ConditionNode => ({ op: 'of', quantifier, pattern: 'x*', names });

function rule(ruleId: string, identifiers: Record<string, SearchNode>, condition: ConditionNode, extra: Partial<RuleModel> = {}): RuleModel {
  return {
    kind: 'detection', id: ruleId, idDerived: false, title: `Rule ${ruleId}`, level: 'medium', tags: [], falsepositives: [],
    references: [], fields: [], meta: {}, file: 'rules/t.yml', line: 1, docIndex: 0, alerts: true, placeholders: [],
    detection: { identifiers, conditionText: ['(built in test)'], condition, conditionLoc: loc },
    ...extra,
  };
}
const model = (...rules: RuleModel[]): RuleSetModel => ({ version: 1, rules, options: DEFAULT_ENGINE_OPTIONS });
const ev = (data: Record<string, unknown>, log_id = 'L1'): NormalizedEvent => ({ log_id, data });
const ids = (set: CompiledRuleSet, event: NormalizedEvent) => set.match(event).map((m) => m.rule.id);

describe('CompiledRuleSet.match', () => {
  const seed = rule('seed', { selection: map(field('data.type', 'seccft'), field('data.client_id', 'abc')) }, id('selection'));
  const filtered = rule('filtered', {
    selection: map(field('data.type', 'fp', 'fu')),
    filter: map(field('data.ip|cidr', '10.0.0.0/8')),
  }, and(id('selection'), not(id('filter'))));
  const anyType = rule('anytype', { kw: { kind: 'keywords', item: field('', 'evil'), loc } }, id('kw'));
  const set = new CompiledRuleSet(model(seed, filtered, anyType));

  it('returns the matching rules in rule-set order with the identifiers that were true', () => {
    expect(set.match(ev({ type: 'seccft', client_id: 'abc' }))).toEqual([{ rule: seed, matched: ['selection'] }]);
    expect(set.match(ev({ type: 'fp', ip: '8.8.8.8', description: 'evil' }))).toEqual([
      { rule: filtered, matched: ['selection'] },
      { rule: anyType, matched: ['kw'] },
    ]);
    expect(ids(set, ev({ type: 'fp', ip: '10.1.1.1' }))).toEqual([]);
  });
  it('not over a missing field is true', () => {
    expect(ids(set, ev({ type: 'fu' }))).toEqual(['filtered']);
  });
  it('matches data.type case-insensitively through the index', () => {
    expect(ids(set, ev({ type: 'SECCFT', client_id: 'abc' }))).toEqual(['seed']);
  });
  it('ignores correlation rules', () => {
    const corr: RuleModel = { ...rule('corr', {}, id('x')), kind: 'correlation', detection: undefined };
    const s = new CompiledRuleSet(model(seed, corr));
    expect(s.ruleIds).toEqual(['seed']);
    expect(s.rules).toEqual([seed]);
  });
  it('evaluates conditions: or, of one, of all', () => {
    const r = rule('c', {
      sel1: map(field('data.a', '1')), sel2: map(field('data.b', '2')),
    }, or(and(of('all', ['sel1', 'sel2'])), and(of('one', ['sel1']), id('sel1'), not(id('sel2')))));
    const s = new CompiledRuleSet(model(r));
    expect(s.match(ev({ type: 't', a: 1, b: 2 }))).toEqual([{ rule: r, matched: ['sel1', 'sel2'] }]);
    expect(ids(s, ev({ type: 't', a: 1 }))).toEqual(['c']);
    expect(ids(s, ev({ type: 't', b: 2 }))).toEqual([]);
  });
  it('explain and fieldsRead name unknown rules clearly', () => {
    expect(() => set.explain('nope', ev({ type: 'x' }))).toThrow(/unknown detection rule 'nope'/);
    expect(() => set.fieldsRead('nope')).toThrow(/unknown detection rule/);
  });
  it('fieldsRead lists item fields and fieldref targets once, in rule order', () => {
    const r = rule('f', {
      a: map(field('data.type', 'x'), field('data.user_name|fieldref', 'data.details.target')),
      b: map(field('data.type', 'y'), field('data.ip', '1.2.3.4')),
    }, or(id('a'), id('b')));
    expect(new CompiledRuleSet(model(r)).fieldsRead('f')).toEqual(['data.type', 'data.user_name', 'data.details.target', 'data.ip']);
  });
  it('reports a compile error with the rule and identifier', () => {
    const bad = rule('bad', { sel: map(field('data.n|gt', 'ten')) }, id('sel'));
    expect(() => new CompiledRuleSet(model(bad))).toThrow(/Rule bad.*identifier 'sel'.*needs a number/);
  });
});

describe('data.type index derivation', () => {
  const types = (identifiers: Record<string, SearchNode>, condition: ConditionNode) => {
    const t = conditionTypes(condition, identifiers);
    return t === null ? null : [...t].sort();
  };
  const sel = map(field('data.type', 'seccft', 'Fapi'));
  it('indexes an identifier requiring exact data.type values (folded)', () => {
    expect(types({ sel }, id('sel'))).toEqual(['fapi', 'seccft']);
    expect(types({ sel: map(field('data.type|cased', 'Sapi')) }, id('sel'))).toEqual(['sapi']);
    expect(types({ sel: map(field('data.type', 'a\\*')) }, id('sel'))).toEqual(['a*']);
  });
  it('an AND is constrained by any constrained part; an OR only when every part is', () => {
    const other = map(field('data.ip', '1.2.3.4'));
    expect(types({ sel, other }, and(id('other'), id('sel')))).toEqual(['fapi', 'seccft']);
    expect(types({ sel, other }, or(id('other'), id('sel')))).toBeNull();
    expect(types({ sel, s2: map(field('data.type', 'x')) }, or(id('s2'), id('sel')))).toEqual(['fapi', 'seccft', 'x']);
    // The smallest part, not the intersection: data.type may hold several values, each meeting one part.
    expect(types({ sel, s2: map(field('data.type', 'seccft')) }, and(id('s2'), id('sel')))).toEqual(['seccft']);
    expect(types({ sel, s2: map(field('data.type', 'x')) }, and(id('sel'), id('s2')))).toEqual(['x']);
  });
  it('does not index through not, wildcards, modifiers, keywords or null', () => {
    expect(types({ sel }, not(id('sel')))).toBeNull();
    expect(types({ s: map(field('data.type', 'sec*')) }, id('s'))).toBeNull();
    expect(types({ s: map(field('data.type|contains', 'sec')) }, id('s'))).toBeNull();
    expect(types({ s: map(field('data.type|neq', 'sec')) }, id('s'))).toBeNull();
    expect(types({ s: map(field('data.type', null)) }, id('s'))).toBeNull();
    expect(types({ s: map(field('data.types', 'x')) }, id('s'))).toBeNull();
    expect(types({ s: { kind: 'keywords', item: field('', 'x'), loc } }, id('s'))).toBeNull();
  });
  it('anyOf and `of` combine like OR / AND', () => {
    expect(types({ s: anyOf(map(field('data.type', 'a')), map(field('data.type', 'b'))) }, id('s'))).toEqual(['a', 'b']);
    expect(types({ s: anyOf(map(field('data.type', 'a')), map(field('data.ip', 'b'))) }, id('s'))).toBeNull();
    expect(types({ x1: map(field('data.type', 'a')), x2: map(field('data.ip', 'b')) }, of('all', ['x1', 'x2']))).toEqual(['a']);
    expect(types({ x1: map(field('data.type', 'a')), x2: map(field('data.ip', 'b')) }, of('one', ['x1', 'x2']))).toBeNull();
  });
  it('reports how rules were split', () => {
    const s = new CompiledRuleSet(model(rule('a', { sel }, id('sel')), rule('b', { s: map(field('data.type', 'x*')) }, id('s')), rule('c', { sel }, id('sel'))));
    expect(s.indexStats()).toEqual({ indexed: 2, unindexed: 1, types: 2 });
  });
  it('AND of two type requirements is not intersected: data.type may hold several values', () => {
    // Found by the property test below: one value meets each item.
    const r = rule('two', { s: map(field('data.type', 's'), field('data.type', 'a\\*', 'sapi')) }, id('s'));
    const s = new CompiledRuleSet(model(r));
    expect(ids(s, { log_id: 'L', data: { type: ['s'] }, 'data.type': 'a*' } as NormalizedEvent)).toEqual(['two']);
    expect(ids(s, ev({ type: ['s', 'SAPI'] }))).toEqual(['two']);
    expect(ids(s, ev({ type: 's' }))).toEqual([]);
  });
  it('an event with several data.type values visits every matching bucket', () => {
    const s = new CompiledRuleSet(model(rule('a', { s: map(field('data.type', 'a')) }, id('s')), rule('b', { s: map(field('data.type', 'b')) }, id('s'))));
    expect(ids(s, ev({ type: ['b', 'a'] }))).toEqual(['a', 'b']);
    expect(ids(s, { log_id: 'x', data: { type: 'zzz' }, 'data.type': 'b' } as NormalizedEvent)).toEqual(['b']);
  });
});

describe('property: the data.type index never changes the result', () => {
  const typeValue = fc.constantFrom('s', 'S', 'f', 'fp', 'seccft', 'SecCft', 'sapi', '200', 'a*', 'x');
  const ruleTypeValue = fc.constantFrom('s', 'f', 'fp', 'seccft', 'SECCFT', 'sapi', 'sap*', '*', '200', 'a\\*', '?');
  const mods = fc.constantFrom<string[]>([], [], [], ['cased'], ['contains'], ['neq'], ['startswith'], ['all']);
  const typeItem = fc.record({ mods, values: fc.array(ruleTypeValue, { minLength: 1, maxLength: 3 }) })
    .map(({ mods: m, values }) => field(['data.type', ...(m.includes('all') && values.length < 2 ? [] : m)].join('|'), ...values));
  const otherItem = fc.record({ f: fc.constantFrom('data.x', 'data.ip', 'data.list'), v: fc.constantFrom('1', '2', 'a', '*') })
    .map(({ f, v }) => field(f, v));
  const search: fc.Arbitrary<SearchNode> = fc.oneof(
    fc.array(fc.oneof(typeItem, otherItem), { minLength: 1, maxLength: 3 }).map((items) => map(...items)),
    fc.array(fc.array(fc.oneof(typeItem, otherItem), { minLength: 1, maxLength: 2 }).map((items) => map(...items)), { minLength: 1, maxLength: 3 })
      .map((alts) => anyOf(...alts)),
  );
  const names = ['s1', 's2', 's3'];
  const condition: fc.Arbitrary<ConditionNode> = fc.letrec<{ c: ConditionNode }>((tie) => ({
    c: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.constantFrom(...names).map(id),
      fc.array(tie('c'), { minLength: 1, maxLength: 3 }).map((args) => and(...args)),
      fc.array(tie('c'), { minLength: 1, maxLength: 3 }).map((args) => or(...args)),
      tie('c').map(not),
      fc.record({ q: fc.constantFrom<'one' | 'all'>('one', 'all'), n: fc.subarray(names, { minLength: 1 }) }).map(({ q, n }) => of(q, n)),
    ),
  })).c;
  const ruleArb = fc.record({ s1: search, s2: search, s3: search, condition });
  const dataType = fc.oneof(typeValue, fc.array(typeValue, { maxLength: 2 }), fc.constant(200), fc.constant(null));
  const eventArb = fc.record({
    type: dataType,
    x: fc.constantFrom('1', 2, 'a', undefined),
    ip: fc.constantFrom('1', '2', undefined),
    list: fc.array(fc.constantFrom('1', 'a'), { maxLength: 2 }),
    literal: fc.option(typeValue, { nil: undefined }),
  }).map(({ type, x, ip, list, literal }) => {
    const data: Record<string, unknown> = { list };
    if (type !== null) data.type = type;
    if (x !== undefined) data.x = x;
    if (ip !== undefined) data.ip = ip;
    const event: Record<string, unknown> = { log_id: 'L', data };
    if (literal !== undefined) event['data.type'] = literal; // a literal dotted key also resolves
    return event as unknown as NormalizedEvent;
  });

  it('indexed and exhaustive evaluation agree on random rules and events', () => {
    fc.assert(fc.property(fc.array(ruleArb, { minLength: 1, maxLength: 6 }), fc.array(eventArb, { minLength: 1, maxLength: 8 }), (rules, events) => {
      const m = model(...rules.map((r, i) => rule(`r${i}`, { s1: r.s1, s2: r.s2, s3: r.s3 }, r.condition)));
      const indexed = new CompiledRuleSet(m);
      const exhaustive = new CompiledRuleSet(m, { index: false });
      // A reference built independently of the rule set: standalone (uncached) searches and a direct recursion.
      const reference = (e: NormalizedEvent) => m.rules.filter((r) => {
        const tests = new Map(Object.entries(r.detection!.identifiers).map(([n, node]) => [n, compileSearch(node, DEFAULT_ENGINE_OPTIONS)]));
        const evaluate = (c: ConditionNode): boolean => {
          switch (c.op) {
            case 'id': return tests.get(c.name)!(e);
            case 'not': return !evaluate(c.arg);
            case 'and': return c.args.every(evaluate);
            case 'or': return c.args.some(evaluate);
            case 'of': return c.quantifier === 'all' ? c.names.every((n) => tests.get(n)!(e)) : c.names.some((n) => tests.get(n)!(e));
          }
        };
        return evaluate(r.detection!.condition);
      }).map((r) => r.id);
      for (const e of events) {
        const found = indexed.match(e);
        expect(found).toEqual(exhaustive.match(e));
        expect(found.map((x) => x.rule.id)).toEqual(reference(e));
      }
    }), { numRuns: testScale(120, 400) });
  });
});

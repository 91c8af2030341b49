// Work shared across rules (shared-match.ts, the regex prefilter) must never change a result: the shared path is
// compared with plain per-rule evaluation on random rules of every shape and random events, and its pieces (the
// literal automaton, the required literals of a regex) with the operations they replace.

import * as fc from 'fast-check';
import { CompiledRuleSet, newMatchReport } from '../../lambda/sigma/ruleset';
import { LiteralAutomaton } from '../../lambda/sigma/shared-match';
import { literalPrefilter, requiredLiterals } from '../../lambda/sigma/regex-literals';
import { plainIPv6Parts } from '../../lambda/sigma/modifiers';
import * as ipaddr from 'ipaddr.js';
import {
  ConditionNode, DEFAULT_ENGINE_OPTIONS, FieldItem, NormalizedEvent, RuleModel, RuleSetModel, Scalar, SearchNode, ValueModifier,
} from '../../lambda/sigma/types';
import { testScale } from '../helpers/scale';

const loc = { file: 'rules/t.yml', line: 1, col: 1 };
const field = (name: string | null, modifiers: string[], values: Scalar[]): FieldItem =>
  ({ field: name, modifiers: modifiers as ValueModifier[], values, loc });
const map = (...items: FieldItem[]): SearchNode => ({ kind: 'map', items, loc });
const id = (name: string): ConditionNode => ({ op: 'id', name });

function rule(ruleId: string, identifiers: Record<string, SearchNode>, condition: ConditionNode): RuleModel {
  return {
    kind: 'detection', id: ruleId, idDerived: false, title: `Rule ${ruleId}`, level: 'medium', tags: [], falsepositives: [],
    references: [], fields: [], meta: {}, file: 'rules/t.yml', line: 1, docIndex: 0, alerts: true, placeholders: [],
    detection: { identifiers, conditionText: ['(built in test)'], condition, conditionLoc: loc },
  };
}
const model = (rules: RuleModel[]): RuleSetModel => ({ version: 1, rules, options: DEFAULT_ENGINE_OPTIONS });
const summary = (set: CompiledRuleSet, e: NormalizedEvent) => {
  const report = newMatchReport();
  const found = set.match(e, report).map((m) => [m.rule.id, m.matched]);
  return { found, failures: report.failures };
};

describe('property: shared evaluation agrees with per-rule evaluation', () => {
  // A small vocabulary, so that patterns, equalities and networks often meet the events' values.
  const words = ['alpha', 'Beta', 'gamma', 'al', 'ph', 'ta', 'a', 'É', 'éCOLE', 'ss', '-', 'x y', '10', '4'];
  const text = fc.array(fc.constantFrom(...words), { minLength: 0, maxLength: 3 }).map((w) => w.join(''));
  // Mostly plain literals (several per field, so groups use the automaton), some with wildcards.
  const pattern = fc.oneof(
    { weight: 3, arbitrary: text },
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom('', '*', '?'), text, fc.constantFrom('', '*', '?', '\\*'), text).map(([a, b, c, d]) => a + b + c + d) },
  );
  const networks = fc.constantFrom('10.0.0.0/8', '10.1.0.0/16', '192.0.2.0/24', '2001:db8::/32', '::ffff:0:0/96', '0.0.0.0/0', '10.1.2.3');
  const fields = fc.constantFrom('data.type', 'data.a', 'data.b', 'data.list', 'data.ip', 'data.n.x', 'data.arr{}.v');
  const stringMods = fc.constantFrom<string[]>(
    [], [], ['contains'], ['contains'], ['startswith'], ['endswith'], ['cased'], ['contains', 'cased'], ['startswith', 'cased'],
    ['contains', 'all'], ['neq'], ['windash'], ['contains', 'windash'], ['base64'], ['endswith', 'cased'],
  );
  const stringItem = fc.record({ f: fields, mods: stringMods, values: fc.array(pattern, { minLength: 1, maxLength: 3 }) })
    .map(({ f, mods, values }) => {
      const all = mods.includes('all') && values.length < 2 ? mods.filter((m) => m !== 'all') : mods;
      const plain = all.includes('base64') ? values.map((v) => v.replace(/[*?\\]/g, '')) : values;
      return field(f, all, plain);
    });
  const cidrItem = fc.record({ f: fc.constantFrom('data.ip', 'data.list', 'data.a'), neq: fc.boolean(), values: fc.array(networks, { minLength: 1, maxLength: 3 }) })
    .map(({ f, neq, values }) => field(f, neq ? ['cidr', 'neq'] : ['cidr'], values));
  const regexItem = fc.record({ f: fc.constantFrom('data.a', 'data.b', 'data.list'), re: fc.constantFrom('^al', 'ph|ta', 'é', '(?i)BETA', 'a{2,}', 'x y$', '\\d') })
    .map(({ f, re }) => field(f, ['re'], [re]));
  const otherItem = fc.oneof(
    fc.constantFrom(
      field('data.n.x', ['gt'], [3]), field('data.a', ['exists'], [true]), field('data.b', ['exists'], [false]),
      field('data.a', [], [null]), field('data.b', ['neq'], [null]), field('data.a', ['fieldref'], ['data.b']),
      field('data.a', ['fieldref', 'contains'], ['data.b']), field(null, [], ['alpha', 'ta']), field('data.n.x', [], [4]),
    ),
  );
  const typeItem = fc.array(fc.constantFrom('s', 'F', 'fp', 'sapi', 's*'), { minLength: 1, maxLength: 2 }).map((v) => field('data.type', [], v));
  const item = fc.oneof({ weight: 6, arbitrary: stringItem }, { weight: 2, arbitrary: cidrItem }, { weight: 1, arbitrary: regexItem }, { weight: 1, arbitrary: otherItem }, { weight: 2, arbitrary: typeItem });
  const search: fc.Arbitrary<SearchNode> = fc.oneof(
    { weight: 3, arbitrary: fc.array(item, { minLength: 1, maxLength: 3 }).map((items) => map(...items.map((i) => (i.field === null ? field('data.a', [], ['alpha']) : i)))) },
    { weight: 1, arbitrary: fc.array(fc.array(item, { minLength: 1, maxLength: 2 }), { minLength: 1, maxLength: 2 }).map((alts) => ({ kind: 'anyOf', alternatives: alts.map((items) => map(...items.map((i) => (i.field === null ? field('data.b', ['contains'], ['a']) : i)))), loc }) as SearchNode) },
    { weight: 1, arbitrary: fc.array(fc.constantFrom('alpha', 'ta', '*ph*', 'é'), { minLength: 1, maxLength: 2 }).map((v) => ({ kind: 'keywords', item: field(null, [], v), loc }) as SearchNode) },
  );
  const names = ['sel', 'filter', 'extra'];
  const condition: fc.Arbitrary<ConditionNode> = fc.oneof(
    { weight: 5, arbitrary: fc.constant(id('sel')) },
    fc.constant<ConditionNode>({ op: 'and', args: [id('sel'), { op: 'not', arg: id('filter') }] }),
    fc.constant<ConditionNode>({ op: 'or', args: [id('sel'), id('extra')] }),
    fc.constant<ConditionNode>({ op: 'and', args: [id('sel'), id('sel')] }),
    fc.constant<ConditionNode>({ op: 'of', quantifier: 'all', pattern: '*', names }),
    fc.constant<ConditionNode>({ op: 'of', quantifier: 'one', pattern: '*', names }),
  );
  const ruleArb = fc.record({ sel: search, filter: search, extra: search, condition });

  const value = fc.oneof(
    { weight: 6, arbitrary: text },
    fc.constantFrom<unknown>('10.1.2.3', '192.0.2.77', '2001:db8::1', '::ffff:10.1.2.3', '8.8.8.8', 'fe80::1', 4, 10, true, null, '', { nested: 'alpha' }),
  );
  const values = fc.oneof({ weight: 3, arbitrary: value }, fc.array(value, { maxLength: 3 }));
  const eventArb = fc.record({
    type: fc.oneof(fc.constantFrom('s', 'S', 'fp', 'sapi', 'x'), fc.array(fc.constantFrom('s', 'fp'), { maxLength: 2 })),
    a: fc.option(values, { nil: undefined }),
    b: fc.option(values, { nil: undefined }),
    list: fc.option(fc.array(value, { maxLength: 3 }), { nil: undefined }),
    ip: fc.option(values, { nil: undefined }),
    nx: fc.option(fc.constantFrom<unknown>(4, '5', 'alpha', [4, 'ta']), { nil: undefined }),
    arr: fc.option(fc.array(fc.record({ v: value }), { maxLength: 2 }), { nil: undefined }),
  }).map(({ type, a, b, list, ip, nx, arr }) => {
    const data: Record<string, unknown> = { type };
    if (a !== undefined) data.a = a;
    if (b !== undefined) data.b = b;
    if (list !== undefined) data.list = list;
    if (ip !== undefined) data.ip = ip;
    if (nx !== undefined) data.n = { x: nx };
    if (arr !== undefined) data.arr = arr;
    return { log_id: 'L', data } as NormalizedEvent;
  });

  it('same matches, identifier lists, order and failures as the per-rule path', () => {
    fc.assert(fc.property(fc.array(ruleArb, { minLength: 1, maxLength: 10 }), fc.array(eventArb, { minLength: 1, maxLength: 5 }), (rules, events) => {
      const m = model(rules.map((r, i) => rule(`r${i}`, { sel: r.sel, filter: r.filter, extra: r.extra }, r.condition)));
      // Every literal group scanned by the automaton, and every rule on its own compiled condition.
      const shared = new CompiledRuleSet(m, { automatonMinLiterals: 1 });
      const unshared = new CompiledRuleSet(m, { share: false });
      const plain = new CompiledRuleSet(m, { index: false });
      for (const e of events) {
        const expected = summary(plain, e);
        expect(summary(shared, e)).toEqual(expected);
        expect(summary(unshared, e)).toEqual(expected);
      }
    }), { numRuns: testScale(30, 120) });
  });
});

describe('property: one field tested by many literal rules', () => {
  it('the automaton and the one-by-one searches agree with per-rule evaluation', () => {
    const word = fc.constantFrom('al', 'ph', 'a', 'alpha', 'É', 'é', 'Ph', 'ha', 'lp');
    const text = fc.array(word, { minLength: 1, maxLength: 3 }).map((w) => w.join(''));
    const literalItem = fc.record({ shape: fc.constantFrom('contains', 'startswith', 'endswith', 'exact'), cased: fc.boolean(), values: fc.array(text, { minLength: 1, maxLength: 2 }) })
      .map(({ shape, cased, values }) => field('data.a', [...(shape === 'exact' ? [] : [shape]), ...(cased ? ['cased'] : [])], values));
    const valueArb = fc.oneof(text, fc.array(text, { maxLength: 3 }), fc.constant(5));
    fc.assert(fc.property(fc.array(literalItem, { minLength: 1, maxLength: 12 }), fc.array(valueArb, { minLength: 1, maxLength: 5 }), (items, values) => {
      const m = model(items.map((it, i) => rule(`r${i}`, { sel: map(it) }, id('sel'))));
      const sets = [new CompiledRuleSet(m), new CompiledRuleSet(m, { automatonMinLiterals: 1 }), new CompiledRuleSet(m, { automatonMinLiterals: 99 })];
      const plain = new CompiledRuleSet(m, { index: false });
      for (const a of values) {
        const e = { log_id: 'L', data: { a } } as NormalizedEvent;
        const expected = summary(plain, e);
        for (const set of sets) expect(summary(set, e)).toEqual(expected);
      }
    }), { numRuns: testScale(60, 300) });
  });
});

describe('shared groups', () => {
  const contains = (n: number) => Array.from({ length: n }, (_, i) => rule(`c${i}`, { sel: map(field('data.type', [], ['s']), field('data.d', ['contains'], [`word${i}`])) }, id('sel')));

  it('rules decided by a group come out in rule order among the rules run one by one', () => {
    const rules = [
      ...contains(3),
      rule('regex', { sel: map(field('data.type', [], ['s']), field('data.d', ['re'], ['word'])) }, id('sel')),
      ...contains(6).slice(3),
      rule('eq', { sel: map(field('data.d', [], ['*word1*'])) }, id('sel')),
    ];
    const set = new CompiledRuleSet(model(rules));
    const found = set.match({ log_id: 'L', data: { type: 's', d: 'word5 word1 word0' } }).map((m) => m.rule.id);
    expect(found).toEqual(['c0', 'c1', 'regex', 'c5', 'eq']);
  });

  it('a field that throws while the group reads it: the event is evaluated rule by rule, each rule failing alone', () => {
    const rules = [
      ...contains(5),
      rule('other', { sel: map(field('data.type', [], ['s']), field('data.e', [], ['ok'])) }, id('sel')),
    ];
    const data: Record<string, unknown> = { type: 's', e: 'ok' };
    Object.defineProperty(data, 'd', { enumerable: true, get: () => { throw new Error('hostile getter'); } });
    const set = new CompiledRuleSet(model(rules));
    const report = newMatchReport();
    expect(set.match({ log_id: 'L', data }, report).map((m) => m.rule.id)).toEqual(['other']);
    expect(report.failures.map((f) => f.ruleId)).toEqual(['c0', 'c1', 'c2', 'c3', 'c4']);
    expect(report.failures.every((f) => f.kind === 'error' && !f.reason.includes('hostile'))).toBe(true);
    // The next event is evaluated normally again.
    expect(set.match({ log_id: 'L2', data: { type: 's', d: 'word3' } }).map((m) => m.rule.id)).toEqual(['c3']);
  });
});

describe('LiteralAutomaton', () => {
  it('reports every occurrence that includes/startsWith/endsWith would find', () => {
    const alphabet = fc.constantFrom('a', 'b', 'ab', 'é', '\u{1F600}', 'A', '.');
    const str = (min: number) => fc.array(alphabet, { minLength: min, maxLength: 6 }).map((p) => p.join(''));
    fc.assert(fc.property(fc.uniqueArray(str(1), { minLength: 1, maxLength: 8 }), str(0), (literals, input) => {
      const automaton = LiteralAutomaton.build(literals)!;
      const contains = new Set<number>();
      const prefix = new Set<number>();
      const suffix = new Set<number>();
      automaton.scan(input, (literal, end) => {
        contains.add(literal);
        if (end === literals[literal].length) prefix.add(literal);
        if (end === input.length) suffix.add(literal);
        expect(input.slice(end - literals[literal].length, end)).toBe(literals[literal]);
      });
      literals.forEach((l, i) => {
        expect(contains.has(i)).toBe(input.includes(l));
        expect(prefix.has(i)).toBe(input.startsWith(l));
        expect(suffix.has(i)).toBe(input.endsWith(l));
      });
    }), { numRuns: 300 });
  });
});

describe('required literals of a regex', () => {
  it('finds the literals of common rule patterns', () => {
    expect(requiredLiterals('^(curl|python-requests)/', '')).toEqual(['curl', 'python-requests']);
    expect(requiredLiterals('Headless(Chrome)?', '')).toEqual(['Headless']);
    expect(requiredLiterals('SQLMap|nikto', 'i')).toEqual(['sqlmap', 'nikto']);
    expect(requiredLiterals('(?:\\w+\\s+){5,30}zz', '')).toEqual(['zz']);
    expect(requiredLiterals('ab+c\\.d', '')).toEqual(['c.d']);
  });

  it('gives none where it cannot be sure', () => {
    for (const p of ['a|', '\\x41', '\\u0041', '(a)\\1', 'a{,2}', '(?i:a)', '.*', '[abc]+', '(?=abc)', ']', 'é']) expect(requiredLiterals(p, '')).toBeNull();
  });

  it('never refuses a value the regex matches', () => {
    const atom = fc.constantFrom('a', 'b', 'A', 'B', 'k', '.', '\\.', '[ab]', '[^a]', '\\w', '\\s', '\\d', '-', '/', ' ', '\u212a', 'é', '^', '$', '\\b');
    const quant = fc.constantFrom('', '', '', '?', '*', '+', '{2}', '{0,1}', '{1,}', '+?');
    const regexArb = fc.letrec<{ re: string }>((tie) => ({
      re: fc.oneof(
        { depthSize: 'small' },
        fc.array(fc.tuple(fc.oneof(atom, tie('re').map((r) => `(${r})`), tie('re').map((r) => `(?:${r})`)), quant).map(([a, q]) => a + q), { minLength: 1, maxLength: 4 }).map((p) => p.join('')),
        fc.tuple(tie('re'), tie('re')).map(([x, y]) => `${x}|${y}`),
      ),
    })).re;
    const input = fc.array(fc.constantFrom('a', 'b', 'A', 'B', 'K', 'k', '\u212a', '.', '-', '/', ' ', '1', 'é', 'É', 'İ'), { maxLength: 12 }).map((c) => c.join(''));
    fc.assert(fc.property(regexArb, fc.constantFrom('', 'i', 'm', 's', 'is'), fc.array(input, { minLength: 1, maxLength: 6 }), (source, flags, inputs) => {
      let re: RegExp;
      try {
        re = new RegExp(source, flags);
      } catch {
        return; // not a valid pattern: the loader refuses it before any prefilter is built
      }
      const filter = literalPrefilter(source, flags);
      if (filter === null) return;
      for (const s of inputs) if (re.test(s)) expect(filter(s)).toBe(true);
    }), { numRuns: 300 });
  });
});

describe('plainIPv6Parts (the fast path before ipaddr.js)', () => {
  const ipaddrParts = (text: string): number[] | null => {
    try {
      return ipaddr.IPv6.parse(text).parts;
    } catch {
      return null;
    }
  };

  it('accepts only what ipaddr.js accepts, with the same groups', () => {
    const piece = fc.constantFrom('0', '1', 'a', 'F', 'ffff', '12345', '00000', ':', ':', '::', '.', '%', 'g', '10.0.0.1');
    fc.assert(fc.property(fc.array(piece, { maxLength: 12 }).map((p) => p.join('')), (text) => {
      const mine = plainIPv6Parts(text);
      if (mine !== null) expect(mine).toEqual(ipaddrParts(text));
    }), { numRuns: 300 });
  });

  it('handles every plain spelling of random addresses', () => {
    const group = fc.integer({ min: 0, max: 0xffff });
    fc.assert(fc.property(fc.array(group, { minLength: 8, maxLength: 8 }), fc.nat(8), fc.nat(8), fc.boolean(), (groups, from, length, upper) => {
      const hex = groups.map((g) => (upper ? g.toString(16).toUpperCase() : g.toString(16)));
      const start = Math.min(from, 7);
      const end = Math.min(8, start + Math.max(1, length));
      const text = length === 0 ? hex.join(':') : `${hex.slice(0, start).join(':')}::${hex.slice(end).join(':')}`;
      const expected = length === 0 ? groups : [...groups.slice(0, start), ...groups.slice(start, end).map(() => 0), ...groups.slice(end)];
      expect(plainIPv6Parts(text)).toEqual(expected);
      expect(ipaddrParts(text)).toEqual(expected);
    }), { numRuns: 300 });
  });
});

import * as fc from 'fast-check';
import {
  ConditionSyntaxError,
  conditionIdentifiers,
  evaluateCondition,
  parseCondition,
  printCondition,
  resolveOfPattern,
  tokenizeCondition,
} from '../../lambda/sigma/conditions';
import type { ConditionNode } from '../../lambda/sigma/types';

const NAMES = ['selection', 'selection_ip', 'filter', 'filter_admin', '_helper', 'notable', 'keywords'];

function syntaxError(text: string, names: string[] = NAMES): ConditionSyntaxError {
  try {
    parseCondition(text, names);
  } catch (err) {
    if (err instanceof ConditionSyntaxError) return err;
    throw err;
  }
  throw new Error(`expected '${text}' to fail`);
}

describe('parseCondition', () => {
  it('gives not precedence over and, and and over or', () => {
    expect(parseCondition('selection or not filter and notable', NAMES)).toEqual({
      op: 'or',
      args: [
        { op: 'id', name: 'selection' },
        { op: 'and', args: [{ op: 'not', arg: { op: 'id', name: 'filter' } }, { op: 'id', name: 'notable' }] },
      ],
    });
  });

  it('keeps parenthesised groups as written', () => {
    expect(parseCondition('(selection or filter) and notable', NAMES)).toEqual({
      op: 'and',
      args: [{ op: 'or', args: [{ op: 'id', name: 'selection' }, { op: 'id', name: 'filter' }] }, { op: 'id', name: 'notable' }],
    });
    expect(parseCondition('((selection))', NAMES)).toEqual({ op: 'id', name: 'selection' });
  });

  it('reads keywords case-insensitively and as whole words only', () => {
    expect(parseCondition('selection AND NOT notable Or filter', NAMES)).toEqual({
      op: 'or',
      args: [
        { op: 'and', args: [{ op: 'id', name: 'selection' }, { op: 'not', arg: { op: 'id', name: 'notable' } }] },
        { op: 'id', name: 'filter' },
      ],
    });
    // `notable` is an identifier, not `not able`.
    expect(parseCondition('notable', NAMES)).toEqual({ op: 'id', name: 'notable' });
  });

  it('resolves `1 of` / `all of` patterns and `them`, leaving out `_` identifiers unless asked', () => {
    expect(parseCondition('1 of selection*', NAMES)).toEqual({ op: 'of', quantifier: 'one', pattern: 'selection*', names: ['selection', 'selection_ip'] });
    expect(parseCondition('ALL OF filter_*', NAMES)).toEqual({ op: 'of', quantifier: 'all', pattern: 'filter_*', names: ['filter_admin'] });
    expect(parseCondition('all of them', NAMES)).toEqual({
      op: 'of', quantifier: 'all', pattern: 'them', names: ['selection', 'selection_ip', 'filter', 'filter_admin', 'notable', 'keywords'],
    });
    expect(parseCondition('1 of *', NAMES)).toMatchObject({ names: expect.not.arrayContaining(['_helper']) });
    expect(parseCondition('1 of _*', NAMES)).toEqual({ op: 'of', quantifier: 'one', pattern: '_*', names: ['_helper'] });
    expect(resolveOfPattern('*_*', ['a_b', '_c', 'd'])).toEqual(['a_b']);
    expect(resolveOfPattern('sel.ection', ['selXection', 'sel.ection'])).toEqual(['sel.ection']);
  });

  it('reports the old aggregation syntax at the pipe, pointing to correlation rules', () => {
    const err = syntaxError('selection | count() by data.ip > 5');
    expect(err.code).toBe('aggregation-syntax');
    expect(err.column).toBe(11);
    expect(err.message).toContain('aggregation');
    expect(err.hint).toContain('correlation');
  });

  it('reports every undefined identifier with its column', () => {
    const err = syntaxError('selection and (sel2 or not missing)');
    expect(err.problems.map((p) => [p.code, p.column])).toEqual([
      ['undefined-identifier', 16],
      ['undefined-identifier', 28],
    ]);
    expect(err.problems[0].message).toContain("'sel2'");
    expect(err.problems[0].hint).toContain('selection');
  });

  it('reports a pattern that matches nothing', () => {
    const err = syntaxError('selection or 1 of nothing_*');
    expect(err.problems).toEqual([expect.objectContaining({ code: 'pattern-matches-nothing', column: 19 })]);
    expect(err.message).toContain("'nothing_*'");
    expect(syntaxError('1 of them', ['_only']).problems[0]).toMatchObject({ code: 'pattern-matches-nothing', column: 6 });
  });

  it.each([
    ['(selection or filter', 'missing-paren', 21, "missing ')'"],
    ['selection filter', 'unexpected-token', 11, "unexpected 'filter'"],
    ['selection and', 'unexpected-end', 14, 'ends where'],
    ['selection )', 'unexpected-token', 11, "unexpected ')'"],
    ['2 of selection*', 'bad-quantifier', 1, "'2 of'"],
    ['all selection', 'expected-of', 5, "expected 'of'"],
    ['1 of (selection)', 'expected-pattern', 6, 'expected a pattern'],
    ['', 'empty-condition', 1, 'empty'],
    ['and selection', 'unexpected-token', 1, "unexpected 'and'"],
    ['selection*', 'pattern-without-quantifier', 1, "'1 of' or 'all of'"],
  ])('reports %j as %s at column %i', (text, code, column, message) => {
    const err = syntaxError(text);
    expect(err.code).toBe(code);
    expect(err.column).toBe(column);
    expect(err.message).toContain(message);
  });

  it('tokenizes with 1-based columns', () => {
    expect(tokenizeCondition(' a and(b)').map((t) => [t.type, t.column])).toEqual([
      ['word', 2], ['and', 4], ['lparen', 7], ['word', 8], ['rparen', 9], ['end', 10],
    ]);
  });
});

describe('printCondition', () => {
  it('uses the fewest parentheses that keep the tree', () => {
    expect(printCondition(parseCondition('selection and (filter or notable)', NAMES))).toBe('selection and (filter or notable)');
    expect(printCondition(parseCondition('(selection and filter) or notable', NAMES))).toBe('selection and filter or notable');
    expect(printCondition(parseCondition('not (selection and filter)', NAMES))).toBe('not (selection and filter)');
    expect(printCondition(parseCondition('(selection and filter) and notable', NAMES))).toBe('(selection and filter) and notable');
    expect(printCondition(parseCondition('not not 1 of selection*', NAMES))).toBe('not not 1 of selection*');
    expect(printCondition(parseCondition('all of them', NAMES))).toBe('all of them');
  });
});

describe('evaluateCondition', () => {
  it('evaluates identifiers, not, and, or and quantifiers', () => {
    const truth: Record<string, boolean> = { selection: true, selection_ip: false, filter: false, filter_admin: true, notable: true, keywords: false, _helper: true };
    const isTrue = (n: string): boolean => truth[n];
    const check = (text: string): boolean => evaluateCondition(parseCondition(text, NAMES), isTrue);
    expect(check('selection and not filter')).toBe(true);
    expect(check('selection and filter or keywords')).toBe(false);
    expect(check('1 of selection*')).toBe(true);
    expect(check('all of selection*')).toBe(false);
    expect(check('all of filter_*')).toBe(true);
    expect(check('not all of them')).toBe(true);
  });

  it('lists the identifiers a condition reads', () => {
    expect(conditionIdentifiers(parseCondition('selection and not 1 of filter*', NAMES))).toEqual(['selection', 'filter', 'filter_admin']);
  });
});

// ---------------------------------------------------------------------------------------- properties

const IDS = ['a', 'b', 'sel_1', 'sel_2', 'filter', 'notable', 'ANDROID', '_x'];
const PATTERNS = ['sel_*', '*', 'them', '_*', 'a', 'f*'];

/** Reference resolution written independently of the parser: plain string tests, no regex. */
function namesFor(pattern: string): string[] {
  if (pattern === 'them') return IDS.filter((n) => !n.startsWith('_'));
  const hidden = pattern.startsWith('_');
  return IDS.filter((n) => (hidden || !n.startsWith('_')) && (pattern.endsWith('*') ? n.startsWith(pattern.slice(0, -1)) : n === pattern));
}

const conditionArb: fc.Arbitrary<ConditionNode> = fc.letrec<{ node: ConditionNode }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(...IDS.filter((n) => !n.startsWith('_'))).map((name): ConditionNode => ({ op: 'id', name })),
    fc.tuple(fc.constantFrom<'one' | 'all'>('one', 'all'), fc.constantFrom(...PATTERNS)).map(
      ([quantifier, pattern]): ConditionNode => ({ op: 'of', quantifier, pattern, names: namesFor(pattern) }),
    ),
    tie('node').map((arg): ConditionNode => ({ op: 'not', arg })),
    fc.array(tie('node'), { minLength: 2, maxLength: 4 }).map((args): ConditionNode => ({ op: 'and', args })),
    fc.array(tie('node'), { minLength: 2, maxLength: 4 }).map((args): ConditionNode => ({ op: 'or', args })),
  ),
})).node;

/** Direct boolean reference evaluation of the tree, independent of evaluateCondition. */
function reference(node: ConditionNode, truth: Record<string, boolean>): boolean {
  if (node.op === 'id') return truth[node.name];
  if (node.op === 'not') return !reference(node.arg, truth);
  if (node.op === 'and') return node.args.reduce<boolean>((acc, a) => reference(a, truth) && acc, true);
  if (node.op === 'or') return node.args.reduce<boolean>((acc, a) => reference(a, truth) || acc, false);
  const values = node.names.map((n) => truth[n]);
  return node.quantifier === 'one' ? values.includes(true) : !values.includes(false);
}

describe('condition properties', () => {
  it('parse(print(x)) equals x', () => {
    fc.assert(
      fc.property(conditionArb, (node) => {
        expect(parseCondition(printCondition(node), IDS)).toEqual(node);
      }),
      { numRuns: 500 },
    );
  });

  it('parses keywords written in any case to the same tree', () => {
    fc.assert(
      fc.property(conditionArb, fc.boolean(), (node, upper) => {
        const text = printCondition(node).replace(/\b(and|or|not|of|all|them)\b/g, (k) => (upper ? k.toUpperCase() : k[0].toUpperCase() + k.slice(1)));
        expect(parseCondition(text, IDS)).toEqual(node);
      }),
      { numRuns: 200 },
    );
  });

  it('evaluation agrees with a direct boolean evaluation', () => {
    const truthArb = fc.record(Object.fromEntries(IDS.map((n) => [n, fc.boolean()])) as Record<string, fc.Arbitrary<boolean>>);
    fc.assert(
      fc.property(conditionArb, truthArb, (node, truth) => {
        const reparsed = parseCondition(printCondition(node), IDS);
        expect(evaluateCondition(reparsed, (n) => truth[n])).toBe(reference(node, truth));
      }),
      { numRuns: 500 },
    );
  });
});

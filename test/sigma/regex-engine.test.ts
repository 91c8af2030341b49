// The linear-time regex engine must give the same answer as V8's RegExp (the rules' documented syntax) on
// every pattern it accepts; patterns it cannot translate exactly stay on the backtracking engine.

import { compileRegex, regexEngineOf } from '../../lambda/sigma/regex-engine';
import { differential } from './regex-differential';

describe('linear regex engine: same results as RegExp', () => {
  test('on 500 generated patterns × 30 generated values (flags i, s, m, none); more in the long suite', () => {
    const { mismatches, linear, valid } = differential(20250917, 500);
    expect(mismatches.slice(0, 10)).toEqual([]);
    // Nearly everything translates (the rest are multiline anchors and surrogates in patterns).
    expect(linear).toBeGreaterThan(valid * 0.8);
  });

  test.each([
    ['s', 'i', 'ſ', false],
    ['k', 'i', '\u212a', false],
    ['é', 'i', 'É', true],
    ['σ', 'i', 'ς', true],
    ['^.$', '', '\r', false],
    ['^.$', 's', '\r', true],
    ['^.$', '', '😀', false],
    ['^..$', '', '😀', true],
    ['^\\s$', '', '\u00a0', true],
    ['^\\s$', '', '\u2028', true],
    ['^[^a]$', '', '\ud800', true],
    ['a{,2}', '', 'a{,2}', true],
    ['^x{2}$', '', 'xx', true],
    ['\\bfoo\\b', 'i', 'a FOO b', true],
    ['(?<name>ab)+$', '', 'abab', true],
    ['^[\\w-]+$', '', 'a-b_c', true],
  ])('/%s/%s on %j → %s, on the linear engine', (source, flags, value, expected) => {
    const compiled = compileRegex(source, flags);
    expect(compiled.engine).toBe('linear');
    expect(compiled.test(value)).toBe(expected);
    expect(new RegExp(source, flags).test(value)).toBe(expected);
  });
});

describe('engine choice', () => {
  test.each([
    ['a.*a.*b', ''],
    ['(a|aa)*c', ''],
    ['(a+)+$', ''],
    ['^(?:[a-z0-9._%+-]+)@(?:[a-z0-9-]+\\.)+[a-z]{2,}$', 'i'],
    ['.+@(.+)', ''],
  ])('%s runs on the linear engine', (source, flags) => {
    expect(regexEngineOf(source, flags)).toEqual({ engine: 'linear' });
  });

  test.each([
    ['(?=a)b', 'lookahead or lookbehind'],
    ['(?<!x)y', 'lookahead or lookbehind'],
    ['(a)\\1', 'backreference'],
    ['(?<n>a)\\k<n>', 'backreference'],
    ['x{1001}', 'RE2 cannot compile it'],
    ['\ud83d\ude00', 'surrogate'],
  ])('%s stays on the backtracking engine (%s)', (source, reason) => {
    const engine = regexEngineOf(source, '');
    expect(engine.engine).toBe('backtracking');
    expect(engine.reason).toContain(reason);
  });

  test('multiline anchors stay on the backtracking engine; multiline without anchors is linear', () => {
    expect(regexEngineOf('^a$', 'm').engine).toBe('backtracking');
    expect(regexEngineOf('a.b', 'm').engine).toBe('linear');
  });

  test('the backtracking fallback keeps JavaScript results', () => {
    const compiled = compileRegex('(?=.*admin)(?!.*test)', 'i');
    expect(compiled.test('Admin user')).toBe(true);
    expect(compiled.test('admin test')).toBe(false);
  });

  test('a catastrophic pattern answers on a 4096-character hostile value (no backtracking)', () => {
    // Not a timing assertion (scripts/regex-worst-case.ts measures): on V8's backtracking engine these take
    // seconds (cubic) or forever (exponential); the test would time out.
    const hostile = 'a'.repeat(4096);
    expect(compileRegex('a.*a.*b', '').test(hostile)).toBe(false);
    expect(compileRegex('(a|aa)*c', '').test(hostile)).toBe(false);
    expect(compileRegex('(a+)+$', '').test(`${hostile}!`)).toBe(false);
    expect(compileRegex('(a+)+!', '').test(`${hostile}!`)).toBe(true);
    expect(compileRegex('^(a+)+$', '').test(`${hostile}!`)).toBe(false);
  });

  test('the step cost of a pattern grows with its program, not with the value', () => {
    const small = compileRegex('ab', '');
    const large = compileRegex('(?:\\w+\\s+){5,30}zz', '');
    expect(small.stepsPerChar).toBeGreaterThan(0);
    expect(large.stepsPerChar).toBeGreaterThan(small.stepsPerChar * 10);
  });
});

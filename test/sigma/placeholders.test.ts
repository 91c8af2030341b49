import * as path from 'node:path';
import {
  MAX_PLACEHOLDER_ALTERNATIVES,
  MAX_PLACEHOLDER_VALUES,
  findPlaceholders,
  mergePlaceholders,
  parsePlaceholderAssignments,
  parsePlaceholderConfig,
  placeholderHint,
  substituteMap,
  substitutePlaceholders,
  unquotedPlaceholderName,
  type RawFieldItem,
} from '../../lambda/sigma/placeholders';
import { loadPlaceholderConfig } from '../../lambda/sigma/loader';
import { formatDiagnostic } from '../../lambda/sigma/diagnostics';

const loc = { file: 'r.yml', line: 3, col: 5 };
const item = (field: string | null, modifiers: string[], values: (string | number | null)[]): RawFieldItem => ({ field, modifiers, values, loc });

describe('finding and substituting placeholders', () => {
  it('finds {name} anywhere in a string, but not regex quantifiers', () => {
    expect(findPlaceholders('https://{tenant}.auth0.com/{path_1}', false)).toEqual(['tenant', 'path_1']);
    expect(findPlaceholders('^a{3}b{2,5}c{_x}$', false)).toEqual(['_x']);
    expect(findPlaceholders('{your-tenant-name}', false)).toEqual(['your-tenant-name']);
    expect(findPlaceholders('{}', false)).toEqual([]);
  });

  it('finds %name% only under expand', () => {
    expect(findPlaceholders('%admins%', false)).toEqual([]);
    expect(findPlaceholders('%admins% and {x}', true)).toEqual(['x', 'admins']);
    expect(findPlaceholders('100%', true)).toEqual([]);
  });

  it('replaces bound names and leaves the others as written', () => {
    expect(substitutePlaceholders('{a}-{b}-{a}', { a: 'x*' }, false)).toBe('x*-{b}-x*');
    expect(substitutePlaceholders('%a%', { a: 'x' }, false)).toBe('%a%');
    expect(substitutePlaceholders('%a%', { a: 'x' }, true)).toBe('x');
    // A name like a prototype property is not bound unless given.
    expect(substitutePlaceholders('{constructor}', {}, false)).toBe('{constructor}');
  });

  it('recognises the map YAML makes of an unquoted {name}', () => {
    expect(unquotedPlaceholderName({ global_client_id: null })).toBe('global_client_id');
    expect(unquotedPlaceholderName({ a: 1 })).toBeUndefined();
    expect(unquotedPlaceholderName({ a: null, b: null })).toBeUndefined();
    expect(unquotedPlaceholderName({ '3': null })).toBeUndefined();
    expect(unquotedPlaceholderName(['x'])).toBeUndefined();
    expect(unquotedPlaceholderName('x')).toBeUndefined();
  });

  it('says how to set a placeholder', () => {
    const hint = placeholderHint('client');
    expect(hint).toContain('--set client=VALUE');
    expect(hint).toContain('--config');
    expect(hint).toContain('CDK context `placeholders`');
  });
});

describe('substituteMap', () => {
  it('ORs list values into the item, binding a name once per value', () => {
    const r = substituteMap([item('f', [], ['{a}-{a}', 'lit', 7])], { a: ['x', 'y'] });
    expect(r.alternatives).toEqual([[{ field: 'f', modifiers: [], values: ['x-x', 'y-y', 'lit', 7], loc }]]);
    expect(r.used).toEqual(['a']);
    expect(r.unresolved).toEqual([]);
  });

  it('combines two list placeholders of one value', () => {
    const r = substituteMap([item('f', [], ['{a}{b}'])], { a: ['1', '2'], b: ['x', 'y'] });
    expect(r.alternatives[0][0].values).toEqual(['1x', '1y', '2x', '2y']);
  });

  it('splits the map into alternatives for list placeholders under all', () => {
    const r = substituteMap([item('t', [], ['s']), item('f', ['contains', 'all'], ['{who}', 'x']), item('g', [], ['{who}'])], { who: ['a', 'b'] });
    expect(r.alternatives.map((alt) => alt.map((i) => i.values))).toEqual([
      [['s'], ['a', 'x'], ['a']],
      [['s'], ['b', 'x'], ['b']],
    ]);
  });

  it('honours \\% escapes under expand: \\%plain%name% is the text %plain, then the placeholder name', () => {
    expect(findPlaceholders('\\%plain%name%', true)).toEqual(['name']);
    expect(substitutePlaceholders('\\%plain%name%', { name: 'X', plain: 'WRONG' }, true)).toBe('%plainX');
    expect(substitutePlaceholders('a\\%b\\%c', {}, true)).toBe('a%b%c');
    // An escaped backslash stays a wildcard escape; the % after it opens a placeholder.
    expect(substitutePlaceholders('\\\\%n%', { n: 'v' }, true)).toBe('\\\\v');
    // Without expand, the text is left alone.
    expect(substitutePlaceholders('\\%plain%name%', { name: 'X' }, false)).toBe('\\%plain%name%');
    const r = substituteMap([item('f', ['expand'], ['\\%plain%name%'])], { name: ['A', 'B'] });
    expect(r.alternatives[0]![0]!.values).toEqual(['%plainA', '%plainB']);
    expect(r.used).toEqual(['name']);
  });

  it('drops expand, substitutes %name%, and warns when expand has nothing to expand', () => {
    const r = substituteMap([item('f', ['expand', 'startswith'], ['%p%'])], { p: 'x' });
    expect(r.alternatives[0][0]).toEqual({ field: 'f', modifiers: ['startswith'], values: ['x'], loc });
    const w = substituteMap([item('f', ['expand'], ['plain'])], {});
    expect(w.problems).toEqual([expect.objectContaining({ severity: 'warning', code: 'expand-without-placeholder', loc })]);
  });

  it('reports unresolved names (and empty lists) once, leaving the text as written', () => {
    const r = substituteMap([item('f', [], ['{a}', '{b}']), item('g', [], ['{a}'])], { b: [] });
    expect(r.unresolved.map((u) => u.name)).toEqual(['a', 'b']);
    expect(r.alternatives[0][0].values).toEqual(['{a}', '{b}']);
  });

  it('bounds the expansion with an error', () => {
    const many = Array.from({ length: MAX_PLACEHOLDER_VALUES + 1 }, (_, i) => `v${i}`);
    const r = substituteMap([item('f', [], ['{a}'])], { a: many });
    expect(r.problems).toEqual([expect.objectContaining({ severity: 'error', code: 'placeholder-expansion-too-large', loc, field: 'f' })]);
    const split = Array.from({ length: 17 }, (_, i) => `v${i}`);
    const r2 = substituteMap([item('f', ['all'], ['{a}', '{b}'])], { a: split, b: split });
    expect(17 * 17).toBeGreaterThan(MAX_PLACEHOLDER_ALTERNATIVES);
    expect(r2.problems.map((p) => p.code)).toEqual(['placeholder-expansion-too-large']);
  });
});

describe('parsePlaceholderAssignments (--set)', () => {
  it('parses name=value, repeats become lists, and values may hold =', () => {
    expect(parsePlaceholderAssignments(['a=1', 'b=x=y', 'a=2', 'c=*'])).toEqual({ placeholders: { a: ['1', '2'], b: 'x=y', c: '*' }, errors: [] });
  });

  it('reports malformed assignments', () => {
    const r = parsePlaceholderAssignments(['novalue', '1bad=x', 'empty=', '=x', 'ok=1']);
    expect(r.placeholders).toEqual({ ok: '1' });
    expect(r.errors).toHaveLength(4);
    expect(r.errors[0]).toContain("'novalue': expected NAME=VALUE");
    expect(r.errors[1]).toContain("'1bad' is not a placeholder name");
    expect(r.errors[2]).toContain('the value is empty');
    expect(r.errors[3]).toContain("'' is not a placeholder name");
  });

  it('treats __proto__ as an ordinary name', () => {
    const r = parsePlaceholderAssignments(['__proto__=x']);
    expect(Object.prototype.hasOwnProperty.call(r.placeholders, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('merges sources, later ones winning per name', () => {
    expect(mergePlaceholders({ a: '1', b: ['2', '3'] }, undefined, { a: ['9'] })).toEqual({ a: ['9'], b: ['2', '3'] });
  });
});

describe('placeholder config files (--config)', () => {
  it('reads a placeholders map of strings and lists', () => {
    const r = loadPlaceholderConfig(path.join(__dirname, '../fixtures/rules-config/placeholders.yml'));
    expect(r.diagnostics).toEqual([]);
    expect(r.placeholders).toEqual({ api_explorer_client_id: 'AbCdEf0123456789', admins: ['root', 'ops'] });
  });

  it('reports each bad entry at its line and column', () => {
    const file = path.join(__dirname, '../fixtures/rules-config/bad-placeholders.yml');
    const r = loadPlaceholderConfig(file, path.join(__dirname, '..'));
    expect(r.placeholders).toEqual({ good: 'x', numeric: '123' });
    expect(r.diagnostics.map(formatDiagnostic)).toEqual([
      expect.stringMatching(/^fixtures\/rules-config\/bad-placeholders\.yml:3:17: error: placeholder 'empty_list' has an empty list/),
      expect.stringMatching(/^fixtures\/rules-config\/bad-placeholders\.yml:4:13: error: placeholder 'nested' must be a non-empty string or a list of strings/),
      expect.stringMatching(/^fixtures\/rules-config\/bad-placeholders\.yml:5:5: error: '9bad' is not a placeholder name/),
      expect.stringMatching(/^fixtures\/rules-config\/bad-placeholders\.yml:6:14: warning: placeholder 'numeric': YAML read 123 as a number/),
    ]);
  });

  it('reports a missing file and a file that is not a mapping', () => {
    const missing = loadPlaceholderConfig('/nonexistent/config.yml');
    expect(missing.diagnostics[0]).toMatchObject({ severity: 'error', code: 'config-not-found' });
    expect(missing.diagnostics[0].message).toContain('/nonexistent/config.yml');
    expect(parsePlaceholderConfig('- a\n', 'c.yml').diagnostics[0]).toMatchObject({ code: 'placeholder-config', loc: { file: 'c.yml', line: 1, col: 1 } });
    expect(parsePlaceholderConfig('placeholders: [a]\n', 'c.yml').diagnostics[0]).toMatchObject({ loc: { line: 1, col: 15 } });
    expect(parsePlaceholderConfig('placeholders: {a: [b\n', 'c.yml').diagnostics[0]).toMatchObject({ code: 'yaml-syntax', loc: { file: 'c.yml', line: 2 } });
    // Other top-level keys belong to other readers of the file.
    expect(parsePlaceholderConfig('rules: [x]\n', 'c.yml')).toEqual({ placeholders: {}, diagnostics: [] });
  });
});

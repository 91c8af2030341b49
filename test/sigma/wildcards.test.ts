import * as fc from 'fast-check';
import { compilePattern, foldCase, foldCodePoint, parseWildcard, tokensToPattern } from '../../lambda/sigma/wildcards';

const ci = (pattern: string) => {
  const test = compilePattern(pattern, { caseSensitive: false });
  return (value: string) => test.test(foldCase(value));
};
const cs = (pattern: string) => {
  const test = compilePattern(pattern, { caseSensitive: true });
  return (value: string) => test.test(value);
};

describe('parseWildcard', () => {
  it('splits literals and wildcards, resolving the three escapes', () => {
    expect(parseWildcard('a*b?c')).toEqual([
      { kind: 'literal', text: 'a' }, { kind: 'star' }, { kind: 'literal', text: 'b' }, { kind: 'one' }, { kind: 'literal', text: 'c' },
    ]);
    expect(parseWildcard('a\\*b\\?c\\\\d')).toEqual([{ kind: 'literal', text: 'a*b?c\\d' }]);
  });
  it('keeps a backslash before any other character, and a trailing one', () => {
    expect(parseWildcard('C:\\Windows\\n')).toEqual([{ kind: 'literal', text: 'C:\\Windows\\n' }]);
    expect(parseWildcard('end\\')).toEqual([{ kind: 'literal', text: 'end\\' }]);
  });
  it('treats \\\\* as a literal backslash followed by a wildcard', () => {
    expect(parseWildcard('a\\\\*')).toEqual([{ kind: 'literal', text: 'a\\' }, { kind: 'star' }]);
  });
  it('collapses runs of stars', () => {
    expect(parseWildcard('**a***')).toEqual([{ kind: 'star' }, { kind: 'literal', text: 'a' }, { kind: 'star' }]);
  });
  it('prints tokens back to an equivalent pattern', () => {
    expect(tokensToPattern(parseWildcard('a\\*b*\\\\'))).toBe('a\\*b*\\\\');
  });
});

describe('compilePattern picks the cheapest test', () => {
  const kind = (p: string) => compilePattern(p, { caseSensitive: false }).kind;
  it.each([
    ['abc', 'exact'], ['abc*', 'prefix'], ['*abc', 'suffix'], ['*abc*', 'contains'], ['*', 'any'],
    ['a*c', 'affix'], ['a*b*c', 'stars'], ['a?c', 'glob'], ['a\\*', 'exact'], ['', 'exact'],
  ])('%s → %s', (pattern, expected) => {
    expect(kind(pattern)).toBe(expected);
  });
});

describe('matching', () => {
  it('`?` patterns do not backtrack catastrophically: many stars over a long near-miss value', () => {
    // A regex took tens of seconds here; the glob matcher is O(value × pattern).
    const value = 'a'.repeat(4096);
    expect(cs('*a*a*a*b?')(value)).toBe(false);
    expect(cs('*a*a*a*b?')(value + 'bx')).toBe(true);
    expect(cs('*a?a*')('😀a😀a')).toBe(true);
    expect(cs('?')('😀')).toBe(true);
    expect(cs('??')('😀')).toBe(false);
  });
  it('is case-insensitive by default and case-sensitive on request', () => {
    expect(ci('SecCft')('seccft')).toBe(true);
    expect(cs('SecCft')('seccft')).toBe(false);
    expect(cs('SecCft')('SecCft')).toBe(true);
  });
  it('exact, prefix, suffix, contains, affix', () => {
    expect(ci('abc')('abcd')).toBe(false);
    expect(ci('abc*')('ABCD')).toBe(true);
    expect(ci('abc*')('xabc')).toBe(false);
    expect(ci('*abc')('xABC')).toBe(true);
    expect(ci('*abc')('abcx')).toBe(false);
    expect(ci('*b*')('abc')).toBe(true);
    expect(ci('*z*')('abc')).toBe(false);
    expect(ci('a*a')('a')).toBe(false);
    expect(ci('a*a')('aa')).toBe(true);
    expect(ci('ab*bc')('abc')).toBe(false);
    expect(ci('a*b*c')('aXbYc')).toBe(true);
    expect(ci('a*b*c')('aXcYb')).toBe(false);
    expect(ci('*a*b*')('ba')).toBe(false);
  });
  it('`?` is exactly one code point, an emoji included', () => {
    expect(ci('a?c')('abc')).toBe(true);
    expect(ci('a?c')('ac')).toBe(false);
    expect(ci('a?c')('abbc')).toBe(false);
    expect(ci('a?c')('a😀c')).toBe(true);
    expect(ci('??')('😀')).toBe(false);
    expect(ci('a?c')('a\nc')).toBe(true);
  });
  it('escaped wildcards are literal', () => {
    expect(ci('a\\*c')('a*c')).toBe(true);
    expect(ci('a\\*c')('abc')).toBe(false);
    expect(ci('what\\?')('what?')).toBe(true);
    expect(ci('what\\?')('whatx')).toBe(false);
    expect(ci('C:\\\\Windows')('c:\\windows')).toBe(true);
    // `\*` is an escaped star: the backslash is consumed; a literal backslash before a wildcard is `\\*`.
    expect(ci('C:\\Windows\\*')('C:\\Windows*')).toBe(true);
    expect(ci('C:\\Windows\\*')('C:\\Windows\\x')).toBe(false);
    expect(ci('C:\\Windows\\\\*')('C:\\Windows\\x')).toBe(true);
  });
  it('regex metacharacters in literals are literal', () => {
    expect(ci('a.c')('abc')).toBe(false);
    expect(ci('(a|b)?')('(a|b)x')).toBe(true);
    expect(ci('[x]-$^')('[X]-$^')).toBe(true);
  });
  it('folds Unicode case: É equals é, accents are kept', () => {
    expect(ci('ÉCOLE')('école')).toBe(true);
    expect(ci('ecole')('école')).toBe(false);
    expect(ci('straße')('STRAẞE')).toBe(true);
    expect(ci('Σίσυφος')('ΣΊΣΥΦΟΣ')).toBe(true);
    expect(ci('σ')('ς')).toBe(true);
    expect(ci('k')('\u212a')).toBe(true); // Kelvin sign
    expect(ci('i')('ı')).toBe(false); // dotless i is another letter
  });
});

describe('foldCodePoint agrees with the Unicode simple case folding of /iu regexes', () => {
  const esc = (ch: string) => ch.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
  const equivalent = (a: number, b: number) => new RegExp(`^${esc(String.fromCodePoint(a))}$`, 'iu').test(String.fromCodePoint(b));
  it('every code point folds to an equivalent one, and equivalent pairs fold alike', () => {
    const wrongFold: string[] = [];
    const splitPairs: string[] = [];
    const groups = new Map<string, number[]>();
    for (let cp = 0; cp < 0x20000; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      const ch = String.fromCodePoint(cp);
      // A character with no case mapping at all has no folding either: it must fold to itself.
      if (ch.toUpperCase() === ch && ch.toLowerCase() === ch) {
        if (foldCodePoint(cp) !== cp) wrongFold.push(cp.toString(16));
        continue;
      }
      if (!equivalent(cp, foldCodePoint(cp))) wrongFold.push(cp.toString(16));
      // Candidates for equivalence: characters sharing an upper- or lowercase form.
      for (const key of ['U' + ch.toUpperCase(), 'L' + ch.toLowerCase()]) {
        const g = groups.get(key);
        if (g) g.push(cp);
        else groups.set(key, [cp]);
      }
    }
    for (const g of groups.values()) {
      for (const a of g) for (const b of g) {
        if (a < b && equivalent(a, b) && foldCodePoint(a) !== foldCodePoint(b)) splitPairs.push(`${a.toString(16)}~${b.toString(16)}`);
      }
    }
    expect(wrongFold).toEqual([]);
    expect(splitPairs).toEqual([]);
  });
});

// An oracle built independently: a direct translation of the pattern into one anchored regex.
function oracle(pattern: string, caseSensitive: boolean): RegExp {
  let source = '';
  const chars = Array.from(pattern);
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i];
    if (c === '\\' && ['*', '?', '\\'].includes(chars[i + 1])) {
      source += '\\' + chars[++i];
    } else if (c === '*') source += '[\\s\\S]*';
    else if (c === '?') source += '[\\s\\S]';
    else source += /[\\^$.*+?()[\]{}|/]/.test(c) ? '\\' + c : c === '-' ? '\\x2d' : c;
  }
  return new RegExp(`^(?:${source})$`, caseSensitive ? 'u' : 'iu');
}

describe('property: compiled patterns agree with an independent regex oracle', () => {
  const alphabet = fc.constantFrom('a', 'b', 'A', 'B', '*', '?', '\\', '.', 'é', 'É', '😀', 'ß', 'ẞ', '-', 'K', '\u212a', 'k');
  const text = fc.array(alphabet, { maxLength: 8 }).map((a) => a.join(''));
  it('case-insensitive', () => {
    fc.assert(fc.property(text, text, (pattern, value) => {
      expect(ci(pattern)(value)).toBe(oracle(pattern, false).test(value));
    }), { numRuns: 3000 });
  });
  it('case-sensitive', () => {
    fc.assert(fc.property(text, text, (pattern, value) => {
      expect(cs(pattern)(value)).toBe(oracle(pattern, true).test(value));
    }), { numRuns: 3000 });
  });
  it('a pattern matches its own unescaped literal text', () => {
    fc.assert(fc.property(fc.string({ maxLength: 10 }), (literal) => {
      const escaped = literal.replace(/[*?\\]/g, (c) => '\\' + c);
      expect(cs(escaped)(literal)).toBe(true);
      expect(ci(escaped)(literal.toUpperCase())).toBe(oracle(escaped, false).test(literal.toUpperCase()));
    }));
  });
});

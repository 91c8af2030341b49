// Sigma string patterns: `*` (any run), `?` (one code point) and the specification's backslash escapes,
// compiled once into the cheapest test, plus the case folding every case-insensitive comparison shares.

/** A piece of a parsed pattern. */
export type WildcardToken =
  | { kind: 'literal'; text: string }
  | { kind: 'star' }
  | { kind: 'one' };

export type StringTestKind = 'exact' | 'prefix' | 'suffix' | 'contains' | 'any' | 'affix' | 'stars' | 'glob';

/**
 * A compiled pattern. Case-insensitive tests expect the value already folded with `foldCase` (the caller folds
 * an event value once and runs every test of the item on it); case-sensitive tests take the raw value.
 */
export interface StringTest {
  readonly kind: StringTestKind;
  readonly caseSensitive: boolean;
  /** The pattern as written (before folding), for explanations. */
  readonly source: string;
  /** For `exact` tests: the (folded) string the value must equal, so callers can group them in a Set. */
  readonly exact?: string;
  /** For `prefix`, `suffix` and `contains` tests: the (folded) literal, so callers can share one automaton. */
  readonly literal?: string;
  /** The pattern as tested (folded, normalised): two tests of one case mode with the same `pattern` agree. */
  readonly pattern: string;
  test(prepared: string): boolean;
}

export interface PatternOptions {
  caseSensitive: boolean;
}

const STAR: WildcardToken = { kind: 'star' };
const ONE: WildcardToken = { kind: 'one' };

/**
 * Splits a Sigma pattern into literal runs and wildcards. Per the specification, `\*`, `\?` and `\\` are the
 * literal characters; a backslash before anything else (or at the end) is itself literal.
 */
export function parseWildcard(pattern: string): WildcardToken[] {
  const tokens: WildcardToken[] = [];
  let literal = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '\\') {
      const next = pattern[i + 1];
      if (next === '*' || next === '?' || next === '\\') {
        literal += next;
        i++;
      } else {
        literal += '\\';
      }
    } else if (ch === '*' || ch === '?') {
      if (literal) tokens.push({ kind: 'literal', text: literal });
      literal = '';
      tokens.push(ch === '*' ? STAR : ONE);
    } else {
      literal += ch;
    }
  }
  if (literal) tokens.push({ kind: 'literal', text: literal });
  return normalizeTokens(tokens);
}

/** Merges adjacent literals and collapses runs of `*` (they mean the same as one). */
export function normalizeTokens(tokens: WildcardToken[]): WildcardToken[] {
  const out: WildcardToken[] = [];
  for (const token of tokens) {
    const last = out[out.length - 1];
    if (token.kind === 'literal') {
      if (token.text === '') continue;
      if (last && last.kind === 'literal') out[out.length - 1] = { kind: 'literal', text: last.text + token.text };
      else out.push(token);
    } else if (token.kind === 'star') {
      if (!last || last.kind !== 'star') out.push(STAR);
    } else {
      out.push(ONE);
    }
  }
  return out;
}

/** True when the pattern has an unescaped `*` or `?`. */
export function hasWildcards(tokens: readonly WildcardToken[]): boolean {
  return tokens.some((t) => t.kind !== 'literal');
}

/** The literal text of a wildcard-free pattern (escapes resolved). */
export function literalText(tokens: readonly WildcardToken[]): string {
  let text = '';
  for (const t of tokens) if (t.kind === 'literal') text += t.text;
  return text;
}

/** Writes tokens back as a Sigma pattern (escaping literal `*`, `?` and backslashes that need it). */
export function tokensToPattern(tokens: readonly WildcardToken[]): string {
  let out = '';
  for (const t of tokens) {
    if (t.kind === 'star') out += '*';
    else if (t.kind === 'one') out += '?';
    else out += t.text.replace(/[*?\\]/g, (c) => '\\' + c);
  }
  return out;
}

export function compilePattern(pattern: string, options: PatternOptions): StringTest {
  return compileTokens(parseWildcard(pattern), options, pattern);
}

export function compileTokens(input: readonly WildcardToken[], options: PatternOptions, source?: string): StringTest {
  const caseSensitive = options.caseSensitive;
  const fold = (text: string): string => (caseSensitive ? text : foldCase(text));
  const tokens = normalizeTokens(input.map((t) => (t.kind === 'literal' ? { kind: 'literal', text: fold(t.text) } : t)));
  const src = source ?? tokensToPattern(input);
  const base = { caseSensitive, source: src, pattern: tokensToPattern(tokens) };
  const n = tokens.length;
  const lit = (i: number): string | undefined => {
    const t = tokens[i];
    return t && t.kind === 'literal' ? t.text : undefined;
  };
  const isStar = (i: number): boolean => tokens[i]?.kind === 'star';

  if (n === 0) return { ...base, kind: 'exact', exact: '', test: (v) => v === '' };
  if (!tokens.some((t) => t.kind === 'one')) {
    if (n === 1 && isStar(0)) return { ...base, kind: 'any', test: () => true };
    if (n === 1) {
      const text = lit(0)!;
      return { ...base, kind: 'exact', exact: text, test: (v) => v === text };
    }
    if (n === 2 && isStar(1)) {
      const text = lit(0)!;
      return { ...base, kind: 'prefix', literal: text, test: (v) => v.startsWith(text) };
    }
    if (n === 2 && isStar(0)) {
      const text = lit(1)!;
      return { ...base, kind: 'suffix', literal: text, test: (v) => v.endsWith(text) };
    }
    if (n === 3 && isStar(0) && isStar(2)) {
      const text = lit(1)!;
      return { ...base, kind: 'contains', literal: text, test: (v) => v.includes(text) };
    }
    if (n === 3 && isStar(1)) {
      const head = lit(0)!;
      const tail = lit(2)!;
      const min = head.length + tail.length;
      return { ...base, kind: 'affix', test: (v) => v.length >= min && v.startsWith(head) && v.endsWith(tail) };
    }
    return { ...base, kind: 'stars', test: starsTest(tokens) };
  }
  // `?` (one code point) in the pattern: a linear-memory glob matcher rather than a regex, whose backtracking on
  // patterns like `*a*a*b?` grows with the value length to a power of the number of stars.
  return { ...base, kind: 'glob', test: globTest(tokens) };
}

const GLOB_ONE = -1;
const GLOB_STAR = -2;

/** UTF-16 units a code point starting at `i` takes (2 for a surrogate pair). */
function codePointLength(v: string, i: number): number {
  const c = v.charCodeAt(i);
  if (c >= 0xd800 && c <= 0xdbff && i + 1 < v.length) {
    const d = v.charCodeAt(i + 1);
    if (d >= 0xdc00 && d <= 0xdfff) return 2;
  }
  return 1;
}

/**
 * Glob matching with `*` and `?` by the classic single-backtrack-point algorithm: on a mismatch, only the most
 * recent `*` absorbs one more code point. O(value × pattern) time at worst, no recursion, no allocation.
 */
function globTest(tokens: readonly WildcardToken[]): (v: string) => boolean {
  const units: number[] = [];
  for (const t of tokens) {
    if (t.kind === 'star') units.push(GLOB_STAR);
    else if (t.kind === 'one') units.push(GLOB_ONE);
    else for (let i = 0; i < t.text.length; i++) units.push(t.text.charCodeAt(i));
  }
  const pattern = Int32Array.from(units);
  const m = pattern.length;
  return (v) => {
    const n = v.length;
    let p = 0;
    let t = 0;
    let starP = -1;
    let starT = 0;
    while (t < n) {
      const u = p < m ? pattern[p] : 0;
      if (p < m && u === GLOB_ONE) {
        t += codePointLength(v, t);
        p++;
      } else if (p < m && u === GLOB_STAR) {
        starP = p++;
        starT = t;
      } else if (p < m && u === v.charCodeAt(t)) {
        p++;
        t++;
      } else if (starP >= 0) {
        starT += codePointLength(v, starT);
        t = starT;
        p = starP + 1;
      } else {
        return false;
      }
    }
    while (p < m && pattern[p] === GLOB_STAR) p++;
    return p === m;
  };
}

/**
 * Patterns made of literals and `*` only: anchored head and tail, the middle literals found left to right.
 * Greedy leftmost search is exact for star-only globs and runs in linear-ish time (no regex backtracking).
 */
function starsTest(tokens: readonly WildcardToken[]): (v: string) => boolean {
  const startsWithStar = tokens[0].kind === 'star';
  const endsWithStar = tokens[tokens.length - 1].kind === 'star';
  const literals = tokens.filter((t): t is { kind: 'literal'; text: string } => t.kind === 'literal').map((t) => t.text);
  const head = startsWithStar ? '' : literals[0];
  const tail = endsWithStar ? '' : literals[literals.length - 1];
  const middle = literals.slice(startsWithStar ? 0 : 1, endsWithStar ? literals.length : literals.length - 1);
  const minLength = literals.reduce((sum, l) => sum + l.length, 0);
  return (v) => {
    if (v.length < minLength) return false;
    if (head && !v.startsWith(head)) return false;
    const end = v.length - tail.length;
    if (tail && !v.endsWith(tail)) return false;
    let pos = head.length;
    for (let i = 0; i < middle.length; i++) {
      const at = v.indexOf(middle[i], pos);
      if (at < 0) return false;
      pos = at + middle[i].length;
    }
    return pos <= end;
  };
}

const REGEX_SPECIAL = /[\\^$.*+?()[\]{}|/-]/g;

export function escapeRegex(text: string): string {
  return text.replace(REGEX_SPECIAL, (c) => (c === '-' ? '\\x2d' : '\\' + c));
}

/** A `u`-flag regex source matching the whole value; leading/trailing `*` become unanchored ends. */
export function tokensToRegexSource(tokens: readonly WildcardToken[]): string {
  let start = 0;
  let end = tokens.length;
  const anchoredStart = !(tokens[0]?.kind === 'star');
  const anchoredEnd = !(tokens[tokens.length - 1]?.kind === 'star');
  if (!anchoredStart) start++;
  if (!anchoredEnd && end > start) end--;
  let body = '';
  for (let i = start; i < end; i++) {
    const t = tokens[i];
    body += t.kind === 'literal' ? escapeRegex(t.text) : t.kind === 'star' ? '[^]*' : '[^]';
  }
  return (anchoredStart ? '^' : '') + body + (anchoredEnd ? '$' : '');
}

// ---------------------------------------------------------------------------------------------------------
// Case folding.
//
// Unicode simple case folding (CaseFolding.txt, statuses C and S), the relation JavaScript's /iu regexes use.
// JavaScript has no fold primitive, so a code point folds to lower(upper(c)) when both are single code points,
// else to its single-code-point lowercase, else to itself; the exceptions below are where that differs from the
// Unicode relation (checked exhaustively against the /iu regex engine in the tests).

const FOLD_EXCEPTIONS: ReadonlyMap<number, number> = new Map([
  [0x0130, 0x0130], // İ: only a full (multi-character) folding exists
  [0x0131, 0x0131], // ı: has no folding (its uppercase I folds to i, a different letter)
  [0x1fd3, 0x0390], // ΐ and ΐ are the same letter encoded twice
  [0x1fe3, 0x03b0], // ΰ and ΰ likewise
  [0xfb05, 0xfb06], // ﬅ and ﬆ
]);

const foldMemo = new Map<number, number>();

function singleCodePoint(text: string): number {
  const cp = text.codePointAt(0)!;
  return text.length === (cp > 0xffff ? 2 : 1) ? cp : -1;
}

export function foldCodePoint(cp: number): number {
  if (cp < 0x80) return cp >= 0x41 && cp <= 0x5a ? cp + 0x20 : cp;
  let folded = foldMemo.get(cp);
  if (folded !== undefined) return folded;
  folded = FOLD_EXCEPTIONS.get(cp);
  if (folded === undefined) {
    const ch = String.fromCodePoint(cp);
    const upper = singleCodePoint(ch.toUpperCase());
    const viaUpper = upper >= 0 ? singleCodePoint(String.fromCodePoint(upper).toLowerCase()) : -1;
    if (viaUpper >= 0) folded = viaUpper;
    else {
      const lower = singleCodePoint(ch.toLowerCase());
      folded = lower >= 0 ? lower : cp;
    }
  }
  foldMemo.set(cp, folded);
  return folded;
}

const NON_ASCII = /[^\x00-\x7f]/;

/** Case-folds a string: ASCII takes the engine's fast lowercase; other text folds code point by code point. */
export function foldCase(text: string): string {
  if (!NON_ASCII.test(text)) return text.toLowerCase();
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const cp = text.codePointAt(i)!;
    if (cp > 0xffff) i++;
    out += String.fromCodePoint(foldCodePoint(cp));
  }
  return out;
}

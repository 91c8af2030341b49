// `|re` on a linear-time engine. Rules are written in JavaScript regex syntax (what `check` validates); this
// module translates a pattern into RE2 syntax with the *same* meaning and runs it on re2js (a pure-JS RE2 port:
// time linear in the value length, no catastrophic backtracking). Only what RE2 cannot express at all
// (backreferences, lookaround) and the few constructs whose JavaScript meaning the translation does not
// reproduce exactly (multiline anchors, astral characters inside classes) stay on V8's backtracking engine;
// `check` warns about those rules (regex-safety.ts).
//
// Exactness notes (JavaScript non-unicode regex semantics are kept, value for value):
// - the value is matched as UTF-16 code units, like RegExp without `u`: every surrogate code unit of the value
//   is mapped to U+E000 first (re2js would otherwise read a pair as one code point), which is sound because a
//   translated pattern never names a character in U+D800..U+E000 (such patterns stay on the backtracking engine);
// - `.` excludes \n, \r, U+2028, U+2029 (RE2's `.` excludes only \n); `\s` is JavaScript's white space set;
// - `i` is JavaScript's non-unicode case-insensitivity (toUpperCase, no mapping from non-ASCII to ASCII), spelled
//   out as explicit character sets: RE2's own folding would also equate `s`/`ſ` and `k`/`K`.

import type { RE2JS } from 're2js';

// Loaded on the first `|re` compiled: rule sets without regexes (the shipped ones) do not pay its start-up.
let re2js: typeof import('re2js') | undefined;
function loadRe2js(): typeof import('re2js') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (re2js ??= require('re2js') as typeof import('re2js'));
}

export type RegexEngine = 'linear' | 'backtracking';

export interface CompiledRegex {
  readonly engine: RegexEngine;
  /** Why the pattern stays on the backtracking engine (absent for linear). */
  readonly reason?: string;
  /**
   * Work per value character, in budget steps: for the linear engine the size of the compiled program (its
   * simulation visits at most every instruction once per character), weighted up for large programs, whose
   * lazily built automaton states cost more per instruction (measured: docs/threat-model.md).
   */
  readonly stepsPerChar: number;
  test(value: string): boolean;
}

/** Thrown by the translator for constructs kept on the backtracking engine. */
class Unsupported extends Error {}

const LINE_TERMINATORS: Range[] = [[0x0a, 0x0a], [0x0d, 0x0d], [0x2028, 0x2029]];
// ECMAScript WhiteSpace and LineTerminator (what `\s` matches).
const JS_SPACE: Range[] = [
  [0x09, 0x0d], [0x20, 0x20], [0xa0, 0xa0], [0x1680, 0x1680], [0x2000, 0x200a], [0x2028, 0x2029], [0x202f, 0x202f],
  [0x205f, 0x205f], [0x3000, 0x3000], [0xfeff, 0xfeff],
];
const DIGIT: Range[] = [[0x30, 0x39]];
const WORD: Range[] = [[0x30, 0x39], [0x41, 0x5a], [0x5f, 0x5f], [0x61, 0x7a]];
const MAX_CODE_UNIT = 0xffff;
/** Surrogate code units of values are read as this character; patterns must not name anything in between. */
const SURROGATE_STAND_IN = 0xe000;
const SURROGATE = /[\uD800-\uDFFF]/;
const SURROGATES = /[\uD800-\uDFFF]/g;

type Range = [number, number];

/** Program size from which the per-instruction cost grows (DFA states of bigger programs are costlier to build). */
const LARGE_PROGRAM = 256;

/** The regex for a `re` value (inline flags already split off) and its flags (`i`, `m`, `s`). */
export function compileRegex(source: string, flags: string): CompiledRegex {
  let translated: string;
  try {
    translated = translateToRe2(source, flags);
  } catch (error) {
    if (!(error instanceof Unsupported)) throw error;
    return backtracking(source, flags, error.message);
  }
  let re: RE2JS;
  try {
    re = loadRe2js().RE2JS.compile(translated, 0);
  } catch (error) {
    // RE2 limits (repeat counts above 1000, program size): valid JavaScript, kept on the backtracking engine.
    return backtracking(source, flags, `RE2 cannot compile it (${(error as Error).message})`);
  }
  const size = Math.max(1, programSize(re));
  const stepsPerChar = Math.ceil(size * Math.max(1, size / LARGE_PROGRAM));
  return {
    engine: 'linear',
    stepsPerChar,
    test: (value) => re.test(SURROGATE.test(value) ? value.replace(SURROGATES, '\uE000') : value),
  };
}

function backtracking(source: string, flags: string, reason: string): CompiledRegex {
  const re = new RegExp(source, flags);
  // A nominal weight: one backtracking match has no bound the budget could charge in advance.
  return { engine: 'backtracking', reason, stepsPerChar: Math.max(1, source.length), test: (value) => re.test(value) };
}

function programSize(re: RE2JS): number {
  const prog = (re as unknown as { re2Input?: { prog?: { inst?: unknown[] } } }).re2Input?.prog?.inst;
  return Array.isArray(prog) ? prog.length : re.pattern().length;
}

/** Whether a pattern runs on the linear engine, and if not why (for `check`). */
export function regexEngineOf(source: string, flags: string): { engine: RegexEngine; reason?: string } {
  const { engine, reason } = compileRegex(source, flags);
  return reason === undefined ? { engine } : { engine, reason };
}

// ---------------------------------------------------------------------------------------------------------
// Translation: one left-to-right pass over the JavaScript pattern (Annex B syntax, no `u` flag).

const hex = (n: number): string => `\\x{${n.toString(16)}}`;

function translateToRe2(source: string, flags: string): string {
  const ignoreCase = flags.includes('i');
  const dotAll = flags.includes('s');
  const multiline = flags.includes('m');
  const hasNamedGroups = /\(\?<[^=!]/.test(source);
  let out = '';
  let i = 0;
  /** True after an atom a quantifier may follow. */
  let quantifiable = false;
  const n = source.length;

  const emitSet = (ranges: Range[]): void => {
    out += setText(ignoreCase ? caseClose(ranges) : ranges);
    quantifiable = true;
  };
  const emitChar = (c: number): void => {
    checkCodeUnit(c);
    emitSet([[c, c]]);
  };

  while (i < n) {
    const c = source.charCodeAt(i);
    const ch = source[i];
    if (ch === '\\') {
      const escape = readEscape(source, i + 1, hasNamedGroups);
      i = escape.end;
      if (escape.kind === 'assertion') {
        out += escape.text;
        quantifiable = false;
      } else if (escape.kind === 'set') {
        emitSet(escape.ranges);
      } else {
        i = emitLiteral(escape.code, i);
      }
      continue;
    }
    switch (ch) {
      case '[': {
        const cls = readClass(source, i + 1);
        i = cls.end;
        const ranges = ignoreCase ? caseClose(cls.ranges) : cls.ranges;
        out += setText(cls.negated ? complement(ranges) : ranges);
        quantifiable = true;
        continue;
      }
      case '(': {
        if (source.startsWith('(?:', i)) {
          out += '(?:';
          i += 3;
        } else if (source[i + 1] === '?') {
          if (source.startsWith('(?<', i) && source[i + 3] !== '=' && source[i + 3] !== '!') {
            const close = source.indexOf('>', i);
            out += '(?:';
            i = close + 1;
          } else {
            throw new Unsupported('lookahead or lookbehind');
          }
        } else {
          // Captures are never read (an item only tests): every group becomes non-capturing.
          out += '(?:';
          i++;
        }
        quantifiable = false;
        continue;
      }
      case ')':
        out += ')';
        i++;
        quantifiable = true;
        continue;
      case '|':
        out += '|';
        i++;
        quantifiable = false;
        continue;
      case '^':
      case '$':
        if (multiline) throw new Unsupported('multiline anchors (JavaScript line terminators include \\r, U+2028 and U+2029)');
        out += ch;
        i++;
        quantifiable = false;
        continue;
      case '.':
        out += dotAll ? '(?s:.)' : setText(complement(LINE_TERMINATORS));
        i++;
        quantifiable = true;
        continue;
      case '*':
      case '+':
      case '?': {
        out += ch;
        i++;
        // A lazy quantifier decides which match is found, never whether one is: kept as written.
        if (source[i] === '?') {
          out += '?';
          i++;
        }
        quantifiable = false;
        continue;
      }
      case '{': {
        const m = /^\{(\d+)(,(\d*))?\}/.exec(source.slice(i, i + 32));
        if (m && quantifiable) {
            out += m[0];
          i += m[0].length;
          if (source[i] === '?') {
            out += '?';
            i++;
          }
          quantifiable = false;
          continue;
        }
        // Annex B: a brace that is not a quantifier is a literal.
        i = emitLiteral(c, i + 1);
        continue;
      }
      default:
        i = emitLiteral(c, i + 1);
    }
  }
  return out;

  /** A literal code unit (a surrogate, alone or in a pair, is refused by checkCodeUnit). */
  function emitLiteral(code: number, next: number): number {
    emitChar(code);
    return next;
  }
}

type Escape =
  | { kind: 'char'; code: number; end: number }
  | { kind: 'set'; ranges: Range[]; end: number }
  | { kind: 'assertion'; text: string; end: number };

/** The escape whose letter is at `i` (after the backslash), outside a class. */
function readEscape(source: string, i: number, hasNamedGroups: boolean): Escape {
  const ch = source[i];
  switch (ch) {
    case 'b':
    case 'B':
      // Word boundaries are ASCII in both engines.
      return { kind: 'assertion', text: `\\${ch}`, end: i + 1 };
    case 'k':
      if (hasNamedGroups) throw new Unsupported('a backreference');
      return { kind: 'char', code: 0x6b, end: i + 1 };
    default:
      if (ch >= '1' && ch <= '9') throw new Unsupported('a backreference or legacy octal escape');
      return readCommonEscape(source, i);
  }
}

/** Escapes with the same meaning inside and outside a class. */
function readCommonEscape(source: string, i: number): Escape {
  const ch = source[i];
  const simple: Record<string, number> = { t: 9, n: 10, v: 11, f: 12, r: 13 };
  if (ch === undefined) throw new Unsupported('a trailing backslash');
  if (simple[ch] !== undefined) return { kind: 'char', code: simple[ch], end: i + 1 };
  switch (ch) {
    case 'd': return { kind: 'set', ranges: DIGIT, end: i + 1 };
    case 'D': return { kind: 'set', ranges: complement(DIGIT), end: i + 1 };
    case 'w': return { kind: 'set', ranges: WORD, end: i + 1 };
    case 'W': return { kind: 'set', ranges: complement(WORD), end: i + 1 };
    case 's': return { kind: 'set', ranges: JS_SPACE, end: i + 1 };
    case 'S': return { kind: 'set', ranges: complement(JS_SPACE), end: i + 1 };
    case '0':
      if (/[0-9]/.test(source[i + 1] ?? '')) throw new Unsupported('a legacy octal escape');
      return { kind: 'char', code: 0, end: i + 1 };
    case 'x': {
      const m = /^[0-9a-fA-F]{2}/.exec(source.slice(i + 1, i + 3));
      return m ? { kind: 'char', code: parseInt(m[0], 16), end: i + 3 } : { kind: 'char', code: 0x78, end: i + 1 };
    }
    case 'u': {
      const m = /^[0-9a-fA-F]{4}/.exec(source.slice(i + 1, i + 5));
      return m ? { kind: 'char', code: parseInt(m[0], 16), end: i + 5 } : { kind: 'char', code: 0x75, end: i + 1 };
    }
    case 'c': {
      const letter = source[i + 1] ?? '';
      if (/[A-Za-z]/.test(letter)) return { kind: 'char', code: letter.charCodeAt(0) % 32, end: i + 2 };
      throw new Unsupported('a \\c escape without a control letter');
    }
    default:
      // Identity escape (Annex B): the character itself.
      return { kind: 'char', code: source.charCodeAt(i), end: i + 1 };
  }
}

/** A class body starting at `i` (after `[`), up to and including its `]`. */
function readClass(source: string, i: number): { ranges: Range[]; negated: boolean; end: number } {
  let negated = false;
  if (source[i] === '^') {
    negated = true;
    i++;
  }
  const ranges: Range[] = [];
  const atom = (): Escape => {
    if (source[i] === '\\') {
      const letter = source[i + 1];
      if (letter === 'b') return { kind: 'char', code: 8, end: i + 2 };
      if (letter === '-') return { kind: 'char', code: 0x2d, end: i + 2 };
      if (letter !== undefined && letter >= '1' && letter <= '9') throw new Unsupported('a legacy octal escape in a class');
      // \k, \B and the like are identity escapes inside a class.
      return readCommonEscape(source, i + 1);
    }
    return { kind: 'char', code: source.charCodeAt(i), end: i + 1 };
  };
  while (i < source.length && source[i] !== ']') {
    const first = atom();
    i = first.end;
    if (source[i] === '-' && source[i + 1] !== ']' && i + 1 < source.length) {
      const save = i;
      i++;
      const second = atom();
      if (first.kind === 'char' && second.kind === 'char') {
        checkCodeUnit(first.code);
        checkCodeUnit(second.code);
        ranges.push([first.code, second.code]);
        i = second.end;
        continue;
      }
      // Annex B: a class escape next to `-` makes the dash literal.
      i = save;
    }
    if (first.kind === 'char') {
      checkCodeUnit(first.code);
      ranges.push([first.code, first.code]);
    } else if (first.kind === 'set') {
      ranges.push(...first.ranges);
    }
  }
  if (source[i] !== ']') throw new Unsupported('an unterminated class');
  return { ranges: normalize(ranges), negated, end: i + 1 };
}

/** A named character (literal or range end) must lie outside the surrogate stand-in zone. */
function checkCodeUnit(code: number): void {
  if (code >= 0xd800 && code <= SURROGATE_STAND_IN) throw new Unsupported('a surrogate or U+E000 character in the pattern');
}

// ---------------------------------------------------------------------------------------------------------
// Character sets as sorted, disjoint ranges of UTF-16 code units.

function normalize(ranges: Range[]): Range[] {
  const sorted = ranges.map(([a, b]): Range => (a <= b ? [a, b] : [b, a])).sort((x, y) => x[0] - y[0]);
  const out: Range[] = [];
  for (const [a, b] of sorted) {
    const last = out[out.length - 1];
    if (last && a <= last[1] + 1) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

/** Every code unit not in the set (up to U+FFFF: values are read as code units, see SURROGATE_STAND_IN). */
function complement(ranges: Range[]): Range[] {
  const out: Range[] = [];
  let next = 0;
  for (const [a, b] of normalize(ranges)) {
    if (a > next) out.push([next, a - 1]);
    next = b + 1;
  }
  if (next <= MAX_CODE_UNIT) out.push([next, MAX_CODE_UNIT]);
  return out;
}

function setText(ranges: Range[]): string {
  const set = normalize(ranges);
  if (set.length === 0) return '[^\\x{0}-\\x{10ffff}]';
  if (set.length === 1 && set[0][0] === set[0][1]) return literalText(set[0][0]);
  return `[${set.map(([a, b]) => (a === b ? hex(a) : `${hex(a)}-${hex(b)}`)).join('')}]`;
}

function literalText(code: number): string {
  const ch = String.fromCharCode(code);
  return /[A-Za-z0-9]/.test(ch) ? ch : hex(code);
}

// JavaScript's non-unicode Canonicalize: toUpperCase when that is one code unit, unless it maps a non-ASCII
// character to ASCII.
function canonicalize(code: number): number {
  const upper = String.fromCharCode(code).toUpperCase();
  if (upper.length !== 1) return code;
  const u = upper.charCodeAt(0);
  return code >= 128 && u < 128 ? code : u;
}

let caseClasses: Map<number, number[]> | undefined;

/** Code units grouped by canonical form (only groups of two or more), built on first non-ASCII need. */
function caseClassTable(): Map<number, number[]> {
  if (caseClasses) return caseClasses;
  const groups = new Map<number, number[]>();
  for (let c = 0; c <= MAX_CODE_UNIT; c++) {
    const k = canonicalize(c);
    const g = groups.get(k);
    if (g) g.push(c);
    else groups.set(k, [c]);
  }
  caseClasses = new Map();
  for (const g of groups.values()) if (g.length > 1) for (const c of g) caseClasses.set(c, g);
  return caseClasses;
}

// Closures of the sets patterns actually use (`\W`, `[^a]`, `.`-like sets span most of the BMP): computed once.
const closures = new Map<string, Range[]>();
const CLOSURE_CACHE_MAX = 256;

/** The set plus every code unit that JavaScript's `i` flag treats as equal to a member. */
function caseClose(ranges: Range[]): Range[] {
  const key = ranges.map(([a, b]) => `${a}-${b}`).join(',');
  let closed = closures.get(key);
  if (!closed) {
    if (closures.size >= CLOSURE_CACHE_MAX) closures.clear();
    closed = computeCaseClosure(ranges);
    closures.set(key, closed);
  }
  return closed;
}

function computeCaseClosure(ranges: Range[]): Range[] {
  const extra: Range[] = [];
  let table: Map<number, number[]> | undefined;
  for (const [a, b] of ranges) {
    for (let c = a; c <= b; c++) {
      if (c < 128) {
        // ASCII letters pair with their other case only (no non-ASCII character canonicalizes to ASCII).
        if (c >= 0x41 && c <= 0x5a) extra.push([c + 32, c + 32]);
        else if (c >= 0x61 && c <= 0x7a) extra.push([c - 32, c - 32]);
        continue;
      }
      table ??= caseClassTable();
      const group = table.get(c);
      if (group) for (const g of group) extra.push([g, g]);
    }
  }
  return extra.length ? normalize([...ranges, ...extra]) : ranges;
}

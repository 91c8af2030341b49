// Required literals of a `|re` pattern: text any matching value must contain, so that a value without it is
// refused by a substring search instead of a run of the regex engine (most user agents never contain "sqlmap").
// Sound by construction, not complete: anything the scan does not fully understand gives no literal (null), and
// the regex then always runs.
//
// The result is a list of alternatives: a value can match only if it contains one of them. Under the `i` flag the
// literals are lowercase ASCII and are looked for in the lowercased value: JavaScript's non-unicode
// case-insensitivity never equates a non-ASCII character with an ASCII one, so an ASCII-only literal that matched
// case-insensitively is still there after lowercasing (lowercasing may also create extra occurrences, from `K`
// (Kelvin) or `İ`: those only let the regex run).

/** Patterns nested deeper than this are not analysed (the scan recurses on the pattern's groups, never on events). */
const MAX_DEPTH = 32;

class GiveUp extends Error {}

/** Escapes standing for one literal ASCII punctuation character. */
const PUNCTUATION_ESCAPES = new Set(['.', '/', '-', '\\', '*', '+', '?', '(', ')', '[', ']', '{', '}', '|', '^', '$', ':', '=', '!', '<', '>', ',', '#', '&', '~', '@', '%', '"', "'", ';', '`', ' ', '_']);
/** Escapes for a class of characters or an assertion: no literal, but understood. */
const CLASS_ESCAPES = new Set(['d', 'D', 'w', 'W', 's', 'S', 'b', 'B', 'n', 'r', 't', 'v', 'f']);

/**
 * The literals one of which every value matching `source` (JavaScript syntax, no `u` flag; inline flags already
 * split off) contains, or null when none is known.
 */
export function requiredLiterals(source: string, flags: string): string[] | null {
  if (flags.includes('u') || flags.includes('v')) return null;
  const scanner = new Scanner(source, flags.includes('i'));
  try {
    const result = scanner.alternation(0);
    if (scanner.pos !== source.length) return null;
    return result;
  } catch (error) {
    if (error instanceof GiveUp) return null;
    throw error;
  }
}

/** A test that refuses values which cannot match (true: the regex must decide). */
export function literalPrefilter(source: string, flags: string): ((value: string) => boolean) | null {
  const literals = requiredLiterals(source, flags);
  if (literals === null) return null;
  const lower = flags.includes('i');
  if (literals.length === 1) {
    const only = literals[0];
    return lower ? (v) => v.toLowerCase().includes(only) : (v) => v.includes(only);
  }
  return (v) => {
    const text = lower ? v.toLowerCase() : v;
    for (let i = 0; i < literals.length; i++) if (text.includes(literals[i])) return true;
    return false;
  };
}

class Scanner {
  pos = 0;

  constructor(private readonly src: string, private readonly ignoreCase: boolean) {}

  /** `a|b|c` up to a `)` or the end: every alternative must give literals. */
  alternation(depth: number): string[] | null {
    if (depth > MAX_DEPTH) throw new GiveUp();
    const alternatives: (string[] | null)[] = [this.sequence(depth)];
    while (this.src[this.pos] === '|') {
      this.pos++;
      alternatives.push(this.sequence(depth));
    }
    if (alternatives.some((a) => a === null)) return null;
    const union = new Set<string>();
    for (const a of alternatives) for (const l of a!) union.add(l);
    return [...union];
  }

  /** A run of atoms: the best of its literal runs and required groups (any one of them is required). */
  private sequence(depth: number): string[] | null {
    const src = this.src;
    let best: string[] | null = null;
    let run = '';
    const consider = (candidate: string[] | null): void => {
      if (candidate === null || candidate.length === 0 || candidate.some((l) => l.length === 0)) return;
      if (best === null || shortest(candidate) > shortest(best)) best = candidate;
    };
    const endRun = (): void => {
      if (run.length > 0) consider([run]);
      run = '';
    };
    while (this.pos < src.length && src[this.pos] !== '|' && src[this.pos] !== ')') {
      const c = src[this.pos];
      let literal: string | null = null;
      let group: string[] | null = null;
      if (c === '(') {
        this.pos++;
        let lookaround = false;
        if (src[this.pos] === '?') {
          const next = src[this.pos + 1];
          if (next === ':') this.pos += 2;
          else if (next === '=' || next === '!') {
            lookaround = true;
            this.pos += 2;
          } else if (next === '<' && (src[this.pos + 2] === '=' || src[this.pos + 2] === '!')) {
            lookaround = true;
            this.pos += 3;
          } else if (next === '<') {
            const close = src.indexOf('>', this.pos);
            if (close < 0) throw new GiveUp();
            this.pos = close + 1;
          } else {
            throw new GiveUp();
          }
        }
        const inner = this.alternation(depth + 1);
        if (src[this.pos] !== ')') throw new GiveUp();
        this.pos++;
        group = lookaround ? null : inner;
        endRun();
      } else if (c === '[') {
        this.skipClass();
        endRun();
      } else if (c === '\\') {
        const e = src[this.pos + 1];
        if (e === undefined) throw new GiveUp();
        if (PUNCTUATION_ESCAPES.has(e)) literal = e;
        else if (!CLASS_ESCAPES.has(e)) throw new GiveUp(); // \x, \u, \c, \k, \p, digits: not analysed
        this.pos += 2;
        if (literal === null) endRun();
      } else if (c === '.' || c === '^' || c === '$') {
        this.pos++;
        endRun();
      } else if (c === '*' || c === '+' || c === '?' || c === '{' || c === '}' || c === ']') {
        // A quantifier with nothing to repeat, or Annex B literal braces/brackets: not analysed.
        throw new GiveUp();
      } else {
        this.pos++;
        const code = c.charCodeAt(0);
        // Printable ASCII only (see the file comment for why non-ASCII text gives no literal under `i`).
        if (code >= 0x20 && code < 0x7f) literal = this.ignoreCase ? c.toLowerCase() : c;
        else endRun();
      }
      const min = this.quantifier();
      if (min === 0) {
        // Optional: contributes nothing, and what follows is not adjacent to what came before.
        endRun();
        continue;
      }
      if (literal !== null) {
        run += literal;
        if (min > 1 || min < 0) {
          // Repeated (+, {n,}): the character is there, but the next one is not adjacent to this run's start.
          endRun();
        }
      } else if (group !== null) {
        consider(group);
      }
    }
    endRun();
    return best;
  }

  /** Reads a quantifier after an atom: its minimum count, 1 when there is none, -1 for `+`/`{n,}` (n >= 1). */
  private quantifier(): number {
    const src = this.src;
    const c = src[this.pos];
    let min = 1;
    if (c === '*' || c === '?') {
      min = 0;
      this.pos++;
    } else if (c === '+') {
      min = -1;
      this.pos++;
    } else if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(src.slice(this.pos));
      if (!m) throw new GiveUp(); // Annex B literal brace
      const n = Number(m[1]);
      min = n === 0 ? 0 : m[2] !== undefined || n > 1 ? -1 : 1;
      this.pos += m[0].length;
    } else {
      return 1;
    }
    if (src[this.pos] === '?') this.pos++; // lazy
    return min;
  }

  /** Skips a character class `[...]` (escapes inside included). */
  private skipClass(): void {
    const src = this.src;
    let i = this.pos + 1;
    if (src[i] === '^') i++;
    // In JavaScript `[]` is an empty class and `[^]` any character: a `]` right away closes the class.
    for (; i < src.length; i++) {
      if (src[i] === '\\') i++;
      else if (src[i] === ']') {
        this.pos = i + 1;
        return;
      }
    }
    throw new GiveUp();
  }
}

function shortest(literals: readonly string[]): number {
  let min = Infinity;
  for (const l of literals) min = Math.min(min, l.length);
  return min;
}

// Differential testing of the linear regex engine against V8's RegExp: generated patterns (atoms chosen where
// the two engines differ) on generated values. Shared by the fast and the long suite.

import { compileRegex } from '../../lambda/sigma/regex-engine';

/** A small deterministic generator (tests stay reproducible). */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

// Atoms chosen where JavaScript and RE2 differ: case folding (ſ, K, ß, σ/ς, µ), `.` and line terminators,
// `\s` (U+00A0, U+2028), classes, braces that are literals, escapes, empty classes.
const ATOMS = [
  'a', 'b', 'A', 'K', 'k', 's', 'S', 'ſ', '\u212a', 'é', 'É', '.', '\\s', '\\S', '\\w', '\\W', '\\d', '\\D', '\\b',
  '[a-c]', '[^a]', '[A-Z]', '[\\s\\d]', '[^\\S]', '[é-ü]', '\\u00e9', '\\x41', '\\.', '\\-', '-', '\\n', '\\r',
  '\u2028', ' ', '\u00a0', '[]', '[^]', '\\/', '{', '}', ']', 'x{2}', '\\cJ', '\\0', 'ß', 'σ', 'ς', 'Σ', '[\\W]',
  '\\B', 'µ', '[a-]', '[\\w-]', '(?:)', '\\k', 'a{,2}',
];
const CHARS = [
  'a', 'b', 'A', 'K', 'k', 's', 'S', 'ſ', '\u212a', 'é', 'É', '\n', '\r', '\u2028', ' ', '\u00a0', '1', '_', '-', '.',
  '😀', '\ud800', 'x', 'ß', 'σ', 'ς', 'Σ', 'µ', 'μ', 'Μ', '{', '}', '/', '\u0000', '\t', '\ue000',
];

function generatePattern(next: () => number, depth = 0): string {
  const pick = <T>(list: T[]): T => list[Math.floor(next() * list.length)];
  const r = next();
  if (depth > 3 || r < 0.4) return pick(ATOMS);
  if (r < 0.55) return generatePattern(next, depth + 1) + generatePattern(next, depth + 1);
  if (r < 0.65) return `(${generatePattern(next, depth + 1)}|${generatePattern(next, depth + 1)})`;
  if (r < 0.72) return `(?:${generatePattern(next, depth + 1)})${pick(['*', '+', '?', '{1,3}', '*?', '{2}', '{2,}'])}`;
  if (r < 0.8) return generatePattern(next, depth + 1) + pick(['*', '+', '?', '+?']);
  if (r < 0.85) return `^${generatePattern(next, depth + 1)}`;
  if (r < 0.9) return `${generatePattern(next, depth + 1)}$`;
  return `(?<g${depth}>${generatePattern(next, depth + 1)})`;
}

/** Generated patterns × generated values through both engines; the mismatches found (none expected). */
export function differential(seed: number, patterns: number): { mismatches: string[]; linear: number; valid: number } {
  const next = random(seed);
  const pick = <T>(list: T[]): T => list[Math.floor(next() * list.length)];
  let linear = 0;
  let valid = 0;
  const mismatches: string[] = [];
  for (let k = 0; k < patterns; k++) {
    const source = generatePattern(next);
    const flags = pick(['', 'i', 's', 'is', 'm', 'im']);
    let native: RegExp;
    try {
      native = new RegExp(source, flags);
    } catch {
      continue; // not valid JavaScript: `check` refuses it before it gets here
    }
    valid++;
    const compiled = compileRegex(source, flags);
    if (compiled.engine === 'linear') linear++;
    for (let t = 0; t < 30; t++) {
      let value = '';
      const length = Math.floor(next() * 8);
      for (let j = 0; j < length; j++) value += pick(CHARS);
      if (native.test(value) !== compiled.test(value)) mismatches.push(`${JSON.stringify(source)}/${flags} on ${JSON.stringify(value)}`);
    }
  }
  return { mismatches, linear, valid };
}


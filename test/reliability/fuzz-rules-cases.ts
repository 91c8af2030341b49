// The mutated-rule-file fuzzing of fuzz-rules.test.ts (`npm test`: 80 mutations, `npm run test:long`: 1,000;
// test/helpers/scale.ts): the shipped rules and a fuzz rule file, edited at random
// positions with YAML and Sigma tokens, must load with located diagnostics, no throw, no hang, no silent loss.

import fc from 'fast-check';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatDiagnostic } from '../../lambda/sigma/diagnostics';
import { findRuleFiles, loadRulesFromText } from '../../lambda/sigma/loader';
import { FUZZ_RULES, ROOT } from './fuzz-arbitraries';

export const PLACEHOLDERS = { api_explorer_client_id: 'AbCdEf0123456789', global_client_id: 'GlObAlClIeNt0123', name: 'x', error: 'e', error_description: 'd' };
export const originals = [
  ...findRuleFiles([path.join(ROOT, 'rules')]).map((f) => ({ file: path.relative(ROOT, f), text: fs.readFileSync(f, 'utf8') })),
  { file: 'fuzz.yml', text: FUZZ_RULES },
];

const TOKENS = [
  ':', ': ', '- ', '{', '}', '[', ']', ',', '*', '&a ', '*a', '!!binary ', '!!js/function ', '!!python/object ', '|', '>', '"', "'", '\t', '\n', '\n---\n',
  '%YAML 1.2\n', '? ', '#', '\u0000', '\ufeff', '\u202e', '|re', '|re|i', '|base64offset|contains', '|cidr', '|gt', '|fieldref', '|exists', '|windash',
  '1 of sel*', 'all of them', 'not ', ' and (', ')', '((((', '{x}', '%name%', 'count() > 5', '1e400', '-0', '.nan', '~', 'null', 'true',
  '(a+)+$', '[', 'condition: ', 'detection:', 'correlation:', 'type: event_count', 'timespan: 0s', 'group-by: ', 'rules: ', '\\', '?', '😀',
];

/** One edit of the text at a position given as a fraction of its length (so edits stay valid as text changes). */
export const edit = fc.oneof(
  fc.tuple(fc.constant('delete' as const), fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 1, max: 40 })),
  fc.tuple(fc.constant('insert' as const), fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom(...TOKENS)),
  fc.tuple(fc.constant('duplicate-line' as const), fc.double({ min: 0, max: 1, noNaN: true }), fc.constant('')),
  fc.tuple(fc.constant('swap-lines' as const), fc.double({ min: 0, max: 1, noNaN: true }), fc.constant('')),
  fc.tuple(fc.constant('indent' as const), fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom('  ', '\t', ' ', '')),
  fc.tuple(fc.constant('huge' as const), fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom('x', '*', '(', '[', '- a\n')),
);
export type Edit = [string, number, string | number];

export function apply(text: string, [kind, where, arg]: Edit): string {
  const at = Math.floor(where * text.length);
  const lines = text.split('\n');
  const line = Math.min(lines.length - 1, Math.floor(where * lines.length));
  switch (kind) {
    case 'delete': return text.slice(0, at) + text.slice(at + (arg as number));
    case 'insert': return text.slice(0, at) + (arg as string) + text.slice(at);
    case 'duplicate-line': lines.splice(line, 0, lines[line]); return lines.join('\n');
    case 'swap-lines': if (line + 1 < lines.length) [lines[line], lines[line + 1]] = [lines[line + 1], lines[line]]; return lines.join('\n');
    case 'indent': lines[line] = (arg as string) + lines[line].trimStart(); return lines.join('\n');
    default: return text.slice(0, at) + (arg as string).repeat(20_000) + text.slice(at);
  }
}

export function checkLoad(file: string, text: string, originalRules: number): void {
  const start = Date.now();
  const result = loadRulesFromText([{ file, text }], { placeholders: PLACEHOLDERS, root: ROOT });
  const elapsed = Date.now() - start;
  if (elapsed > 3_000) throw new Error(`loading took ${elapsed} ms`);
  for (const d of result.diagnostics) {
    if (d.loc.file !== file || !(d.loc.line >= 1) || !(d.loc.col >= 1) || d.message.trim() === '') {
      throw new Error(`badly located or empty diagnostic: ${JSON.stringify(d).slice(0, 300)}`);
    }
    formatDiagnostic(d);
  }
  // No silent loss: fewer rules than before means an error or a skip says why.
  const explained = result.diagnostics.some((d) => d.severity === 'error') || result.skipped.length > 0;
  if (result.model.rules.length < originalRules && !explained) {
    throw new Error(`${originalRules - result.model.rules.length} rule(s) vanished without an error`);
  }
}

export const baseline = new Map(originals.map((o) => [o.file, loadRulesFromText([o], { placeholders: PLACEHOLDERS, root: ROOT }).model.rules.length]));

/** `runs` mutated rule files (same seed in both suites): located diagnostics, no throw, no hang, no silent loss. */
export function mutatedRuleFiles(runs: number): void {
  fc.assert(
    fc.property(fc.constantFrom(...originals), fc.array(edit, { minLength: 1, maxLength: 5 }), (original, edits) => {
      const text = (edits as Edit[]).reduce(apply, original.text);
      checkLoad(original.file, text, baseline.get(original.file) ?? 0);
    }),
    { numRuns: runs, seed: 11, endOnFailure: true },
  );
}

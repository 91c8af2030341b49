// Mutated rule files through the loader and `check`: always a result with located diagnostics, never a throw,
// never a hang, and never a rule that silently disappears (a rule lost to a mutation comes with an error or a
// skip note).

import fc from 'fast-check';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadRulesFromText } from '../../lambda/sigma/loader';
import { ROOT } from './fuzz-arbitraries';
import { apply, checkLoad, edit, mutatedRuleFiles, originals, PLACEHOLDERS, type Edit } from './fuzz-rules-cases';
import { run } from '../cli/helpers';
import { testScale } from '../helpers/scale';

test('every original loads cleanly (the baseline the mutations start from)', () => {
  for (const o of originals) {
    const result = loadRulesFromText([o], { placeholders: PLACEHOLDERS, root: ROOT });
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(result.model.rules.length).toBeGreaterThan(0);
  }
});

// 80 in `npm test`, 1,000 in `npm run test:long` (test/helpers/scale.ts).
const MUTATIONS = testScale(80, 1_000);

test(`${MUTATIONS.toLocaleString('en-US')} mutated rule files: located diagnostics, no throw, no hang, no silent loss`, () => {
  mutatedRuleFiles(MUTATIONS);
}, testScale(60_000, 600_000));

test('hostile YAML: alias bombs, deep nesting, huge conditions, many documents', () => {
  const laughs = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i < 12; i++) laughs.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`);
  const bombs: [string, string][] = [
    ['billion laughs in detection', `title: t\nlogsource: {product: auth0}\n${laughs.join('\n')}\ndetection:\n  sel:\n    data.type: *l\n  condition: sel\n`],
    ['billion laughs as the values', `title: t\nlogsource: {product: auth0}\nx: &x [${Array(50).fill('"a"').join(',')}]\ndetection:\n  sel:\n    data.type: [*x, *x, *x, *x, *x, *x, *x, *x]\n  condition: sel\n`],
    ['deep flow nesting', `title: t\ndetection:\n  sel:\n    data.type: ${'['.repeat(5_000)}${']'.repeat(5_000)}\n  condition: sel\n`],
    ['deep block nesting', `title: t\ndetection:\n  sel:\n${Array.from({ length: 800 }, (_, i) => `${'  '.repeat(i + 2)}k${i}:`).join('\n')} x\n  condition: sel\n`],
    ['nested parentheses (500)', `title: t\nlogsource: {product: auth0}\ndetection:\n  sel:\n    data.type: s\n  condition: ${'('.repeat(500)}sel${')'.repeat(500)}\n`],
    ['long condition', `title: t\nlogsource: {product: auth0}\ndetection:\n  sel:\n    data.type: s\n  condition: ${Array(20_000).fill('sel').join(' and not ')}\n`],
    ['many identifiers', `title: t\nlogsource: {product: auth0}\ndetection:\n${Array.from({ length: 3_000 }, (_, i) => `  s${i}:\n    data.type: t${i}`).join('\n')}\n  condition: 1 of s*\n`],
    ['many documents', Array.from({ length: 1_500 }, (_, i) => `title: r${i}\nlogsource: {product: auth0}\ndetection:\n  sel:\n    data.type: t${i % 7}\n  condition: sel\n`).join('---\n')],
    ['catastrophic regex', `title: t\nlogsource: {product: auth0}\ndetection:\n  sel:\n    data.user_agent|re: '(a+)+$'\n  condition: sel\n`],
    ['binary junk', Buffer.from(Array.from({ length: 20_000 }, (_, i) => (i * 7919) % 256)).toString('latin1')],
    ['tags and js types', `title: !!js/function 'function(){}'\nid: !!binary aGVsbG8=\ndetection: !!set {a, b}\n`],
  ];
  for (const [name, text] of bombs) {
    const start = Date.now();
    let threw: unknown;
    try {
      checkLoad(`${name}.yml`, text, 0);
    } catch (err) {
      threw = err;
    }
    expect([name, threw]).toEqual([name, undefined]);
    expect([name, Date.now() - start < 10_000]).toEqual([name, true]);
  }
});

// Recursive descent would overflow the stack here; the parser's nesting limit turns it into a located error.
test('a condition nested 20,000 parentheses deep is a located error, not a crash', () => {
  const text = `title: t\nlogsource: {product: auth0}\ndetection:\n  sel:\n    data.type: s\n  condition: ${'('.repeat(20_000)}sel${')'.repeat(20_000)}\n`;
  checkLoad('deep.yml', text, 0);
  const result = loadRulesFromText([{ file: 'deep.yml', text }], { root: ROOT });
  expect(result.diagnostics.filter((d) => d.severity === 'error').map((d) => [d.loc.line, d.message])).toEqual([
    [6, expect.stringContaining('more than 100 levels deep')],
  ]);
});

test('`check` over a folder of mutated files: exit 0 or 1 with a verdict, never a crash', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fuzz-check-'));
  try {
    const samples = fc.sample(fc.tuple(fc.constantFrom(...originals), fc.array(edit, { minLength: 1, maxLength: 4 })), { numRuns: 40, seed: 5 });
    samples.forEach(([original, edits], i) => fs.writeFileSync(path.join(dir, `m${i}.yml`), (edits as Edit[]).reduce(apply, original.text)));
    const result = await run(['check', '--rules', dir, ...Object.entries(PLACEHOLDERS).flatMap(([k, v]) => ['--set', `${k}=${v}`])]);
    expect([0, 1]).toContain(result.code);
    expect(result.stdout).toMatch(/check (passed|failed)/);
    expect(result.stdout).toContain('40 rule files');
    // Every diagnostic line names its file, line and column.
    for (const line of result.stdout.split('\n').filter((l) => /: (error|warning): /.test(l))) expect(line).toMatch(/^\S*m\d+\.yml:\d+:\d+: /);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

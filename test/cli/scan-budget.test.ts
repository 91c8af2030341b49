// `scan` and the per-event regex budget / rule isolation: the budget rule's detection is printed like any
// other, failures are listed per rule in the summary, and `--regex-budget` is validated as a usage error.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BUDGET_RULE_ID } from '../../lambda/sigma/budget';
import { run } from './helpers';

const RULES = `title: Plain type rule
id: 00000000-0000-4000-8000-0000000000b1
status: test
level: medium
logsource: { product: auth0 }
detection:
  sel: { data.type: seccft }
  condition: sel
---
title: Costly regex rule
id: 00000000-0000-4000-8000-0000000000b2
status: test
level: medium
logsource: { product: auth0 }
detection:
  sel:
    data.user_agent|re: '(?:\\w+\\s+){5,30}zz'
  condition: sel
`;

let dir: string;
let rules: string;
let events: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'auth0-sigma-budget-'));
  rules = path.join(dir, 'rules.yml');
  fs.writeFileSync(rules, RULES);
  events = path.join(dir, 'events.ndjson');
  const costly = { log_id: 'costly-1', data: { type: 'seccft', user_agent: 'word '.repeat(800) } };
  const normal = { log_id: 'normal-1', data: { type: 'seccft', user_agent: 'curl/8' } };
  fs.writeFileSync(events, `${JSON.stringify(costly)}\n${JSON.stringify(normal)}\n`);
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test('an event over --regex-budget yields the built-in detection and a per-rule line in the summary', async () => {
  const r = await run(['scan', '--format', 'json', '--rules', rules, '--regex-budget', '100000', events]);
  expect(r.code).toBe(0);
  const detections = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  expect(detections.map((d) => `${d.log_id} ${d.rule.id}`)).toEqual([
    'costly-1 00000000-0000-4000-8000-0000000000b1',
    `costly-1 ${BUDGET_RULE_ID}`,
    'normal-1 00000000-0000-4000-8000-0000000000b1',
  ]);
  expect(detections[1]).toMatchObject({
    rule: { title: 'Evaluation budget exceeded', level: 'high' },
    skipped_rules: [{ id: '00000000-0000-4000-8000-0000000000b2', title: 'Costly regex rule' }],
  });
  expect(r.stderr).toContain('rule evaluation failures (each contained to its rule and event; the other rules still ran); 1 event exceeded the regex budget:');
  expect(r.stderr).toMatch(/ {6}1 {2}Costly regex rule \(00000000-0000-4000-8000-0000000000b2\): evaluation budget exceeded/);
  expect(r.stderr).toMatch(/1 {2}\[high\] Evaluation budget exceeded/);
});

test('the text format names the skipped rules on the budget detection', async () => {
  const r = await run(['scan', '--rules', rules, '--regex-budget', '100000', events]);
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/^\[high\] Evaluation budget exceeded \| .*log_id=costly-1 \| skipped rules: Costly regex rule \(00000000-0000-4000-8000-0000000000b2\)$/m);
});

test('with the default budget the same input evaluates every rule', async () => {
  const r = await run(['scan', '--format', 'json', '--rules', rules, events]);
  expect(r.code).toBe(0);
  expect(r.stdout).not.toContain(BUDGET_RULE_ID);
  expect(r.stderr).not.toContain('rule evaluation failures');
});

test.each(['-1', '0', 'abc', '1.5', '', '1e6'])('--regex-budget %j is a usage error (exit 2), nothing scanned', async (value) => {
  const r = await run(['scan', '--rules', rules, `--regex-budget=${value}`, events]);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain('--regex-budget must be a positive whole number of regex steps');
  expect(r.stdout).toBe('');
});

test('--regex-budget accepts digit separators', async () => {
  const r = await run(['scan', '--rules', rules, '--regex-budget', '20_000_000', events]);
  expect(r.code).toBe(0);
});

test('check warns about a regex left on the backtracking engine, naming the rule and its cost bound', async () => {
  const file = path.join(dir, 'lookahead.yml');
  fs.writeFileSync(file, `title: Lookahead rule
id: 00000000-0000-4000-8000-0000000000b3
status: test
level: low
logsource: { product: auth0 }
detection:
  sel:
    data.user_agent|re: '(?!curl)(\\w+)\\s+\\1'
  linear:
    data.user_agent|re: '(a|aa)*c'
  condition: sel or linear
`);
  const r = await run(['check', '--rules', file]);
  const output = r.stdout + r.stderr;
  expect(output).toMatch(/warning: regex .* needs the backtracking engine \(lookahead or lookbehind\): .*n\^2 steps .* 4096 characters \(rule 'Lookahead rule'/);
  // The exponential-looking pattern runs on the linear engine: no warning for it.
  expect(output).not.toContain('(a|aa)*c');
});

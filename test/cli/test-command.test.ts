import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseFixtureText } from '../../lambda/sigma/fixtures';
import { FIXTURES, REPO, lines, run } from './helpers';

describe('auth0-sigma test', () => {
  test('passing fixtures: one line per case, a warning for a rule without fixtures, exit 0', async () => {
    const r = await run(['test', '--rules', `${FIXTURES}/rules`]);
    expect(r.code).toBe(0);
    expect(lines(r.stdout)).toEqual([
      'test/fixtures/cli/rules/brute_force_protection_disabled.test.yml',
      '  ✓ Brute-force protection disabled through the Management API › match #1',
      '  ✓ Brute-force protection disabled through the Management API › no_match #1',
      'test/fixtures/cli/rules/failed_login.test.yml',
      '  ✓ Failed login with wrong password or unknown user › match #1',
      '  ✓ Failed login with wrong password or unknown user › match #2',
      '  ✓ Failed login with wrong password or unknown user › no_match #1',
      "warning: test/fixtures/cli/rules/allowlist_wrong_path.yml:1: rule 'Attack protection allowlist changed (reads a path Auth0 does not write)' has no fixtures " +
        '(add match/no_match events to test/fixtures/cli/rules/allowlist_wrong_path.test.yml)',
      '5 passed, 0 failed',
    ]);
  });

  test('failing cases say why (with the explain tree) and where; fixture file errors are located; exit 1', async () => {
    const r = await run(['test', '--rules', `${FIXTURES}/rules-failing`]);
    expect(r.code).toBe(1);
    const out = lines(r.stdout);
    expect(out[out.length - 1]).toBe('1 passed, 3 failed');
    expect(out).toContain('  ✓ MFA factor disabled › match #1');
    const m2 = out.indexOf('  ✗ MFA factor disabled › match #2');
    expect(m2).toBeGreaterThan(0);
    expect(out[m2 + 1]).toBe('      expected the rule to match this event; it did not');
    expect(out[m2 + 2]).toBe('      at test/fixtures/cli/rules-failing/mfa_disabled.test.yml:6:9');
    // The explain tree shows the comparison that failed and the value the event had.
    const tree = out.slice(m2 + 3, out.indexOf('  ✗ MFA factor disabled › no_match #1')).join('\n');
    expect(tree).toMatch(/data\.details\.request\.body\.enabled.*"false".*true/);
    const nm = out.indexOf('  ✗ MFA factor disabled › no_match #1');
    expect(out[nm + 1]).toBe('      expected the rule not to match this event; it did');
    expect(out[nm + 2]).toBe('      at test/fixtures/cli/rules-failing/mfa_disabled.test.yml:9:9');
    expect(out).toContain(
      "  ✗ test/fixtures/cli/rules-failing/owner_added.test.yml:5:5: error: unknown key 'no-match' in a test entry — did you mean `no_match`?",
    );
  });

  test('correlation fixtures: a sequence with its expected detections', async () => {
    const r = await run(['test', '--rules', `${FIXTURES}/rules-correlation`]);
    expect(r.code).toBe(0);
    expect(lines(r.stdout)).toEqual([
      'test/fixtures/cli/rules-correlation/failed_logins_burst.test.yml',
      '  ✓ Failed login (counted by the burst correlation) › match #1',
      '  ✓ Failed login (counted by the burst correlation) › no_match #1',
      '  ✓ Burst of failed logins from one IP › sequence #1',
      '3 passed, 0 failed',
    ]);
  });

  describe('with fixture files written for the test', () => {
    let dir: string;
    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'auth0-sigma-test-'));
      for (const f of ['failed_logins_burst.yml']) fs.copyFileSync(path.join(REPO, FIXTURES, 'rules-correlation', f), path.join(dir, f));
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    test('a wrong expected correlation value fails with expected and actual detections', async () => {
      const text = fs.readFileSync(path.join(REPO, FIXTURES, 'rules-correlation', 'failed_logins_burst.test.yml'), 'utf8');
      fs.writeFileSync(path.join(dir, 'failed_logins_burst.test.yml'), text.replace('value: 3', 'value: 4'));
      const r = await run(['test', '--rules', dir]);
      expect(r.code).toBe(1);
      expect(r.stdout).toContain('  ✗ Burst of failed logins from one IP › sequence #1');
      expect(r.stdout).toContain('      no correlation detection matches the expected group {"data.ip":"203.0.113.9"}, value 4');
      expect(r.stdout).toMatch(/got \(1\):\n\s+group \{"data\.ip":"203\.0\.113\.9"\}, value 3/);
      expect(lines(r.stdout).pop()).toBe('2 passed, 1 failed');
    });

    test('cases are numbered per rule across test entries; placeholders come from the fixture file', async () => {
      fs.writeFileSync(
        path.join(dir, 'failed_logins_burst.test.yml'),
        [
          'tests:',
          '  - rule: failed_login_for_burst',
          '    match: [{ data: { type: fp } }]',
          '  - rule: 8d9e0f1a-2b3c-4d4e-f5a6-7b8c9d0e1f11',
          '    match: [{ data: { type: fp } }]',
          '    no_match: [{ data: { type: fu } }]',
        ].join('\n'),
      );
      const r = await run(['test', '--rules', dir]);
      expect(lines(r.stdout).filter((l) => l.startsWith('  '))).toEqual([
        '  ✓ Failed login (counted by the burst correlation) › match #1',
        '  ✓ Failed login (counted by the burst correlation) › match #2',
        '  ✓ Failed login (counted by the burst correlation) › no_match #1',
      ]);
      // The correlation has no sequence: it is reported as a rule without fixtures.
      expect(r.stdout).toContain("rule 'Burst of failed logins from one IP' has no fixtures");
      expect(r.code).toBe(0);
    });

    test('a rule whose placeholder the fixture file does not set fails, saying how to fix it', async () => {
      fs.writeFileSync(path.join(dir, 'admin.yml'), fs.readFileSync(path.join(REPO, FIXTURES, 'rules-placeholder', 'admin_token.yml')));
      fs.writeFileSync(path.join(dir, 'admin.test.yml'), 'tests:\n  - match:\n      - { data: { type: seccft, client_id: A1 } }\n');
      const unset = await run(['test', '--rules', path.join(dir, 'admin.yml')]);
      expect(unset.code).toBe(1);
      expect(unset.stdout).toMatch(/admin\.yml:9:\d+: error: placeholder '\{admin_client_id\}' has no value/);
      fs.writeFileSync(path.join(dir, 'admin.test.yml'), 'placeholders:\n  admin_client_id: [A1, A2]\ntests:\n  - match:\n      - { data: { type: seccft, client_id: A2 } }\n');
      const set = await run(['test', '--rules', path.join(dir, 'admin.yml')]);
      expect(lines(set.stdout).pop()).toBe('1 passed, 0 failed');
      expect(set.code).toBe(0);
    });

    test('an orphan fixture file and a test naming an unknown rule are failures', async () => {
      fs.writeFileSync(path.join(dir, 'failed_logins_burst.test.yml'), 'tests:\n  - rule: no-such-rule\n    match:\n      - { data: { type: fp } }\n');
      fs.writeFileSync(path.join(dir, 'renamed.test.yml'), 'tests:\n  - match:\n      - { data: { type: fp } }\n');
      const r = await run(['test', '--rules', dir]);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/failed_logins_burst\.test\.yml:2:5: error: no rule 'no-such-rule' in .*failed_logins_burst\.yml — rules in that file: /);
      expect(r.stdout).toMatch(/renamed\.test\.yml:1:1: error: no rule file next to this fixture file \(expected renamed\.yml\)/);
      expect(lines(r.stdout).pop()).toBe('0 passed, 2 failed');
    });
  });
});

describe('fixture file validation', () => {
  test('every problem is located: unknown keys, events that are not mappings, sequence without expect', () => {
    const text = [
      'placeholders:',
      '  ok: value',
      '  bad: { nested: map }',
      'tests:',
      '  - rule: x',
      '    match:',
      '      - just a string',
      '    nomatch: []',
      '  - sequence:',
      '      - { data: { type: fp } }',
      'extra: 1',
    ].join('\n');
    const f = parseFixtureText(text, 'f.test.yml');
    expect(f.diagnostics.map((d) => `${d.loc.line}:${d.loc.col} ${d.code}`)).toEqual([
      '11:1 fixture-unknown-key',
      '3:8 fixture-placeholders',
      '8:5 fixture-unknown-key',
      '7:9 fixture-event',
      '9:5 fixture-expect',
    ]);
    expect(f.diagnostics[2].hint).toBe('did you mean `no_match`?');
    expect(f.placeholders).toEqual({ ok: 'value' });
  });

  test('a valid file gives its tests with each event located', () => {
    const f = parseFixtureText('tests:\n  - match:\n      - { data: { type: s } }\n    no_match:\n      - data:\n          type: f\n', 'g.test.yml');
    expect(f.diagnostics).toEqual([]);
    expect(f.tests).toHaveLength(1);
    expect(f.tests[0].match.map((e) => e.loc)).toEqual([{ file: 'g.test.yml', line: 3, col: 9 }]);
    expect(f.tests[0].noMatch.map((e) => [e.loc.line, e.raw])).toEqual([[5, { data: { type: 'f' } }]]);
  });

  test('YAML syntax errors are located', () => {
    const f = parseFixtureText('tests:\n  - match: [\n', 'h.test.yml');
    expect(f.diagnostics).toHaveLength(1);
    expect(f.diagnostics[0]).toMatchObject({ code: 'yaml-syntax', loc: { file: 'h.test.yml' } });
    expect(f.diagnostics[0].loc.line).toBeGreaterThan(1);
  });
});

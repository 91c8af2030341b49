// Running a published catalog next to the project's rules, through the real CLI: several rule sources, the
// detection config file (--config), overrides and Sigma filters in check, scan, explain and test, on catalog-shaped
// fixtures (test/fixtures/catalog). Auth0's catalog as published is published-catalog.long.test.ts (test:long).

import * as path from 'node:path';
import { REPO, lines, run, tempConfig } from './helpers';

const CATALOG = 'test/fixtures/catalog';
const CONFIG = `${CATALOG}/auth0-sigma.yml`;
const EVENTS = `${CATALOG}/logs/catalog-events.ndjson`;
const SEED = '--set=api_explorer_client_id=ApiExpl0rerClient0123456789abcdeF';
const M2M_ID = 'c0a1b2c3-0000-4000-8000-000000000001';

describe('several rule sources and the detection config', () => {
  test('check --rules rules --rules <catalog>: the seed rule arriving twice loads once, with a note', async () => {
    const r = await run(['check', '--rules', 'rules', '--rules', `${CATALOG}/upstream`, SEED, '--set', 'trusted_client_id=T1']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^test\/fixtures\/catalog\/upstream\/api_explorer_token_copy\.yml:3:1: note: rule 90a9a856-716d-11f0-bb81-723487b9527c is also in rules\/api_explorer_token_copy\.yml:1 with the same detection logic: loaded once, from rules\/api_explorer_token_copy\.yml \(the first rule source\); fields that differ: /m);
    expect(r.stdout).not.toContain('also used by');
    expect(r.stdout).toMatch(/^check passed: 0 errors/m);
  });

  test('the same id with other logic fails check, naming both files', async () => {
    const r = await run(['check', '--rules', 'rules', '--rules', `${CATALOG}/upstream-conflict`, SEED]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^test\/fixtures\/catalog\/upstream-conflict\/api_explorer_token_copy\.yml:2:1: error: the id 90a9a856-716d-11f0-bb81-723487b9527c is also used by '.*' \(rules\/api_explorer_token_copy\.yml:1\) with different detection logic \(detection, level differ\)/m);
  });

  test('check --config: rule sources from the file, overrides, filters and every placeholder with its rules', async () => {
    const r = await run(['check', '--config', CONFIG]);
    expect(r.code).toBe(0);
    const out = lines(r.stdout);
    expect(out).toContain('test/fixtures/catalog/upstream/m2m_grant_updated.yml:2:1: note: level high (was medium) set by the override at test/fixtures/catalog/auth0-sigma.yml:10 (rule \'Management API scopes granted to an application (fixture)\')');
    expect(out).toContain("  skipped test/fixtures/catalog/upstream/signup_from_test_network.yml:1 'Signup from the documentation network (fixture)': disabled by the override at test/fixtures/catalog/auth0-sigma.yml:12");
    expect(out).toContain('filters applied to 2 rules:');
    expect(out).toContain(`  'Management API scopes granted to an application (fixture)' (${M2M_ID}): 'The deploy pipeline updates client grants' (test/fixtures/catalog/auth0-sigma.yml:15)`);
    expect(out).toContain('placeholders the rules need (0 without a value):');
    expect(out).toContain("  deploy_client_id        set      test/fixtures/catalog/auth0-sigma.yml:15 'The deploy pipeline updates client grants'");
    expect(out[out.length - 1]).toBe('check passed: 0 errors, 0 warnings');
    expect(r.stdout).not.toContain('used by no loaded rule');

    const misspelt = await run(['check', '--config', CONFIG, '--set', 'trusted_clientid=T2']);
    expect(lines(misspelt.stdout)).toContain('placeholders set but used by no loaded rule (misspelt?): trusted_clientid');

    // --set overrides a config value; a placeholder without a value is listed as such and fails check.
    const missing = tempConfig(`rules: [${path.join(REPO, CATALOG, 'upstream')}]\n`);
    try {
      const m = await run(['check', '--config', missing.file, SEED]);
      expect(m.code).toBe(1);
      expect(m.stdout).toMatch(/^ {2}trusted_client_id +NOT SET +test\/fixtures\/catalog\/upstream\/m2m_grant_updated\.yml:2 'Management API scopes granted/m);
      expect(m.stdout).toMatch(/^placeholders the rules need \(1 without a value\):$/m);
    } finally {
      missing.done();
    }
  });

  test('a broken config file is a usage error listing every located problem', async () => {
    const bad = tempConfig('rules: [./nowhere]\noverides:\n  x: {level: high}\nplaceholders:\n  a: 1\n');
    try {
      const r = await run(['check', '--config', bad.file]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/auth0-sigma\.yml:1:9: error: rule source '\.\/nowhere' does not exist/);
      expect(r.stderr).toMatch(/auth0-sigma\.yml:2:1: error: unknown key 'overides' — did you mean 'overrides'\?/);
      expect(r.stderr).toMatch(/auth0-sigma\.yml:5:6: warning: placeholder 'a': YAML read 1 as a number/);
      expect(r.stderr).toContain('auth0-sigma: the --config file has 2 error(s)');
    } finally {
      bad.done();
    }
  });

  test('a filter naming no loaded rule is a warning, an error with --strict', async () => {
    const cfg = tempConfig([
      `rules: [${path.join(REPO, CATALOG, 'upstream')}]`,
      'placeholders: {trusted_client_id: T1, api_explorer_client_id: A1}',
      'filters:',
      '  - title: Typo in the rule id',
      '    filter:',
      '      rules: [c0a1b2c3-0000-4000-8000-00000000000x]',
      '      s: {data.ip: 192.0.2.1}',
      '      condition: not s',
    ].join('\n'));
    try {
      const r = await run(['check', '--config', cfg.file]);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/auth0-sigma\.yml:6:15: warning: filter 'Typo in the rule id': no rule has the id or name 'c0a1b2c3-0000-4000-8000-00000000000x', so it filters nothing/);
      const strict = await run(['check', '--strict', '--config', cfg.file]);
      expect(strict.code).toBe(1);
      expect(strict.stdout).toMatch(/auth0-sigma\.yml:6:15: error: filter 'Typo in the rule id'/);
    } finally {
      cfg.done();
    }
  });

  test('scan --config: overrides and filters decide what is detected and at which level', async () => {
    const r = await run(['scan', '--format', 'json', '--config', CONFIG, EVENTS]);
    expect(r.code).toBe(0);
    const detections = lines(r.stdout).map((l) => JSON.parse(l) as { rule: { id: string; level: string }; log_id?: string; correlation?: { group: Record<string, string>; value: number } });
    const summary = detections.map((d) => [d.rule.id, d.rule.level, d.log_id ?? JSON.stringify(d.correlation?.group), d.correlation?.value ?? null]);
    expect(summary).toEqual([
      // Not the deploy pipeline's update (config filter), not the trusted client's (the rule's own filter).
      [M2M_ID, 'high', '900202612010000000000000', null],
      ['90a9a856-716d-11f0-bb81-723487b9527c', 'medium', '900202612010000000000010', null],
      // The office IP's three failures are filtered out of the count (filter file in a rule source).
      ['c0a1b2c3-0000-4000-8000-000000000003', 'high', '{"data.ip":"203.0.113.5"}', 3],
    ]);
    expect(r.stderr).toContain("note: rule 'Signup from the documentation network (fixture)' (test/fixtures/catalog/upstream/signup_from_test_network.yml:1) skipped: disabled by the override at test/fixtures/catalog/auth0-sigma.yml:12");
  });

  test('explain names the filter that suppressed a match', async () => {
    const suppressed = await run(['explain', '--config', CONFIG, '--rule', M2M_ID, '--index', '1', EVENTS]);
    expect(suppressed.code).toBe(1);
    expect(suppressed.stdout).toContain('condition: (selection and not filter_trusted) and (not filter:the_deploy_pipeline_updates_client_grant:deploy_pipeline)');
    expect(lines(suppressed.stdout).pop()).toBe("result: NO MATCH (suppressed by filter 'The deploy pipeline updates client grants' (test/fixtures/catalog/auth0-sigma.yml:15))");

    const plain = await run(['explain', '--config', CONFIG, '--rule', M2M_ID, '--index', '2', EVENTS]);
    expect(lines(plain.stdout).pop()).toBe('result: NO MATCH');
    const match = await run(['explain', '--config', CONFIG, '--rule', M2M_ID, '--index', '0', EVENTS]);
    expect(lines(match.stdout).pop()).toBe('result: MATCH');
  });

  test('test: a filter file\'s fixtures run the rules it filters, with --config or with the folders', async () => {
    for (const args of [['test', '--config', CONFIG], ['test', '--rules', `${CATALOG}/upstream`, '--rules', `${CATALOG}/filters`]]) {
      const r = await run(args);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('  ✓ Failed login (fixture base rule) › no_match #1');
      expect(r.stdout).toContain('  ✓ Burst of failed logins from one IP (fixture) › sequence #1');
      expect(r.stdout).toMatch(/^3 passed, 0 failed$/m);
    }
  });
});


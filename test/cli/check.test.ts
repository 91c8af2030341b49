import { FIXTURES, lines, run } from './helpers';

const RULES = `${FIXTURES}/rules`;
const BAD = `${FIXTURES}/rules-bad`;
const PLACEHOLDER = `${FIXTURES}/rules-placeholder`;

describe('auth0-sigma check', () => {
  test('valid rules: exit 0, the lint warning located, and a summary', async () => {
    const r = await run(['check', '--rules', RULES]);
    expect(r.code).toBe(0);
    const out = lines(r.stdout);
    expect(out[0]).toMatch(/^test\/fixtures\/cli\/rules\/allowlist_wrong_path\.yml:9:9: warning: .*data\.request\.body\.allowlist/);
    expect(out[0]).toContain('did you mean data.details.request.body.allowlist?');
    expect(out.slice(1)).toEqual([
      '3 rule files: 3 rules enabled (3 detection, 0 correlation), 0 skipped, 0 with errors',
      'check passed: 0 errors, 1 warning',
    ]);
  });

  test('--strict turns warnings into errors: same text, error severity, exit 1', async () => {
    const r = await run(['check', '--strict', '--rules', RULES]);
    expect(r.code).toBe(1);
    const out = lines(r.stdout);
    expect(out[0]).toMatch(/^test\/fixtures\/cli\/rules\/allowlist_wrong_path\.yml:9:9: error: /);
    expect(out[out.length - 1]).toBe('check failed: 1 error (--strict: warnings count as errors), 0 warnings');
  });

  test('broken rules: every error with file, line, column, rule, identifier, field, modifier and a hint; skipped rules listed', async () => {
    const r = await run(['check', '--rules', BAD]);
    expect(r.code).toBe(1);
    const out = lines(r.stdout);
    expect(out).toHaveLength(5);
    expect(out[0]).toMatch(
      /^test\/fixtures\/cli\/rules-bad\/bad\.yml:8:9: error: unknown modifier 'startwith' \(rule 'Broken rule', identifier 'selection', field 'data\.type', modifier 'startwith'\) — .*startswith/,
    );
    expect(out[1]).toMatch(/^test\/fixtures\/cli\/rules-bad\/bad\.yml:9:\d+: error: .*'filter'.*\(rule 'Broken rule'\) — /);
    expect(out.slice(2)).toEqual([
      '3 rule files: 1 rule enabled (1 detection, 0 correlation), 1 skipped, 1 with errors',
      "  skipped test/fixtures/cli/rules-bad/windows.yml:1 'A Windows rule': logsource product 'windows' is not auth0",
      'check failed: 2 errors, 0 warnings',
    ]);
    expect(r.stderr).toBe('');
  });

  test('an unresolved placeholder fails check; --set or --config resolves it', async () => {
    const missing = await run(['check', '--rules', PLACEHOLDER]);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toMatch(
      /^test\/fixtures\/cli\/rules-placeholder\/admin_token\.yml:9:\d+: error: placeholder '\{admin_client_id\}' has no value .*--set admin_client_id=VALUE/m,
    );

    const set = await run(['check', '--rules', PLACEHOLDER, '--set', 'admin_client_id=AdminClient0000000000000000000001']);
    expect(set.code).toBe(0);
    expect(lines(set.stdout)).toEqual([
      '2 rule files: 2 rules enabled (2 detection, 0 correlation), 0 skipped, 0 with errors',
      'placeholders the rules need (0 without a value):',
      "  admin_client_id  set      test/fixtures/cli/rules-placeholder/admin_token.yml:1 'Management API token issued to the admin client'",
      'check passed: 0 errors, 0 warnings',
    ]);

    const config = await run(['check', '--rules', PLACEHOLDER, '--config', `${FIXTURES}/placeholders.yml`]);
    expect(config.code).toBe(0);
  });

  test('usage errors exit 2 with a message naming the problem', async () => {
    const noPath = await run(['check', '--rules', `${FIXTURES}/no-such-folder`]);
    expect(noPath.code).toBe(2);
    expect(noPath.stderr).toBe("auth0-sigma: rules path 'test/fixtures/cli/no-such-folder' does not exist\n");

    const badSet = await run(['check', '--rules', RULES, '--set', 'novalue']);
    expect(badSet.code).toBe(2);
    expect(badSet.stderr).toContain("--set 'novalue': expected NAME=VALUE");

    const badConfig = await run(['check', '--rules', RULES, '--config', `${FIXTURES}/missing.yml`]);
    expect(badConfig.code).toBe(2);
    expect(badConfig.stderr).toContain("cannot read --config 'test/fixtures/cli/missing.yml'");

    const unknown = await run(['check', '--frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown option '--frobnicate'");

    const noCommand = await run([]);
    expect(noCommand.code).toBe(2);
  });

  test('--help and --version exit 0 on stdout', async () => {
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Exit codes:');
    expect(help.stdout).toMatch(/check \[options\]/);
    const version = await run(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });
});

describe('--regex-value-cap', () => {
  const fs = require('node:fs') as typeof import('node:fs');
  const os = require('node:os') as typeof import('node:os');
  const path = require('node:path') as typeof import('node:path');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'regex-cap-'));
  const rule = path.join(dir, 'late_marker.yml');
  const logs = path.join(dir, 'logs.ndjson');
  fs.writeFileSync(rule, 'title: Marker late in the user agent\nid: 0d6c9f8e-2c57-4f0e-9a43-3f4c8f0f6f11\nlogsource: {product: auth0}\ndetection:\n  sel:\n    data.user_agent|re: marker\n  condition: sel\nlevel: low\n');
  // The marker sits at UTF-16 offset 100: past a cap of 64, within the default 4096.
  fs.writeFileSync(logs, JSON.stringify({ log_id: 'l1', data: { type: 's', date: '2026-11-20T08:00:00.000Z', user_agent: 'x'.repeat(100) + 'marker' } }) + '\n');
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('scan runs regexes on at most N characters of a value', async () => {
    const full = await run(['scan', '--format', 'json', '--rules', dir, logs]);
    expect(full.stdout.trim().split('\n')).toHaveLength(1);
    const capped = await run(['scan', '--format', 'json', '--rules', dir, '--regex-value-cap', '64', logs]);
    expect(capped.code).toBe(0);
    expect(capped.stdout).toBe('');
  });

  test('a cap that is not a whole number from 16 to 1048576 is a usage error (exit 2), before any rule is read', async () => {
    for (const bad of ['zero', '-1', '0', '15', '1048577']) {
      const r = await run(['check', '--rules', dir, '--regex-value-cap', bad]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`option '--regex-value-cap <n>' argument '${bad}' is invalid. must be a whole number from 16 to 1,048,576`);
      expect(r.stdout).toBe('');
    }
  });
});

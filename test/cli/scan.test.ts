import * as fs from 'node:fs';
import * as path from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { main } from '../../bin/cli';
import { API_EXPLORER_ID, FIXTURES, REPO, lines, run } from './helpers';

const LOGS = `${FIXTURES}/logs`;
const RULES = `${FIXTURES}/rules`;
const SEED_RULE = 'rules/api_explorer_token_copy.yml';
const SEED_ID = '90a9a856-716d-11f0-bb81-723487b9527c';
const SEED_LOG_ID = '90020261101000000000000000001abcdef0123456789abcdef01';
const FAILED_LOGIN_ID = '5f0c6a2e-1b7d-4c55-9d41-0b8f3b6a1c01';
const BRUTE_FORCE_ID = '7d3e9b10-2c4f-4e8a-a1b2-3c4d5e6f7a02';

/** The "scan: ..." summary line of stderr. */
function summaryLine(stderr: string): string {
  const line = lines(stderr).find((l) => l.startsWith('scan: '));
  if (!line) throw new Error(`no summary in:\n${stderr}`);
  return line;
}

describe('auth0-sigma scan', () => {
  test('the seed rule fires on a seed-shaped event once its placeholder is set (text output)', async () => {
    const r = await run(['scan', '--rules', SEED_RULE, '--set', `api_explorer_client_id=${API_EXPLORER_ID}`, `${LOGS}/stream.ndjson`]);
    expect(r.code).toBe(0);
    expect(lines(r.stdout)).toEqual([
      '[medium] High Risk Actions - copying of the most powerful token through API Explorer | date=2026-11-01T00:00:01.000Z type=seccft ' +
        `user=user1@example.com (auth0|000000000000000000000001) ip=203.0.113.1 client=API Explorer Application (${API_EXPLORER_ID}) log_id=${SEED_LOG_ID}`,
    ]);
    expect(r.stderr).toContain(`        1  [medium] High Risk Actions - copying of the most powerful token through API Explorer (${SEED_ID})`);
  });

  test('NDJSON: malformed lines are reported with file and line, counted and skipped; the rest is scanned', async () => {
    const r = await run(['scan', '--rules', SEED_RULE, '--set', `api_explorer_client_id=${API_EXPLORER_ID}`, `${LOGS}/stream.ndjson`]);
    const err = lines(r.stderr);
    expect(err[0]).toMatch(/^test\/fixtures\/cli\/logs\/stream\.ndjson:5: skipped: invalid JSON: /);
    expect(err[1]).toBe('test/fixtures/cli/logs/stream.ndjson:6: skipped: not a log event: event is not a JSON object (got a string)');
    expect(summaryLine(r.stderr)).toMatch(
      /^scan: 1 input, 8 items read, 2 malformed \(skipped\), 6 events evaluated against 1 rule, 1 detection in \d+\.\d\d s \((?:[\d,]+|n\/a) events\/s\)$/,
    );
  });

  test('only the first 10 malformed items are shown; the rest are counted', async () => {
    const r = await run(['scan', '--rules', SEED_RULE, '--set', `api_explorer_client_id=${API_EXPLORER_ID}`, `${LOGS}/many-malformed.ndjson`]);
    expect(r.code).toBe(0);
    const shown = lines(r.stderr).filter((l) => l.includes(': skipped: '));
    expect(shown).toHaveLength(10);
    expect(shown[0]).toMatch(/^test\/fixtures\/cli\/logs\/many-malformed\.ndjson:2: /);
    expect(shown[9]).toMatch(/^test\/fixtures\/cli\/logs\/many-malformed\.ndjson:11: /);
    expect(r.stderr).toContain('... 3 more malformed items skipped (only the first 10 are shown)');
    expect(summaryLine(r.stderr)).toContain('15 items read, 13 malformed (skipped), 2 events evaluated');
    expect(lines(r.stdout)).toHaveLength(1); // the seed event on the last line is still found
  });

  test('JSON array, EventBridge envelopes and flat logs, in one run, --format json', async () => {
    const r = await run(['scan', '--rules', RULES, '--format', 'json', `${LOGS}/array.json`, `${LOGS}/eventbridge.ndjson`, `${LOGS}/flat.ndjson`]);
    expect(r.code).toBe(0);
    const detections = lines(r.stdout).map((l) => JSON.parse(l));
    expect(detections.map((d) => [d.rule.id, d.log_id])).toEqual([
      [FAILED_LOGIN_ID, '90020261101000000000000000003abcdef0123456789abcdef01'], // array.json: fp
      [BRUTE_FORCE_ID, '90020261101000000000000000005abcdef0123456789abcdef01'], // array.json: sapi
      [FAILED_LOGIN_ID, '90020261101000000000000000003abcdef0123456789abcdef01'], // eventbridge.ndjson: fp
      [FAILED_LOGIN_ID, '90020261101000000000000000004abcdef0123456789abcdef01'], // flat.ndjson: fu
    ]);
    expect(detections[0]).toEqual({
      rule: {
        id: FAILED_LOGIN_ID,
        title: 'Failed login with wrong password or unknown user',
        level: 'low',
        tags: ['attack.credential-access'],
        meta: expect.objectContaining({ description: 'A login failed because of a wrong password or an unknown user name.' }),
      },
      log_id: '90020261101000000000000000003abcdef0123456789abcdef01',
      date: '2026-11-01T00:00:03.000Z',
      type: 'fp',
      user_id: 'auth0|000000000000000000000003',
      user_name: 'user3@example.com',
      ip: '203.0.113.3',
      client_id: 'AcmeWebClient0123456789abcdefGHI',
      client_name: 'Acme Web',
      matched: ['selection'],
      field_values: { 'data.ip': '203.0.113.3', 'data.user_name': 'user3@example.com' },
    });
    expect(summaryLine(r.stderr)).toContain('scan: 3 inputs, 10 items read, 0 malformed (skipped), 10 events evaluated against 3 rules, 4 detections');
    expect(r.stderr).toContain(`        3  [low] Failed login with wrong password or unknown user (${FAILED_LOGIN_ID})`);
    expect(r.stderr).toContain(`        1  [high] Brute-force protection disabled through the Management API (${BRUTE_FORCE_ID})`);
  });

  test('coverage: fields a rule reads that no event had are listed, with the schemas verdict', async () => {
    const r = await run(['scan', '--rules', RULES, `${LOGS}/array.json`]);
    const err = r.stderr.split('\n');
    const start = err.findIndex((l) => l.startsWith('fields never present in the scanned events'));
    expect(start).toBeGreaterThan(0);
    expect(err.slice(start + 1, start + 3)).toEqual([
      '  Attack protection allowlist changed (reads a path Auth0 does not write) (test/fixtures/cli/rules/allowlist_wrong_path.yml:1):',
      '    data.request.body.allowlist (NOT defined in the Auth0 schemas of the log types this rule can match: check the path)',
    ]);
    // Fields that did appear are not listed: the other rules read data.type, data.details.request.path, ...
    expect(r.stderr).not.toContain('data.details.request.path (');
  });

  test('coverage: a field the schemas know but the input lacks is reported as known', async () => {
    // flat.ndjson has no sapi event: the brute-force rule's request fields never appear.
    const r = await run(['scan', '--rules', `${RULES}/brute_force_protection_disabled.yml`, `${LOGS}/flat.ndjson`]);
    expect(r.stderr).toContain('    data.details.request.path (defined in the Auth0 log schemas)');
    expect(r.stderr).not.toContain('    data.type (');
  });

  test('text output escapes control characters from log values (no terminal injection)', async () => {
    const event = { log_id: 'l1', data: { type: 'fp', user_name: 'evil\u001b[2J\nname', ip: '203.0.113.1' } };
    const r = await run(['scan', '--rules', RULES, '-'], { stdin: `${JSON.stringify(event)}\n` });
    expect(lines(r.stdout)).toEqual([
      '[low] Failed login with wrong password or unknown user | date=- type=fp user=evil\\u001b[2J\\u000aname ip=203.0.113.1 client=- log_id=l1',
    ]);
  });

  test('stdin with "-"', async () => {
    const text = fs.readFileSync(path.join(REPO, LOGS, 'flat.ndjson'), 'utf8');
    const r = await run(['scan', '--rules', RULES, '-'], { stdin: text });
    expect(r.code).toBe(0);
    expect(lines(r.stdout)).toHaveLength(1);
    expect(summaryLine(r.stderr)).toContain('scan: 1 input, 3 items read');
  });

  test('stdin as a live stream: each detection is written while the input is still open', async () => {
    // `tail -F export.ndjson | auth0-sigma scan -`: output must not wait for a full block or the end of input.
    const stdin = new PassThrough();
    let out = '';
    const stdout = new Writable({ write(chunk, _encoding, done) { out += chunk.toString(); done(); } });
    const stderr = new Writable({ write(_chunk, _encoding, done) { done(); } });
    const event = { log_id: 'live-1', data: { type: 'fp', user_name: 'someone', ip: '203.0.113.1' } };
    const scanning = main(['node', 'auth0-sigma', 'scan', '--rules', RULES, '-'], { stdin, stdout, stderr, cwd: REPO, stderrIsTTY: false });
    stdin.write(`${JSON.stringify(event)}\n`);
    let waited = 0;
    while (!out.includes('log_id=live-1') && waited < 10_000) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      waited += 20;
    }
    const seenBeforeEnd = out.includes('log_id=live-1');
    stdin.end();
    expect(await scanning).toBe(0);
    expect(seenBeforeEnd).toBe(true);
  });

  test('an unresolved placeholder skips the rule with a warning; --strict stops before reading input', async () => {
    const rules = `${FIXTURES}/rules-placeholder`;
    const lenient = await run(['scan', '--rules', rules, `${LOGS}/stream.ndjson`]);
    expect(lenient.code).toBe(0);
    expect(lines(lenient.stderr)[0]).toMatch(
      /^test\/fixtures\/cli\/rules-placeholder\/admin_token\.yml:\d+:\d+: warning: rule skipped: unresolved placeholder 'admin_client_id' \(rule 'Management API token issued to the admin client'\) — set it with `--set admin_client_id=VALUE`/,
    );
    expect(lenient.stderr).not.toContain("note: rule 'Management API token issued to the admin client'");
    expect(summaryLine(lenient.stderr)).toContain('evaluated against 1 rule,');

    const strict = await run(['scan', '--strict', '--rules', rules, `${LOGS}/stream.ndjson`]);
    expect(strict.code).toBe(1);
    expect(strict.stdout).toBe('');
    expect(strict.stderr).toMatch(/admin_token\.yml:9:\d+: error: placeholder '\{admin_client_id\}' has no value/);
    expect(strict.stderr).toContain('scan stopped before reading input: 1 error in the rules (--strict)');

    const set = await run(['scan', '--format', 'json', '--rules', rules, '--config', `${FIXTURES}/placeholders.yml`, '-'], {
      stdin: JSON.stringify({ log_id: 'x1', data: { type: 'seccft', client_id: 'AdminClient0000000000000000000002' } }) + '\n',
    });
    expect(set.code).toBe(0);
    expect(lines(set.stdout).map((l) => JSON.parse(l).rule.id)).toEqual(['6b7c8d9e-0f1a-4b2c-d3e4-5f6a7b8c9d09']);
  });

  test('correlation rules run in scan: a burst from one IP gives one correlation detection', async () => {
    const r = await run(['scan', '--format', 'json', '--rules', `${FIXTURES}/rules-correlation`, `${LOGS}/burst.ndjson`]);
    expect(r.code).toBe(0);
    const out = lines(r.stdout).map((l) => JSON.parse(l));
    expect(out).toHaveLength(1);
    expect(out[0].rule.id).toBe('9e0f1a2b-3c4d-4e5f-a6b7-8c9d0e1f2a12');
    expect(out[0].correlation).toMatchObject({ type: 'event_count', group: { 'data.ip': '203.0.113.9' }, value: 3, log_ids: ['900burst0', '900burst1', '900burst4'] });
    // The base rule does not alert on its own: it is listed as feeding the correlation.
    expect(r.stderr).toContain('        5  Failed login (counted by the burst correlation) (8d9e0f1a-2b3c-4d4e-f5a6-7b8c9d0e1f11)');
  });

  test('progress bar only when stderr is a terminal', async () => {
    const args = ['scan', '--rules', RULES, `${LOGS}/array.json`];
    const tty = await run(args, { tty: true });
    expect(tty.code).toBe(0);
    expect(tty.stderr).toContain('scanning [');
    const plain = await run(args);
    expect(plain.stderr).not.toContain('scanning');
  });

  test('rules skipped on purpose get a note; rules with errors are left out with their diagnostics, and fail the scan', async () => {
    const r = await run(['scan', '--rules', `${FIXTURES}/rules-bad`, `${LOGS}/stream.ndjson`]);
    expect(r.code).toBe(1); // the other rules ran, but the scan is incomplete (--allow-rule-errors accepts it: test/cli/front-door.test.ts)
    expect(r.stderr).toContain("note: rule 'A Windows rule' (test/fixtures/cli/rules-bad/windows.yml:1) skipped: logsource product 'windows' is not auth0");
    expect(r.stderr).toMatch(/^test\/fixtures\/cli\/rules-bad\/bad\.yml:8:9: error: unknown modifier 'startwith'/m);
    expect(r.stderr).toContain('error: 1 rule failed to load and was NOT evaluated');
    expect(summaryLine(r.stderr)).toContain('evaluated against 1 rule,');
    expect(lines(r.stdout)).toHaveLength(1); // the `s` event, matched by the good rule
  });

  test('usage errors: missing input file, bad format', async () => {
    const missing = await run(['scan', '--rules', RULES, `${LOGS}/nope.ndjson`]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe("auth0-sigma: cannot read input 'test/fixtures/cli/logs/nope.ndjson': no such file\n");
    const format = await run(['scan', '--rules', RULES, '--format', 'xml', `${LOGS}/flat.ndjson`]);
    expect(format.code).toBe(2);
    expect(format.stderr).toContain("option '--format <format>' argument 'xml' is invalid");
  });
});

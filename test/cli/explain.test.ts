import { API_EXPLORER_ID, FIXTURES, lines, run } from './helpers';

const SEED_ID = '90a9a856-716d-11f0-bb81-723487b9527c';
const SEED_RULE = 'rules/api_explorer_token_copy.yml';

describe('auth0-sigma explain', () => {
  test('a matching event (a pretty-printed JSON file): the tree with true comparisons and the values compared, exit 0', async () => {
    const r = await run(['explain', '--rule', SEED_ID, '--rules', SEED_RULE, '--set', `api_explorer_client_id=${API_EXPLORER_ID}`, `${FIXTURES}/logs/seed-event.json`]);
    expect(r.code).toBe(0);
    const out = lines(r.stdout);
    expect(out[0]).toBe(`rule:  High Risk Actions - copying of the most powerful token through API Explorer (${SEED_ID}) rules/api_explorer_token_copy.yml:1`);
    expect(out[1]).toBe('event: test/fixtures/cli/logs/seed-event.json:1 (item 0) log_id=90020261101000000000000000001abcdef0123456789abcdef01 type=seccft');
    expect(r.stdout).toMatch(/✔ data\.type: "seccft" .*"seccft"/);
    expect(r.stdout).toContain(`"${API_EXPLORER_ID}"`);
    expect(out[out.length - 1]).toBe('result: MATCH');
  });

  test('--index picks another item; a non-matching event shows the false comparisons, exit 1', async () => {
    const r = await run(['explain', '--rule', SEED_ID, '--rules', SEED_RULE, '--set', `api_explorer_client_id=${API_EXPLORER_ID}`, '--index', '2', `${FIXTURES}/logs/stream.ndjson`]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('event: test/fixtures/cli/logs/stream.ndjson:4 (item 2)');
    expect(r.stdout).toMatch(/✘ data\.type: "seccft" .*"fp"/);
    expect(lines(r.stdout).pop()).toBe('result: NO MATCH');
  });

  test('errors exit 2: unknown rule, unresolved placeholder, correlation rule, index past the end, malformed item', async () => {
    const event = `${FIXTURES}/logs/seed-event.json`;
    const unknown = await run(['explain', '--rule', 'nope', '--rules', SEED_RULE, '--set', `api_explorer_client_id=x`, event]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("no enabled rule has the id, title or name 'nope'");

    const unset = await run(['explain', '--rule', 'High Risk Actions - copying of the most powerful token through API Explorer', '--rules', SEED_RULE, event]);
    expect(unset.code).toBe(2);
    expect(unset.stderr).toMatch(/is not loaded: .*api_explorer_client_id/);

    const corr = await run(['explain', '--rule', '9e0f1a2b-3c4d-4e5f-a6b7-8c9d0e1f2a12', '--rules', `${FIXTURES}/rules-correlation`, event]);
    expect(corr.code).toBe(2);
    expect(corr.stderr).toContain('is a correlation rule');

    const past = await run(['explain', '--rule', SEED_ID, '--rules', SEED_RULE, '--set', 'api_explorer_client_id=x', '--index', '5', event]);
    expect(past.code).toBe(2);
    expect(past.stderr).toBe('auth0-sigma: test/fixtures/cli/logs/seed-event.json has 1 item(s); --index 5 is past the end\n');

    const stream = `${FIXTURES}/logs/stream.ndjson`;
    const bad = await run(['explain', '--rule', SEED_ID, '--rules', SEED_RULE, '--set', 'api_explorer_client_id=x', '--index', '3', stream]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/stream\.ndjson:5: item 3 is not valid JSON/);
    const notLog = await run(['explain', '--rule', SEED_ID, '--rules', SEED_RULE, '--set', 'api_explorer_client_id=x', '--index', '4', stream]);
    expect(notLog.code).toBe(2);
    expect(notLog.stderr).toBe('auth0-sigma: test/fixtures/cli/logs/stream.ndjson:6: item 4 is not a log event: event is not a JSON object (got a string)\n');
  });
});

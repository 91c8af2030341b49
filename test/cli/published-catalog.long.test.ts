// Auth0's detection catalog as published (../shared/auth0-customer-detections/detections, never copied into the
// repository) next to rules/, through the real CLI: check with its placeholders, overrides and filters in check,
// scan and explain. In `npm run test:long`: each run loads and compiles the whole catalog (about 5 s together);
// catalog.test.ts runs the same commands on catalog-shaped fixtures. Skipped, with a message, where ../shared is
// absent (a user's clone).

import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO, lines, run, tempConfig } from './helpers';

const SEED = '--set=api_explorer_client_id=ApiExpl0rerClient0123456789abcdeF';
const PUBLISHED = path.resolve(REPO, '..', 'shared', 'auth0-customer-detections', 'detections');
const havePublished = fs.existsSync(PUBLISHED);
if (!havePublished) {
  // eslint-disable-next-line no-console
  console.warn(`skipping the published-catalog tests: ${PUBLISHED} is absent (clone github.com/auth0/auth0-customer-detections there to run them)`);
}
const describePublished = havePublished ? describe : describe.skip;

describePublished("Auth0's published catalog next to rules/", () => {
  const NO_LEVEL_RULE = '27d3b46e-3a2e-48e9-95bb-4622101572b9'; // Too many failed authorization requests ... (no level)
  const TENANT_URL_RULE = '466073e8-7171-11f0-858f-723487b9527c'; // use of the Auth0 tenant name URL
  const placeholders = [
    'placeholders:',
    '  api_explorer_client_id: ApiExpl0rerClient0123456789abcdeF',
    '  global_client_id: GlobalClient00000000000000000001',
    '  trusted-client_id-1: TrustedClient0000000000000000001',
    '  trusted-client_id-2: TrustedClient0000000000000000002',
    '  your-tenant-domain: acme-prod.us.auth0.com',
    '  your-tenant-url: acme-prod.us.auth0.com',
  ];

  test('check --rules rules --rules <catalog> with a config holding its placeholders passes', async () => {
    const cfg = tempConfig(placeholders.join('\n'));
    try {
      const r = await run(['check', '--rules', 'rules', '--rules', PUBLISHED, '--config', cfg.file]);
      expect(r.stdout).toMatch(/^check passed: 0 errors/m);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/risk_of_copying_the_most_powerful_token\.yml:1:1: note: rule 90a9a856-716d-11f0-bb81-723487b9527c is also in rules\/api_explorer_token_copy\.yml:1 with the same detection logic: loaded once, from rules\/api_explorer_token_copy\.yml \(the first rule source\); fields that differ: splunk, prevention/);
      for (const name of ['api_explorer_client_id', 'global_client_id', 'trusted-client_id-1', 'trusted-client_id-2', 'your-tenant-domain', 'your-tenant-url']) {
        expect(r.stdout).toMatch(new RegExp(`^ {2}${name} +set `, 'm'));
      }
      expect(r.stdout).toMatch(/^placeholders the rules need \(0 without a value\):$/m);

      // Without the config, the same command lists what is missing instead.
      const bare = await run(['check', '--rules', 'rules', '--rules', PUBLISHED, SEED]);
      expect(bare.code).toBe(1);
      expect(bare.stdout).toMatch(/^ {2}your-tenant-url +NOT SET +.*use_of_auth0_tenant_name_url\.yml:1 /m);
    } finally {
      cfg.done();
    }
  });

  test('overrides and filters work on catalog rules', async () => {
    const cfg = tempConfig([
      `rules: [${path.join(REPO, 'rules')}, ${PUBLISHED}]`,
      ...placeholders,
      'overrides:',
      `  ${NO_LEVEL_RULE}: {level: high}`,
      `  ${TENANT_URL_RULE}: {enabled: false}`,
      'filters:',
      '  - title: Our QA robot sends malformed authorize requests',
      '    filter:',
      `      rules: [${NO_LEVEL_RULE}]`,
      '      qa_robot:',
      '        data.client_id: QaRobotClient0000000000000000001',
      '      condition: not qa_robot',
    ].join('\n'));
    const logs = path.join(cfg.dir, 'logs.ndjson');
    const failed = (clientId: string, n: number) => JSON.stringify({
      log_id: `9002026120200000000000000000000${n}`,
      data: { type: 'f', date: '2026-12-02T09:00:00.000Z', description: 'Unknown client: x', client_id: clientId, ip: '203.0.113.5' },
    });
    const tenantUrl = JSON.stringify({ log_id: '90020261202000000000000000000009', data: { type: 's', date: '2026-12-02T09:00:00.000Z', hostname: 'acme-prod.us.auth0.com' } });
    fs.writeFileSync(logs, [failed('QaRobotClient0000000000000000001', 1), failed('SomeApp000000000000000000000001', 2), tenantUrl].join('\n'));
    try {
      const checked = await run(['check', '--config', cfg.file]);
      expect(checked.code).toBe(0);
      expect(checked.stdout).toMatch(/many_failed_authorization_requests\.yml:1:1: note: level high \(was medium\) set by the override/);
      expect(checked.stdout).not.toMatch(/many_failed_authorization_requests\.yml:1:1: warning: the rule has no level/);

      const scanned = await run(['scan', '--format', 'json', '--config', cfg.file, logs]);
      const found = lines(scanned.stdout).map((l) => JSON.parse(l) as { rule: { id: string; level: string }; log_id: string });
      expect(found.filter((d) => d.rule.id === NO_LEVEL_RULE).map((d) => [d.log_id, d.rule.level])).toEqual([['90020261202000000000000000000002', 'high']]);
      expect(found.some((d) => d.rule.id === TENANT_URL_RULE)).toBe(false);

      const explained = await run(['explain', '--config', cfg.file, '--rule', NO_LEVEL_RULE, logs]);
      expect(lines(explained.stdout).pop()).toMatch(/^result: NO MATCH \(suppressed by filter 'Our QA robot sends malformed authorize requests' \(.*auth0-sigma\.yml:\d+\)\)$/);
    } finally {
      cfg.done();
    }
  });
});

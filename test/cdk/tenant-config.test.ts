// The `tenants` key (several Auth0 tenants in one stack): valid lists, names taken from the event source, and a
// fix-it message naming the entry and the field for each mistake; the single-source keys cannot be mixed in.

import { ConfigError, readConfig } from '../../lib/config';
import { readTenants, tenantNameFromSource } from '../../lib/tenant-config';

const PROD = 'aws.partner/auth0.com/acme-prod-0a1b2c/auth0.logs';
const DEV = 'aws.partner/auth0.com/acme-dev-3d4e5f/auth0.logs';

function tenants(value: unknown) {
  const problems: string[] = [];
  return { tenants: readTenants(value, problems), problems };
}

test('a list from cdk.json or as JSON text; names default to the event source\'s tenant part', () => {
  const list = [
    { eventSourceName: PROD, auth0Domain: 'https://Acme-Prod.eu.auth0.com/', placeholders: { api_explorer_client_id: 'P1', admins: ['a', 'b'] } },
    { name: 'dev', eventSourceName: DEV, minLevel: 'HIGH' },
  ];
  const expected = [
    { name: 'acme-prod', eventSourceName: PROD, auth0Domain: 'acme-prod.eu.auth0.com', minLevel: undefined, placeholders: { api_explorer_client_id: 'P1', admins: ['a', 'b'] } },
    { name: 'dev', eventSourceName: DEV, auth0Domain: undefined, minLevel: 'high', placeholders: {} },
  ];
  expect(tenants(list)).toEqual({ tenants: expected, problems: [] });
  expect(tenants(JSON.stringify(list))).toEqual({ tenants: expected, problems: [] });
  expect(tenants(undefined)).toEqual({ tenants: undefined, problems: [] });
  expect(tenantNameFromSource('aws.partner/auth0.com/solo/auth0.logs')).toBe('solo');
});

test('every mistake names the entry and the field', () => {
  const { problems } = tenants([
    { eventSourceName: 'acme-prod' },
    { name: 'has space', eventSourceName: DEV, auth0Domain: 'login.acme.com', minLevel: 'urgent', placeholders: { '1bad': 'x', ok: {} }, region: 'eu' },
    'prod',
  ]);
  expect(problems).toEqual([
    expect.stringMatching(/^'tenants'\[0\]: "eventSourceName" 'acme-prod' must be an Auth0 partner event source name/),
    "'tenants'[1]: unknown field 'region' (the fields are name, eventSourceName, auth0Domain, minLevel, placeholders)",
    expect.stringMatching(/^'tenants'\[1\]: "name" "has space" must be 1 to 63 letters/),
    expect.stringMatching(/^'tenants'\[1\]: "auth0Domain" "login\.acme\.com" is not a canonical Auth0 domain/),
    expect.stringMatching(/^'tenants'\[1\]: "minLevel" "urgent" is not a Sigma level/),
    expect.stringMatching(/^'tenants'\[1\]: "placeholders": '1bad' is not a placeholder name/),
    expect.stringMatching(/^'tenants'\[1\]: "placeholders": the value of 'ok' must be a string/),
    expect.stringMatching(/^'tenants'\[2\] must be an object/),
  ]);
  expect(tenants('[{').problems).toEqual([expect.stringMatching(/^'tenants' is not valid JSON .*e\.g\. \[/)]);
  expect(tenants([]).problems).toEqual([expect.stringMatching(/^'tenants' must be a non-empty JSON list/)]);
  expect(tenants([{ eventSourceName: PROD }, { name: 'acme-prod', eventSourceName: PROD }]).problems).toEqual([
    "'tenants': 2 tenants have the name 'acme-prod': each needs its own",
    `'tenants': 2 tenants have the eventSourceName '${PROD}': each needs its own`,
  ]);
});

test('through readConfig: the first tenant is the source; mixing in the single-source keys is refused', () => {
  const config = readConfig((key) => ({ tenants: [{ eventSourceName: PROD }, { eventSourceName: DEV }], alertEmails: 'a@example.com' } as Record<string, unknown>)[key]);
  expect(config.source).toEqual({ kind: 'partner', eventSourceName: PROD });
  expect(config.tenants?.map((t) => t.name)).toEqual(['acme-prod', 'acme-dev']);
  let problems: string[] = [];
  try {
    readConfig((key) => ({ tenants: [{ eventSourceName: PROD }], auth0EventSourceName: DEV, alertEmails: 'a@example.com' } as Record<string, unknown>)[key]);
  } catch (err) {
    problems = (err as ConfigError).problems;
  }
  expect(problems).toEqual([expect.stringMatching(/^set either 'tenants' or 'auth0EventSourceName', not both/)]);
});

// Deterministic generator of Auth0-shaped log events (log-stream shape `{log_id, data}`) for `npm run bench`
// when no --events file is given. The mix is dominated by routine logins and token exchanges, with a thin tail
// of management-API changes, failures and rare security events, the way a production tenant's log looks.

import { SeededRandom } from './random';

/** Event types and their share of traffic (weights, not percentages). */
const TYPE_MIX: readonly (readonly [string, number])[] = [
  ['ssa', 240], ['s', 170], ['sertft', 150], ['seacft', 100], ['seccft', 60], ['fsa', 45], ['slo', 40],
  ['fp', 30], ['mgmt_api_read', 28], ['pla', 20], ['sepft', 10], ['fu', 10], ['f', 8], ['w', 8], ['sapi', 12],
  ['ss', 8], ['sv', 5], ['fs', 3], ['scp', 3], ['gd_send_sms', 5], ['gd_send_pn', 5], ['gd_enrollment_complete', 2],
  ['ferrt', 2], ['feacft', 2], ['limit_wc', 0.5], ['limit_mu', 0.3], ['pwd_leak', 0.5], ['scoa', 5], ['fcoa', 1],
  ['gd_auth_rate_limit_exceed', 0.3], ['fcpr', 0.5], ['scpr', 0.5], ['sdu', 0.5], ['fn', 0.5], ['du', 0.3],
];

const DESCRIPTIONS: Record<string, string> = {
  ssa: 'Successful silent authentication', s: 'Success Login', fp: 'Wrong email or password.',
  fu: 'Invalid username or email', f: 'Unknown client', fsa: 'Login required', slo: 'User successfully logged out',
  seccft: 'Client Credentials for Access Token', pwd_leak: 'Leaked password detected', limit_wc: 'Blocked IP address',
};

const MANAGEMENT_CHANGES: readonly { description: string; method: string; path: string; body: (r: SeededRandom) => unknown }[] = [
  { description: 'Update a client', method: 'PATCH', path: '/api/v2/clients/', body: (r) => ({ grant_types: r.chance(0.05) ? ['implicit', 'password'] : ['authorization_code', 'refresh_token'] }) },
  { description: 'Update Brute-force settings', method: 'PATCH', path: '/api/v2/attack-protection/brute-force-protection', body: (r) => ({ enabled: r.chance(0.85), shields: r.chance(0.8) ? ['block', 'user_notification'] : ['user_notification'] }) },
  { description: 'Update Suspicious IP Throttling settings', method: 'PATCH', path: '/api/v2/attack-protection/suspicious-ip-throttling', body: (r) => ({ enabled: r.chance(0.9), shields: ['block', 'admin_notification'] }) },
  { description: 'Create client grant', method: 'POST', path: '/api/v2/client-grants', body: (r) => ({ scope: r.chance(0.2) ? ['read:users', 'delete:users', 'update:users'] : ['read:users'] }) },
  { description: 'Rotate a client secret', method: 'POST', path: '/api/v2/clients/rotate-secret', body: () => ({}) },
  { description: 'Update a log stream', method: 'PATCH', path: '/api/v2/log-streams/', body: (r) => ({ status: r.chance(0.1) ? 'paused' : 'active' }) },
  { description: 'Update tenant settings', method: 'PATCH', path: '/api/v2/tenants/settings', body: (r) => ({ error_page: { html: r.chance(0.1) ? '<p>{{ error_description }}</p>' : '<p>{{ error_description | escape }}</p>' } }) },
];

const USER_AGENTS = [
  'Chrome 131.0.0 / Mac OS X 14.6.1', 'Safari 18.1 / iOS 18.1', 'Firefox 133.0 / Windows 10.0.0', 'Edge 131.0.0 / Windows 10.0.0',
  'Chrome 131.0.0 / Android 14', 'okhttp/4.12.0', 'node-fetch/1.0', 'python-requests/2.32.3', 'curl/8.7.1',
];

export interface CorpusOptions {
  count: number;
  seed?: number;
  /** ISO start time; events are spread at `ratePerSecond`. */
  start?: string;
  ratePerSecond?: number;
}

/** Yields `count` events as objects in the log-stream shape. */
export function* generateCorpus(options: CorpusOptions): Generator<Record<string, unknown>> {
  const r = new SeededRandom(options.seed ?? 20261101);
  const t0 = Date.parse(options.start ?? '2026-11-01T00:00:00Z');
  const rate = options.ratePerSecond ?? 50;
  const tenant = 'bench-tenant';
  const hostname = `${tenant}.eu.auth0.com`;
  const clients = Array.from({ length: 8 }, (_, i) => ({ id: r.alnum(32), name: `Bench App ${i}` }));
  const dashboard = { id: r.alnum(32), name: 'Auth0 Dashboard' };
  const users = Array.from({ length: 3000 }, (_, i) => ({ id: `auth0|${r.hex(24)}`, name: `person${i}@${r.pick(['example.com', 'example.org', 'example.net'])}` }));
  const ipv4 = (): string => `${1 + r.int(222)}.${r.int(256)}.${r.int(256)}.${1 + r.int(254)}`;
  for (let i = 0; i < options.count; i++) {
    const date = new Date(t0 + Math.floor((i * 1000) / rate)).toISOString();
    const type = r.weighted(TYPE_MIX);
    const user = r.pick(users);
    const client = r.pick(clients);
    const data: Record<string, unknown> = {
      date,
      type,
      description: DESCRIPTIONS[type] ?? '',
      connection: 'Username-Password-Authentication',
      connection_id: `con_${r.alnum(16)}`,
      client_id: client.id,
      client_name: client.name,
      ip: r.chance(0.12) ? `2001:db8:${r.hex(4)}::${r.hex(4)}` : ipv4(),
      user_agent: r.pick(USER_AGENTS),
      hostname,
      user_id: user.id,
      user_name: user.name,
      strategy: 'auth0',
      strategy_type: 'database',
      tenant_name: tenant,
      isMobile: r.chance(0.3),
    };
    if (type === 'sapi') {
      const change = r.pick(MANAGEMENT_CHANGES);
      const body = change.body(r);
      data['description'] = change.description;
      data['client_id'] = dashboard.id;
      data['client_name'] = dashboard.name;
      data['details'] = {
        request: { method: change.method, path: change.path, body, channel: 'https://manage.auth0.com/', ip: data['ip'], auth: { strategy: 'jwt', user: { user_id: `google-oauth2|${r.hex(21)}` } } },
        response: { statusCode: 200, body },
      };
    } else if (type === 's' || type === 'ssa') {
      data['details'] = { prompts: [{ name: 'login', elapsedTime: 1000 + r.int(20000) }], session_id: r.alnum(32), stats: { loginsCount: 1 + r.int(400) } };
      data['security_context'] = { ja3: r.hex(32), ja4: `t13d${1500 + r.int(400)}h2_${r.hex(12)}_${r.hex(12)}` };
    } else if (type.startsWith('f')) {
      data['details'] = { error: { message: data['description'] } };
    } else if (type === 'seccft') {
      data['audience'] = `https://${hostname}/api/v2/`;
      data['scope'] = r.chance(0.1) ? ['read:users', 'read:clients'] : ['read:users'];
    }
    const logId = `900${date.replace(/\D/g, '').slice(0, 17)}${String(i).padStart(12, '0')}${r.hex(24)}`;
    yield { log_id: logId, data };
  }
}

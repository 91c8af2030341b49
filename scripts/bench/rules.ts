// Generated Auth0-shaped Sigma rule sets for the bench: the shapes real rules use (type equality, contains,
// wildcards, regexes, CIDRs, array fields, placeholders) and a share of correlations over them. Rule documents are
// written as JSON, which YAML reads as is, so no quoting subtleties creep into the generated text.

import { SeededRandom } from './random';

/** Auth0 log type codes rules are written against. */
const AUTH0_TYPES = [
  's', 'ssa', 'f', 'fp', 'fu', 'fsa', 'fcoa', 'scoa', 'seccft', 'feccft', 'sertft', 'fertft', 'seacft', 'feacft',
  'sepft', 'fepft', 'sapi', 'fapi', 'mgmt_api_read', 'slo', 'flo', 'ss', 'fs', 'scp', 'fcp', 'scpr', 'fcpr', 'sv', 'fv',
  'sdu', 'du', 'fn', 'w', 'pla', 'limit_wc', 'limit_mu', 'limit_sul', 'pwd_leak', 'ferrt', 'gd_send_sms',
  'gd_send_pn', 'gd_send_voice', 'gd_enrollment_complete', 'gd_auth_failed', 'gd_auth_rate_limit_exceed',
  'gd_otp_rate_limit_exceed', 'gd_recovery_failed', 'gd_unenroll', 'cls', 'cs', 'depnote', 'admin_update_launch',
];

const SCOPES = ['delete:users', 'update:users', 'create:client_grants', 'update:clients', 'read:client_keys', 'delete:clients', 'update:tenant_settings'];

export interface GeneratedRuleSet {
  /** One YAML text holding every rule document. */
  text: string;
  /** Placeholder values the rules need. */
  placeholders: Record<string, string[]>;
  detectionRules: number;
  correlationRules: number;
}

type RuleShape = 'type-and-field' | 'type-list-contains' | 'wildcard' | 'regex' | 'cidr' | 'array' | 'placeholder' | 'filter';

const SHAPES: readonly (readonly [RuleShape, number])[] = [
  ['type-and-field', 3], ['type-list-contains', 2], ['wildcard', 2], ['regex', 1], ['cidr', 1], ['array', 1], ['placeholder', 1], ['filter', 1],
];

/**
 * `count` rules, selective the way real detections are (most match a small share of their event type): about
 * one in eight is a correlation over one of the detection rules written before it (the
 * referenced rules are then correlation base rules that do not alert alone).
 */
export function generateRuleSet(count: number, seed = 7): GeneratedRuleSet {
  const r = new SeededRandom(seed + count);
  const docs: string[] = [];
  const placeholders: Record<string, string[]> = {};
  const names: string[] = [];
  let detections = 0;
  let correlations = 0;
  for (let i = 0; i < count; i++) {
    if (i >= 8 && names.length > 0 && r.chance(0.125)) {
      correlations++;
      const base = r.pick(names);
      const valueCount = r.chance(0.3);
      docs.push(JSON.stringify({
        title: `Bench correlation ${i}`,
        id: uuidFor(i),
        level: 'high',
        correlation: {
          type: valueCount ? 'value_count' : 'event_count',
          rules: [base],
          'group-by': [r.pick(['data.ip', 'data.user_id', 'data.client_id'])],
          timespan: r.pick(['5m', '15m', '1h']),
          condition: valueCount ? { gte: 3 + r.int(10), field: 'data.user_name' } : { gte: 5 + r.int(50) },
        },
      }));
      continue;
    }
    detections++;
    const name = `bench_rule_${i}`;
    names.push(name);
    const types = Array.from({ length: 1 + (r.chance(0.3) ? r.int(3) : 0) }, () => r.pick(AUTH0_TYPES));
    const type = types.length === 1 ? types[0] : types;
    const shape = r.weighted(SHAPES);
    const detection: Record<string, unknown> = {};
    switch (shape) {
      case 'type-and-field':
        detection['selection'] = { 'data.type': type, 'data.client_name': `Bench App ${r.int(12)}` };
        detection['condition'] = 'selection';
        break;
      case 'type-list-contains':
        detection['selection'] = { 'data.type': type, 'data.description|contains': r.pick(['leaked', 'blocked', 'rate limit', 'grant', 'secret', 'password']) };
        detection['condition'] = 'selection';
        break;
      case 'wildcard':
        detection['selection'] = { 'data.type': type, 'data.user_name': r.pick(['admin*@example.com', '*@attacker.example', 'person1?@*', 'svc-*', '*+test@*']) };
        detection['condition'] = 'selection';
        break;
      case 'regex':
        detection['selection'] = { 'data.type': type, 'data.user_agent|re': r.pick(['^(curl|python-requests)/', 'Headless(Chrome)?', '(?i)sqlmap|nikto']) };
        detection['condition'] = 'selection';
        break;
      case 'cidr':
        detection['selection'] = { 'data.type': type, 'data.ip|cidr': r.pick(['10.0.0.0/8', '192.0.2.0/24', '2001:db8::/32', '198.51.100.0/22']) };
        detection['condition'] = 'selection';
        break;
      case 'array':
        detection['selection'] = { 'data.type': 'sapi', 'data.details.request.body.scope{}': r.pick(SCOPES) };
        detection['condition'] = 'selection';
        break;
      case 'placeholder': {
        const ph = `bench_client_${i % 17}`;
        placeholders[ph] = [r.alnum(32), r.alnum(32)];
        detection['selection'] = { 'data.type': type, 'data.client_id': `{${ph}}` };
        detection['condition'] = 'selection';
        break;
      }
      case 'filter':
        detection['selection'] = { 'data.type': type, 'data.user_agent|startswith': r.pick(['python-requests/', 'curl/', 'Go-http-client/', 'sqlmap/']) };
        detection['filter_known'] = { 'data.ip|cidr': ['10.0.0.0/8', '172.16.0.0/12'] };
        detection['condition'] = 'selection and not filter_known';
        break;
    }
    docs.push(JSON.stringify({
      title: `Bench rule ${i} (${shape})`,
      id: uuidFor(i),
      name,
      status: 'experimental',
      logsource: { product: 'auth0' },
      level: r.pick(['low', 'medium', 'high']),
      tags: ['attack.credential-access'],
      fields: ['data.user_name', 'data.ip'],
      detection,
    }));
  }
  return { text: docs.join('\n---\n') + '\n', placeholders, detectionRules: detections, correlationRules: correlations };
}

function uuidFor(i: number): string {
  const hex = (i + 1).toString(16).padStart(12, '0');
  return `b3c4a000-0000-4000-8000-${hex}`;
}

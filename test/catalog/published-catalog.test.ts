// Auth0's detection catalog as published (../shared/auth0-customer-detections, skipped with a message where it is
// absent): every file loads and `check` reports only the catalog's real mistakes. The prefilter goal on the
// generated corpus (forwards at most 2 points more than the rules need) is published-catalog.long.test.ts.

import * as path from 'node:path';
import { loadRules } from '../../lambda/sigma/loader';
import { lintRules } from '../../lambda/sigma/schema-lint';
import { CATALOG, catalogPlaceholders } from '../../scripts/bench/prefilter-goal';
import { describeWithCatalog } from './describe-with-catalog';

describeWithCatalog()('the published Auth0 catalog', () => {
  it('loads every file, and check reports exactly its real mistakes (no false warning)', () => {
    const placeholders = catalogPlaceholders({ api_explorer_client_id: 'A', global_client_id: 'G', hostname: 'acme.example' });
    const result = loadRules([CATALOG], { placeholders, root: CATALOG });
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(result.files).toHaveLength(33);
    expect(result.model.rules.length).toBe(41);
    const shown = (d: { loc: { file: string; line: number }; code: string; identifier?: string }): string =>
      `${path.basename(d.loc.file)}:${d.loc.line} ${d.code}${d.identifier ? ` ${d.identifier}` : ''}`;
    // The regex check's verdict depends on its step budget, not on the catalog: left out of the exact list.
    const warnings = [...result.diagnostics, ...lintRules(result.model.rules)]
      .filter((d) => d.severity === 'warning' && d.code !== 'regex-backtracking').map(shown).sort();
    expect(warnings).toEqual([
      // Quoting: YAML reads {global_client_id} as a map (the loader takes it as the placeholder anyway).
      'client_with_overpermissive_granted_scopes.yml:16 unquoted-placeholder filter_auth0_dashboard',
      // 11 rules have no level (medium is used; an override can set one).
      'credential_stuffing_signals.yml:106 missing-level',
      'liquidjs_xss_vulnerability.yml:1 missing-level',
      // selection_attack_protection's list items are all commented out: data.type: null never holds.
      'logins_or_signups_from_suspicious_ips.yml:18 null-on-always-present-field selection_attack_protection',
      'logins_or_signups_from_suspicious_ips.yml:78 missing-level',
      'many_failed_authorization_requests.yml:1 missing-level',
      'many_unverified_accounts_created.yml:72 missing-level',
      'mfa_downgrade_disable_mfa_policies.yml:1 missing-level',
      // gte: 1 / gte: 0 count conditions: every group alerts.
      'refresh_token_from_multiple_user_agent.yml:74 missing-level',
      'refresh_token_from_multiple_user_agent.yml:75 correlation-every-group',
      'refresh_token_from_too_many_locations.yml:74 missing-level',
      'refresh_token_from_too_many_locations.yml:75 correlation-every-group',
      'refresh_token_reuse.yml:61 missing-level',
      'refresh_token_reuse.yml:62 correlation-every-group',
      'refresh_token_reuse.yml:71 correlation-field-ignored',
      'risk_of_signup_fraud_by_disposable_domains.yml:69 missing-level',
      'risk_of_signup_fraud_by_disposable_domains.yml:70 correlation-every-group',
      'risk_of_signup_fraud_by_volume.yml:83 missing-level',
      'risk_of_signup_fraud_by_volume.yml:84 correlation-every-group',
      'risk_of_signup_fraud_by_volume.yml:94 correlation-field-ignored',
      // The allowlist lives at data.details.request.body.allowlist: the filter never excludes anything.
      'unrecognized_ip_in_allowlist.yml:25 unknown-field filter',
      'unrecognized_ip_in_allowlist.yml:27 negation-excludes-nothing filter',
    ]);
    // signup_pwd_leak is a documented code (no schema file): no warning on it.
    expect(warnings.join('\n')).not.toContain('unknown-log-type');
  });
});

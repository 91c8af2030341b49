// Several Auth0 tenants in one stack (docs/channels.md#several-tenants): the `tenants` context key, a list of
// partner event sources with, per tenant, an optional name, dashboard domain, minimum level and placeholder
// values (the API Explorer client id differs per tenant). Read by lib/config.ts with the other keys; every
// problem names the tenant entry and the field.

import { SIGMA_LEVELS, type Level } from '../lambda/sigma/types';

export interface TenantConfig {
  /** What detections, notifications, findings and chat cards call the tenant. */
  name: string;
  eventSourceName: string;
  auth0Domain?: string;
  /** Rules below it are not deployed for this tenant; unset = the global `minLevel`. */
  minLevel?: Level;
  /** Over the global `placeholders` (a name given here wins). */
  placeholders: Record<string, string | string[]>;
}

export const TENANT_CONTEXT_KEYS = ['tenants'] as const;

const PARTNER_SOURCE = /^aws\.partner\/auth0\.com\/([^/\s]+)\/auth0\.logs$/;
const TENANT_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;
const AUTH0_DOMAIN = /^([a-z0-9][a-z0-9-]*)(?:\.([a-z0-9][a-z0-9-]*))?\.auth0\.com$/;
const PLACEHOLDER_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const FIELDS = ['name', 'eventSourceName', 'auth0Domain', 'minLevel', 'placeholders'];
const EXAMPLE =
  '[{"name": "prod", "eventSourceName": "aws.partner/auth0.com/acme-prod-0a1b2c/auth0.logs", "auth0Domain": "acme-prod.eu.auth0.com", ' +
  '"placeholders": {"api_explorer_client_id": "AbC123"}}, {"name": "dev", "eventSourceName": "...", "minLevel": "high"}]';

/**
 * The tenant part of a partner event source name: `aws.partner/auth0.com/acme-prod-0a1b2c/auth0.logs` → `acme-prod`
 * (Auth0 appends an id after the last dash).
 */
export function tenantNameFromSource(eventSourceName: string): string | undefined {
  const segment = PARTNER_SOURCE.exec(eventSourceName)?.[1];
  if (!segment) return undefined;
  const dash = segment.lastIndexOf('-');
  const name = (dash > 0 ? segment.slice(0, dash) : segment).replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 63);
  return TENANT_NAME.test(name) ? name : undefined;
}

/** `tenants`: a JSON list in cdk.json, JSON text with -c. Undefined when not given. */
export function readTenants(raw: unknown, problems: string[]): TenantConfig[] | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  let value = raw;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch (err) {
      problems.push(`'tenants' is not valid JSON (${(err as Error).message}): write a JSON list, e.g. ${EXAMPLE}`);
      return undefined;
    }
  }
  if (!Array.isArray(value) || value.length === 0) {
    problems.push(`'tenants' must be a non-empty JSON list of tenants, e.g. ${EXAMPLE}`);
    return undefined;
  }
  const tenants: TenantConfig[] = [];
  value.forEach((entry, index) => {
    const where = `'tenants'[${index}]`;
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
      problems.push(`${where} must be an object with at least "eventSourceName", got ${JSON.stringify(entry)}`);
      return;
    }
    const t = entry as Record<string, unknown>;
    let ok = true;
    const fail = (message: string): void => {
      ok = false;
      problems.push(`${where}: ${message}`);
    };
    for (const key of Object.keys(t)) {
      if (!FIELDS.includes(key)) fail(`unknown field '${key}' (the fields are ${FIELDS.join(', ')})`);
    }
    const eventSourceName = typeof t.eventSourceName === 'string' ? t.eventSourceName.trim() : '';
    if (!PARTNER_SOURCE.test(eventSourceName)) {
      fail(`"eventSourceName" ${eventSourceName ? `'${eventSourceName}' ` : ''}must be an Auth0 partner event source name, ` +
        'aws.partner/auth0.com/<tenant>-<id>/auth0.logs (run: aws events list-event-sources --name-prefix aws.partner/auth0.com)');
    }
    const name = t.name === undefined ? tenantNameFromSource(eventSourceName) : typeof t.name === 'string' ? t.name.trim() : '';
    if (name === undefined || !TENANT_NAME.test(name)) {
      if (t.name !== undefined || PARTNER_SOURCE.test(eventSourceName)) {
        fail(`"name" ${JSON.stringify(t.name ?? name)} must be 1 to 63 letters, digits, - and _, starting with a letter or digit (e.g. "prod")`);
      }
    }
    let auth0Domain: string | undefined;
    if (t.auth0Domain !== undefined) {
      auth0Domain = typeof t.auth0Domain === 'string' ? t.auth0Domain.trim().toLowerCase().replace(/^https?:\/\//, '').replace(/\/+$/, '') : '';
      if (!AUTH0_DOMAIN.test(auth0Domain)) fail(`"auth0Domain" ${JSON.stringify(t.auth0Domain)} is not a canonical Auth0 domain <tenant>.<region>.auth0.com (not a custom domain)`);
    }
    let minLevel: Level | undefined;
    if (t.minLevel !== undefined) {
      const level = typeof t.minLevel === 'string' ? t.minLevel.trim().toLowerCase() : '';
      if ((SIGMA_LEVELS as readonly string[]).includes(level)) minLevel = level as Level;
      else fail(`"minLevel" ${JSON.stringify(t.minLevel)} is not a Sigma level: use one of ${SIGMA_LEVELS.join(', ')}`);
    }
    const placeholders: Record<string, string | string[]> = {};
    if (t.placeholders !== undefined) {
      if (t.placeholders === null || typeof t.placeholders !== 'object' || Array.isArray(t.placeholders)) {
        fail(`"placeholders" must be an object mapping a placeholder name to a string or a list of strings`);
      } else {
        for (const [key, v] of Object.entries(t.placeholders as Record<string, unknown>)) {
          if (!PLACEHOLDER_NAME.test(key)) fail(`"placeholders": '${key}' is not a placeholder name (a letter or _ followed by letters, digits, _ . -)`);
          else if (typeof v === 'string' || typeof v === 'number') placeholders[key] = String(v);
          else if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string' || typeof x === 'number')) placeholders[key] = v.map(String);
          else fail(`"placeholders": the value of '${key}' must be a string or a non-empty list of strings, got ${JSON.stringify(v)}`);
        }
      }
    }
    if (ok && name !== undefined) tenants.push({ name, eventSourceName, auth0Domain, minLevel, placeholders });
  });
  const seen = (pick: (t: TenantConfig) => string, what: string): void => {
    const counts = new Map<string, number>();
    for (const t of tenants) counts.set(pick(t), (counts.get(pick(t)) ?? 0) + 1);
    for (const [value, n] of counts) if (n > 1) problems.push(`'tenants': ${n} tenants have the ${what} '${value}': each needs its own`);
  };
  seen((t) => t.name, 'name');
  seen((t) => t.eventSourceName, 'eventSourceName');
  return tenants;
}

// Shared test material for the Lambda tests: the seed rule loaded through the real loader, events in the
// EventBridge envelope Auth0 log streams produce, and a Telemetry that records what was logged and counted.

import * as path from 'node:path';
import { loadRules } from '../../lambda/sigma/loader';
import type { RuleSetModel } from '../../lambda/sigma/types';
import type { LoggerLike, MetricName, Telemetry } from '../../lambda/pipeline-types';

export const ROOT = path.join(__dirname, '..', '..');
export const SEED_RULE_FILE = path.join(ROOT, 'rules', 'api_explorer_token_copy.yml');
export const SEED_RULE_ID = '90a9a856-716d-11f0-bb81-723487b9527c';
export const API_EXPLORER_CLIENT_ID = 'AbCdEf0123456789';

export function seedModel(): RuleSetModel {
  const result = loadRules([SEED_RULE_FILE], {
    placeholders: { api_explorer_client_id: API_EXPLORER_CLIENT_ID },
    unresolvedPlaceholders: 'error',
    root: ROOT,
  });
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) throw new Error(`seed rule did not load: ${JSON.stringify(errors)}`);
  return result.model;
}

export function auth0Envelope(data: Record<string, unknown>, logId = '90020250917101112223344556677889900112233445566778899'): Record<string, unknown> {
  return {
    version: '0',
    id: 'c5f3b1d2-0000-4000-8000-000000000001',
    'detail-type': 'Auth0 log',
    source: 'aws.partner/auth0.com/acme-1234/auth0.logs',
    account: '123456789012',
    time: '2025-09-17T10:11:12Z',
    region: 'eu-west-1',
    resources: [],
    detail: { log_id: logId, data: { log_id: logId, ...data } },
  };
}

/** The event the seed rule exists for: the API Explorer token copied in the Dashboard. */
export function seedEvent(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return auth0Envelope({
    date: '2025-09-17T10:11:12.123Z',
    type: 'seccft',
    description: 'Client Credentials for Access Token',
    client_id: API_EXPLORER_CLIENT_ID,
    client_name: 'API Explorer Application',
    ip: '203.0.113.7',
    user_agent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/141.0',
    hostname: 'acme.eu.auth0.com',
    user_id: 'auth0|66aa00bb11cc22dd33ee44ff',
    user_name: 'admin@acme.example',
    tenant_name: 'acme',
    audience: 'https://acme.eu.auth0.com/api/v2/',
    scope: 'read:users update:users',
    ...overrides,
  });
}

export class RecordingTelemetry implements Telemetry {
  readonly counts: { metric: MetricName; value: number; dimensions?: Record<string, string> }[] = [];
  readonly lines: { level: string; message: string; extra?: Record<string, unknown> }[] = [];
  flushes = 0;
  readonly logger: LoggerLike = {
    debug: (message, extra) => this.lines.push({ level: 'debug', message, extra }),
    info: (message, extra) => this.lines.push({ level: 'info', message, extra }),
    warn: (message, extra) => this.lines.push({ level: 'warn', message, extra }),
    error: (message, extra) => this.lines.push({ level: 'error', message, extra }),
  };

  count(metric: MetricName, value = 1, dimensions?: Record<string, string>): void {
    this.counts.push({ metric, value, dimensions });
  }

  total(metric: MetricName): number {
    return this.counts.filter((c) => c.metric === metric).reduce((sum, c) => sum + c.value, 0);
  }

  flush(): void {
    this.flushes++;
  }
}

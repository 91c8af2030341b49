// Correlation with several tenants, through the real detector and sweep on dynalite: each tenant's events are
// counted in its own groups (the same IP or user on two tenants is two groups), each tenant's correlations come
// from its own rule set, windows closed by the sweep are delivered with their tenant and its dashboard link, and
// storm-control budgets are per tenant. Single-tenant keys are unchanged (state from before an upgrade is kept).

import { PublishCommand, SNSClient, type PublishCommandInput } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { createRuntime, runInvocation, type DetectorRuntime } from '../../lambda/handler';
import { detectionKey } from '../../lambda/reliability/ledger';
import { ENV_NOTIFICATION_BUDGETS } from '../../lambda/reliability/storm';
import { groupKeyOf } from '../../lambda/sigma/correlation-limits';
import { Correlator, tenantGroupKey } from '../../lambda/sigma/correlation';
import { MemoryCorrelationStore } from '../../lambda/sigma/correlation-store';
import { loadRulesFromText } from '../../lambda/sigma/loader';
import type { Detection, RuleSetModel } from '../../lambda/sigma/types';
import { createSweepRuntime, runSweep } from '../../lambda/sweep';
import type { TenantBundle } from '../../lambda/tenants';
import { startDynalite, type LocalDynamo } from '../helpers/dynalite';
import { fewLoginsRules } from './correlation-rule-fixtures';
import { RecordingTelemetry, auth0Envelope } from './detector-fixtures';

const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:detections';
const PROD_SOURCE = 'aws.partner/auth0.com/acme-prod-0a1b2c/auth0.logs';
const DEV_SOURCE = 'aws.partner/auth0.com/acme-dev-3d4e5f/auth0.logs';
const BURST_ID = '0b7a3c52-61d4-4f0e-9d8b-5a1e2f3c4d01';
const FEW_LOGINS_ID = '0b7a3c52-61d4-4f0e-9d8b-5a1e2f3c4d02';

// Test-only rules. On arrival: 3 failed logins from one IP within 10 minutes. At close: a user with fewer than 3
// successful logins in the 10 minutes after the first one (correlation-rule-fixtures.ts).
const DETECTIONS = `title: Failed login
name: failed_login
logsource: { product: auth0 }
detection:
  sel: { data.type: f }
  condition: sel
level: informational
`;
const BURST = `title: Failed logins from one IP
id: ${BURST_ID}
level: high
correlation:
  type: event_count
  rules: [failed_login]
  group-by: [data.ip]
  timespan: 10m
  condition: { gte: 3 }
`;
const FEW_LOGINS = fewLoginsRules(FEW_LOGINS_ID);

function rules(...parts: string[]): RuleSetModel {
  const loaded = loadRulesFromText([{ file: 'test-rules/tenant_correlation.yml', text: parts.join('---\n') }], { unresolvedPlaceholders: 'error' });
  expect(loaded.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return loaded.model;
}

/** Both tenants with every rule, unless `devModel` gives dev another rule set (as its minLevel would). */
function bundle(devModel: RuleSetModel = rules(DETECTIONS, BURST, FEW_LOGINS)): TenantBundle {
  const prod = rules(DETECTIONS, BURST, FEW_LOGINS);
  return {
    ...prod,
    tenants: [
      { name: 'prod', eventSourceName: PROD_SOURCE, auth0Domain: 'acme-prod.eu.auth0.com', model: prod },
      { name: 'dev', eventSourceName: DEV_SOURCE, auth0Domain: 'acme-dev.us.auth0.com', model: devModel },
    ],
  };
}

const snsMock = mockClient(SNSClient);
let local: LocalDynamo;

beforeAll(async () => {
  local = await startDynalite();
});

afterAll(async () => {
  await local?.stop();
});

beforeEach(() => {
  snsMock.reset();
  snsMock.on(PublishCommand).resolves({ MessageId: 'm' });
});

async function environment(extra: Record<string, string> = {}): Promise<Record<string, string>> {
  return { SIGMA_TOPIC_ARN: TOPIC, SIGMA_CORRELATION_TABLE: await local.createTable(), ...extra };
}

function detector(env: Record<string, string>, model: RuleSetModel, clock?: () => number): DetectorRuntime {
  return createRuntime(env, { model, telemetry: new RecordingTelemetry(), snsClient: new SNSClient({}), dynamoDbClient: local.client, clock });
}

function sweepAt(env: Record<string, string>, model: RuleSetModel, now: number) {
  return createSweepRuntime(env, { model, telemetry: new RecordingTelemetry(), clock: () => now, snsClient: new SNSClient({}), dynamoDbClient: local.client });
}

function event(source: string, data: Record<string, unknown>, logId: string): Record<string, unknown> {
  return { ...auth0Envelope(data, logId), source };
}

const failed = (source: string, date: string, logId: string) => event(source, { type: 'f', date, ip: '203.0.113.9', user_name: 'mallory' }, logId);
const login = (source: string, user: string, date: string, logId: string) => event(source, { type: 's', date, user_id: user, ip: '198.51.100.4' }, logId);

/** The detection messages of one rule, with their email and SMS texts. */
function published(ruleId: string): { detection: Detection & { tenant?: string }; email: string; sms: string }[] {
  return snsMock.commandCalls(PublishCommand)
    .map((c) => c.args[0].input as PublishCommandInput)
    .filter((p) => p.MessageAttributes?.rule_id?.StringValue === ruleId)
    .map((p) => {
      const body = JSON.parse(p.Message!) as { default: string; email: string; sms: string };
      return { detection: JSON.parse(body.default) as Detection & { tenant?: string }, email: body.email, sms: body.sms };
    });
}

test('the same IP failing on two tenants is counted per tenant, and the detection carries its tenant', async () => {
  const model = bundle();
  const rt = detector(await environment(), model);
  // Two failures on each tenant: four from the IP in all, but two per tenant, so nothing fires.
  await runInvocation(rt, failed(PROD_SOURCE, '2026-11-20T10:00:10.000Z', 'p-1'));
  await runInvocation(rt, failed(DEV_SOURCE, '2026-11-20T10:00:20.000Z', 'd-1'));
  await runInvocation(rt, failed(PROD_SOURCE, '2026-11-20T10:01:00.000Z', 'p-2'));
  await runInvocation(rt, failed(DEV_SOURCE, '2026-11-20T10:01:30.000Z', 'd-2'));
  expect(published(BURST_ID)).toEqual([]);
  // The third on prod fires prod's correlation only.
  await runInvocation(rt, failed(PROD_SOURCE, '2026-11-20T10:02:00.000Z', 'p-3'));
  const [burst, ...more] = published(BURST_ID);
  expect(more).toEqual([]);
  expect(burst.detection.tenant).toBe('prod');
  expect(burst.detection.correlation).toMatchObject({ value: 3, group: { 'data.ip': '203.0.113.9' } });
  expect([...burst.detection.correlation!.log_ids].sort()).toEqual(['p-1', 'p-2', 'p-3']);
  expect(burst.email).toMatch(/^Tenant: +prod$/m);
  expect(burst.email).toContain('https://manage.auth0.com/dashboard/eu/acme-prod/logs/p-');
  expect(burst.sms).toMatch(/ t=prod$/);
  // The third on dev fires dev's, with dev's events only.
  await runInvocation(rt, failed(DEV_SOURCE, '2026-11-20T10:02:30.000Z', 'd-3'));
  const dev = published(BURST_ID).find((p) => p.detection.tenant === 'dev')!;
  expect([...dev.detection.correlation!.log_ids].sort()).toEqual(['d-1', 'd-2', 'd-3']);
  expect(dev.email).toContain('https://manage.auth0.com/dashboard/us/acme-dev/logs/d-');
});

test('each tenant correlates with its own rule set: a correlation missing from one tenant\'s rules never fires there', async () => {
  const model = bundle(rules(DETECTIONS, FEW_LOGINS)); // dev without the burst rule (e.g. a higher minLevel)
  const rt = detector(await environment(), model);
  for (const [i, date] of ['10:00:10', '10:00:20', '10:00:30', '10:00:40'].entries()) {
    await runInvocation(rt, failed(DEV_SOURCE, `2026-11-20T${date}.000Z`, `d-${i}`));
  }
  expect(published(BURST_ID)).toEqual([]);
  expect(rt.correlator?.stats().correlatedEvents).toBe(0);
  for (const [i, date] of ['10:00:10', '10:00:20', '10:00:30'].entries()) {
    await runInvocation(rt, failed(PROD_SOURCE, `2026-11-20T${date}.000Z`, `p-${i}`));
  }
  expect(published(BURST_ID).map((p) => p.detection.tenant)).toEqual(['prod']);
});

test('the sweep closes each tenant\'s windows with its tenant: detections carry it and link to its dashboard', async () => {
  const env = await environment();
  const model = bundle();
  const rt = detector(env, model);
  // The same user on both tenants, 2 logins on each: 4 in all (would not fire), 2 per tenant (fires on each).
  await runInvocation(rt, login(PROD_SOURCE, 'auth0|a', '2026-11-20T10:00:10.000Z', 'p-a1'));
  await runInvocation(rt, login(DEV_SOURCE, 'auth0|a', '2026-11-20T10:00:20.000Z', 'd-a1'));
  await runInvocation(rt, login(PROD_SOURCE, 'auth0|a', '2026-11-20T10:04:00.000Z', 'p-a2'));
  await runInvocation(rt, login(DEV_SOURCE, 'auth0|a', '2026-11-20T10:05:00.000Z', 'd-a2'));
  // A dev user with 3 logins does not fire.
  for (const [i, date] of ['10:01:00', '10:02:00', '10:03:00'].entries()) await runInvocation(rt, login(DEV_SOURCE, 'auth0|b', `2026-11-20T${date}.000Z`, `d-b${i}`));
  expect(published(FEW_LOGINS_ID)).toEqual([]);

  expect(await runSweep(sweepAt(env, model, Date.parse('2026-11-20T10:11:00.000Z')))).toEqual({ windowsClosed: 3, detections: 2 });
  const byTenant = new Map(published(FEW_LOGINS_ID).map((p) => [p.detection.tenant, p]));
  expect([...byTenant.keys()].sort()).toEqual(['dev', 'prod']);
  const prod = byTenant.get('prod')!;
  expect(prod.detection.correlation).toMatchObject({ value: 2, group: { 'data.user_id': 'auth0|a' } });
  expect([...prod.detection.correlation!.log_ids].sort()).toEqual(['p-a1', 'p-a2']);
  expect(prod.email).toMatch(/^Tenant: +prod$/m);
  expect(prod.email).toContain('First log: https://manage.auth0.com/dashboard/eu/acme-prod/logs/p-a');
  const dev = byTenant.get('dev')!;
  expect([...dev.detection.correlation!.log_ids].sort()).toEqual(['d-a1', 'd-a2']);
  expect(dev.email).toContain('First log: https://manage.auth0.com/dashboard/us/acme-dev/logs/d-a');
  expect(dev.sms).toMatch(/ t=dev$/);
  // Closed and delivered once.
  expect(await runSweep(sweepAt(env, model, Date.parse('2026-11-20T10:12:00.000Z')))).toEqual({ windowsClosed: 0, detections: 0 });
  expect(published(FEW_LOGINS_ID)).toHaveLength(2);
});

test('storm-control budgets are per tenant: a storm on one tenant does not silence another, and its summary names it', async () => {
  const budgets = JSON.stringify({ windowMinutes: 1, budgets: { high: { email: 1, sms: 1 } } });
  const env = await environment({ [ENV_NOTIFICATION_BUDGETS]: budgets });
  const model = bundle();
  const now = Date.parse('2026-11-20T10:00:05.000Z');
  const rt = detector(env, model, () => now);
  // Three IPs bursting on prod (3 high detections: 2 over the budget of 1), then one on dev.
  for (const ip of ['203.0.113.1', '203.0.113.2', '203.0.113.3']) {
    for (let i = 0; i < 3; i++) await runInvocation(rt, event(PROD_SOURCE, { type: 'f', date: `2026-11-20T10:00:0${i}.000Z`, ip }, `p-${ip}-${i}`));
  }
  for (let i = 0; i < 3; i++) await runInvocation(rt, event(DEV_SOURCE, { type: 'f', date: `2026-11-20T10:00:0${i}.000Z`, ip: '203.0.113.1' }, `d-${i}`));
  const notified = published(BURST_ID).map((p) => p.detection.tenant);
  expect(notified).toEqual(['prod', 'dev']);

  await runSweep(sweepAt(env, model, now + 10 * 60_000));
  const summaries = snsMock.commandCalls(PublishCommand)
    .map((c) => JSON.parse(c.args[0].input.Message!) as { default: string; email: string; sms: string })
    .filter((m) => (JSON.parse(m.default) as { summary?: unknown }).summary !== undefined);
  expect(summaries).toHaveLength(1);
  expect(JSON.parse(summaries[0].default)).toMatchObject({ summary: { tenant: 'prod', total: 3, rule: { id: BURST_ID } } });
  expect(summaries[0].email).toMatch(/^Tenant: +prod$/m);
  expect(summaries[0].sms).toMatch(/ t=prod$/);
});

test('a single tenant keeps today\'s keys: group keys, windows and ledger keys carry no tenant', async () => {
  const model = rules(DETECTIONS, FEW_LOGINS);
  const store = new MemoryCorrelationStore();
  const single = new Correlator(model.rules, store);
  const tenanted = new Correlator(model.rules, store, { tenant: 'prod' });
  const loginEvent = (user: string) => ({ log_id: `l-${user}`, data: { type: 's', user_id: user, date: '2026-11-20T10:00:10.000Z' } });
  const match = [{ rule: { id: model.rules[1].id } }];
  await single.processEvent(loginEvent('auth0|a') as never, match);
  await tenanted.processEvent(loginEvent('auth0|a') as never, match);
  const windows = await store.dueWindows(Infinity, 10);
  expect(windows.map((w) => [w.groupKey, w.tenant])).toEqual(expect.arrayContaining([
    [groupKeyOf(['auth0|a']), undefined],
    [tenantGroupKey('prod', ['auth0|a']), 'prod'],
  ]));
  expect(tenantGroupKey('prod', ['auth0|a'])).not.toBe(tenantGroupKey('dev', ['auth0|a']));
  // Closing: each window by its own correlator; only the tenanted detection carries the tenant.
  const closed = await single.closeWindows(Infinity, (w) => (w.tenant === 'prod' ? tenanted : single));
  expect(closed.map((d) => (d as Detection & { tenant?: string }).tenant).sort()).toEqual(['prod', undefined].sort());
  const [withTenant, without] = [closed.find((d) => 'tenant' in d)!, closed.find((d) => !('tenant' in d))!];
  expect(detectionKey(without)).toMatch(/^C#[^#]+#G#/);
  expect(detectionKey(withTenant)).toMatch(/^C#[^#]+#T#prod#G#/);
});

// Several tenants in one detector: each event is evaluated with the rule set of the tenant whose event source sent
// it (its own placeholder values), every detection records the tenant, and every channel shows it.

import { BatchImportFindingsCommand, SecurityHubClient, type AwsSecurityFinding } from '@aws-sdk/client-securityhub';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { createRuntime, runInvocation } from '../../lambda/handler';
import { ENV_CHAT_MIN_LEVEL, ENV_CHAT_TOPIC_ARN, ENV_SECURITY_HUB_PRODUCT_ARN } from '../../lambda/notify/channel-constants';
import { ENV_TOPIC_ARN } from '../../lambda/notify/constants';
import type { ChatNotification } from '../../lambda/notify/chat-message';
import { loadRules } from '../../lambda/sigma/loader';
import type { RuleSetModel } from '../../lambda/sigma/types';
import { eventSource, recordedTenant, TenantRouter, type TenantBundle } from '../../lambda/tenants';
import { RecordingTelemetry, ROOT, SEED_RULE_FILE, seedEvent } from './detector-fixtures';

const PROD_SOURCE = 'aws.partner/auth0.com/acme-prod-0a1b2c/auth0.logs';
const DEV_SOURCE = 'aws.partner/auth0.com/acme-dev-3d4e5f/auth0.logs';
const PROD_CLIENT = 'ProdExplorer0001';
const DEV_CLIENT = 'DevExplorer00002';
const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:detections';
const CHAT_TOPIC = 'arn:aws:sns:eu-west-1:123456789012:chat';

const snsMock = mockClient(SNSClient);
const hubMock = mockClient(SecurityHubClient);

function modelFor(clientId: string): RuleSetModel {
  const result = loadRules([SEED_RULE_FILE], { placeholders: { api_explorer_client_id: clientId }, unresolvedPlaceholders: 'error', root: ROOT });
  expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return result.model;
}

function bundle(): TenantBundle {
  const prod = modelFor(PROD_CLIENT);
  return {
    ...prod,
    tenants: [
      { name: 'prod', eventSourceName: PROD_SOURCE, auth0Domain: 'acme-prod.eu.auth0.com', model: prod },
      { name: 'dev', eventSourceName: DEV_SOURCE, auth0Domain: 'acme-dev.us.auth0.com', model: modelFor(DEV_CLIENT) },
    ],
  };
}

/** The seed event as the given tenant's event source sends it. */
function tenantEvent(source: string, clientId: string, data: Record<string, unknown> = {}): Record<string, unknown> {
  const event = seedEvent({ client_id: clientId, ...data });
  // Without the log's tenant_name unless the test gives one: the tenant then comes from the event source.
  if (!('tenant_name' in data)) delete (event.detail as { data: Record<string, unknown> }).data.tenant_name;
  return { ...event, source };
}

beforeEach(() => {
  snsMock.reset();
  hubMock.reset();
  snsMock.on(PublishCommand).resolves({ MessageId: 'm' });
  hubMock.on(BatchImportFindingsCommand).resolves({ FailedCount: 0, SuccessCount: 1 });
});

function runtime() {
  return createRuntime(
    {
      [ENV_TOPIC_ARN]: TOPIC, [ENV_CHAT_TOPIC_ARN]: CHAT_TOPIC, [ENV_CHAT_MIN_LEVEL]: 'low',
      [ENV_SECURITY_HUB_PRODUCT_ARN]: 'arn:aws:securityhub:eu-west-1:123456789012:product/123456789012/default',
    },
    { model: bundle(), telemetry: new RecordingTelemetry(), snsClient: new SNSClient({}), securityHubClient: new SecurityHubClient({}) },
  );
}

test('each event is evaluated with its own tenant\'s placeholder values', async () => {
  const rt = runtime();
  expect((await runInvocation(rt, tenantEvent(PROD_SOURCE, PROD_CLIENT))).detections).toBe(1);
  expect((await runInvocation(rt, tenantEvent(DEV_SOURCE, PROD_CLIENT))).detections).toBe(0); // prod's client id means nothing in dev
  expect((await runInvocation(rt, tenantEvent(DEV_SOURCE, DEV_CLIENT))).detections).toBe(1);
  expect((await runInvocation(rt, tenantEvent(PROD_SOURCE, DEV_CLIENT))).detections).toBe(0);
});

test('the tenant is recorded in the detection and shown by email, SMS, chat and Security Hub, with its own dashboard link', async () => {
  await runInvocation(runtime(), tenantEvent(DEV_SOURCE, DEV_CLIENT));
  const publishes = snsMock.commandCalls(PublishCommand).map((c) => c.args[0].input);
  const detectionMessage = publishes.find((p) => p.TopicArn === TOPIC)!;
  const body = JSON.parse(detectionMessage.Message!) as { default: string; email: string; sms: string };
  expect(JSON.parse(body.default)).toMatchObject({ tenant: 'dev' });
  expect(body.email).toMatch(/^Tenant: +dev$/m);
  expect(body.email).toContain('https://manage.auth0.com/dashboard/us/acme-dev/logs/');
  expect(body.sms).toMatch(/ t=dev$/);
  const card = JSON.parse(publishes.find((p) => p.TopicArn === CHAT_TOPIC)!.Message!) as ChatNotification;
  expect(card.content.title).toMatch(/\(dev\)$/);
  expect(card.content.description).toContain('https://manage.auth0.com/dashboard/us/acme-dev/logs/');
  const finding = hubMock.commandCalls(BatchImportFindingsCommand)[0].args[0].input.Findings![0] as AwsSecurityFinding;
  expect(finding.ProductFields!['auth0-sigma/Tenant']).toBe('dev');
  expect(finding.Id).toMatch(/^auth0-sigma\/dev\//);
});

test('the log\'s tenant_name, when present, is the recorded tenant', async () => {
  await runInvocation(runtime(), tenantEvent(PROD_SOURCE, PROD_CLIENT, { tenant_name: 'acme-production' }));
  const message = snsMock.commandCalls(PublishCommand).map((c) => c.args[0].input).find((p) => p.TopicArn === TOPIC)!;
  expect(JSON.parse((JSON.parse(message.Message!) as { default: string }).default)).toMatchObject({ tenant: 'acme-production' });
  expect(recordedTenant({ detection: { rule: { id: 'r', title: 't', level: 'low', tags: [] } }, event: { data: { tenant_name: '  ' } } }, 'prod')).toBe('prod');
});

test('routing: by the envelope source; anything else goes to the first tenant', () => {
  expect(eventSource({ source: PROD_SOURCE })).toBe(PROD_SOURCE);
  expect(eventSource({ log_id: 'x' })).toBeUndefined();
  expect(eventSource('text')).toBeUndefined();
  const rt = runtime();
  const router = rt.router as TenantRouter;
  expect(router.tenantCount).toBe(2);
  expect(router.pipelineFor({ source: DEV_SOURCE })).not.toBe(router.pipelineFor({ source: PROD_SOURCE }));
  expect(router.pipelineFor({ log_id: 'raw' })).toBe(router.pipelineFor({ source: PROD_SOURCE }));
  expect(rt.sinks?.map((s) => s.name)).toEqual(['sns', 'chat', 'securityhub', 'sns', 'chat', 'securityhub']);
});

test('a single-tenant rule set has no router and records no tenant (today\'s detections are unchanged)', async () => {
  const { tenants: _unused, ...single } = bundle();
  const rt = createRuntime({ [ENV_TOPIC_ARN]: TOPIC }, { model: single, telemetry: new RecordingTelemetry(), snsClient: new SNSClient({}) });
  expect(rt.router).toBeUndefined();
  await runInvocation(rt, tenantEvent(PROD_SOURCE, PROD_CLIENT));
  const message = snsMock.commandCalls(PublishCommand)[0].args[0].input;
  expect(JSON.parse((JSON.parse(message.Message!) as { default: string }).default).tenant).toBeUndefined();
});

// One detection rendered for every channel (email, SMS, EventBridge, chat, Security Hub), from an ordinary event
// and from a hostile, oversized one: each output fits its channel's limits and names the tenant where it has room.

import { PutEventsCommand, EventBridgeClient, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { buildChatNotification } from '../../lambda/notify/chat-message';
import { entrySize, EventBridgeNotifier } from '../../lambda/notify/eventbridge-publisher';
import { buildFinding, FINDING_LIMITS } from '../../lambda/notify/securityhub-finding';
import { buildSnsMessage, SMS_MAX, SUBJECT_MAX } from '../../lambda/notify/sns-message';
import { buildDetection } from '../../lambda/sigma/detection';
import { normalizeEvent } from '../../lambda/sigma/events';
import { CompiledRuleSet } from '../../lambda/sigma/ruleset';
import type { Detection, NormalizedEvent } from '../../lambda/sigma/types';
import { expectValidCard } from '../helpers/chat-card';
import { expectWithinPlatformLimits } from './chat-limits';
import { seedEvent, seedModel } from './detector-fixtures';

const SNS_MESSAGE_MAX_BYTES = 256 * 1024;
const EVENTBRIDGE_ENTRY_MAX_BYTES = 256 * 1024;
const FINDING_MAX_BYTES = 240 * 1024;
const PRODUCT_ARN = 'arn:aws:securityhub:eu-west-1:123456789012:product/123456789012/default';
const DOMAIN = 'acme.eu.auth0.com';

const ebMock = mockClient(EventBridgeClient);

function detect(raw: unknown): { detection: Detection; event: NormalizedEvent } {
  const normalized = normalizeEvent(raw);
  if ('error' in normalized) throw new Error(normalized.error);
  const [match] = new CompiledRuleSet(seedModel()).match(normalized.event);
  expect(match).toBeDefined();
  return { detection: buildDetection(match, normalized.event), event: normalized.event };
}

const huge = 'A'.repeat(200_000);
const cases: [string, Record<string, unknown>][] = [
  ['an ordinary event', seedEvent()],
  ['a hostile, oversized event', seedEvent({
    user_name: `${huge}\n<script>@channel https://evil.example\u202e`,
    user_agent: huge,
    tenant_name: `acme\u0000${'t'.repeat(5000)}`,
    client_name: '\u0000'.repeat(1000),
    scope: huge,
  })],
];

describe.each(cases)('%s', (_name, raw) => {
  const { detection, event } = detect(raw);

  test('email and SMS (SNS): message within 256 KB, subject and SMS within their limits, tenant in the email', () => {
    const message = buildSnsMessage(detection, { event, auth0Domain: DOMAIN });
    expect(Buffer.byteLength(message.message, 'utf8')).toBeLessThanOrEqual(SNS_MESSAGE_MAX_BYTES);
    expect(message.subject.length).toBeLessThanOrEqual(SUBJECT_MAX);
    expect(message.sms.length).toBeLessThanOrEqual(SMS_MAX);
    expect(message.email).toMatch(/^Tenant: +acme/m);
  });

  test('EventBridge: one entry within 256 KB', async () => {
    ebMock.reset();
    ebMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: '1' }] });
    await new EventBridgeNotifier(new EventBridgeClient({}), { eventBusName: 'default' }).deliver([{ detection, event }]);
    const entries = ebMock.commandCalls(PutEventsCommand).flatMap((c) => c.args[0].input.Entries as PutEventsRequestEntry[]);
    expect(entries).toHaveLength(1);
    expect(entrySize(entries[0])).toBeLessThanOrEqual(EVENTBRIDGE_ENTRY_MAX_BYTES);
  });

  test('chat: a valid custom notification within every bound and the SNS, Slack and Teams limits, naming the tenant', () => {
    const card = expectWithinPlatformLimits(expectValidCard(buildChatNotification(detection, { event, auth0Domain: DOMAIN })));
    expect(card.content.description).toMatch(/^\*Tenant:\* acme/m);
  });

  test('Security Hub: a finding within every ASFF field limit and 240 KB, naming the tenant', () => {
    const finding = buildFinding(detection, { productArn: PRODUCT_ARN, event, auth0Domain: DOMAIN, now: new Date('2026-12-02T05:00:00Z') });
    expect(Buffer.byteLength(JSON.stringify(finding), 'utf8')).toBeLessThanOrEqual(FINDING_MAX_BYTES);
    expect(finding.Id!.length).toBeLessThanOrEqual(FINDING_LIMITS.id);
    expect(finding.Title!.length).toBeLessThanOrEqual(FINDING_LIMITS.title);
    expect(finding.Description!.length).toBeLessThanOrEqual(FINDING_LIMITS.description);
    if (finding.Remediation) expect(finding.Remediation.Recommendation!.Text!.length).toBeLessThanOrEqual(FINDING_LIMITS.remediationText);
    expect(finding.ProductFields!['auth0-sigma/Tenant']).toMatch(/^acme/);
  });
});

// Chat cards: the AWS Chatbot custom-notification shape (documented fields: version "1.0", source "custom",
// content {textType, title, description, nextSteps, keywords}, metadata {threadId, summary, eventType,
// relatedResources, additionalContext}), our bounds, hostile text, the level filter and partial failures.

import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import * as fc from 'fast-check';
import { buildChatNotification, CHAT_EVENT_TYPE, CHAT_LIMITS, type ChatNotification } from '../../lambda/notify/chat-message';
import { ChatNotifier } from '../../lambda/notify/chat-publisher';
import { DeliveryError } from '../../lambda/notify/delivery-error';
import type { Detection } from '../../lambda/sigma/types';
import { expectValidCard } from '../helpers/chat-card';
import { sampleDetection } from '../helpers/sample-detection';
import { expectWithinPlatformLimits } from './chat-limits';

const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:chat';
const snsMock = mockClient(SNSClient);

const detection = (overrides: Partial<Detection> = {}, meta: Record<string, unknown> = {}): Detection =>
  sampleDetection({ user_name: 'admin', ...overrides }, meta, ['attack.credential_access', 'attack.t1528', 'auth0.tenant']);
const event = { data: { tenant_name: 'acme', user_agent: 'curl/8.0' } };

beforeEach(() => snsMock.reset());

test('the card: level, title, tenant, what happened, who and from where, what to do, dashboard link', () => {
  const card = expectValidCard(buildChatNotification(detection(), { event, auth0Domain: 'acme.eu.auth0.com' }));
  expect(card.content.title).toBe(':red_circle: HIGH: Token copied from the API Explorer (acme)');
  const description = card.content.description.split('\n');
  expect(description).toEqual(expect.arrayContaining([
    '*Level:* HIGH',
    '*Tenant:* acme',
    '*What happened:* Someone copied a Management API token.',
    '*Who:* admin (auth0|abc)',
    '*From:* IP 203.0.113.7, application API Explorer Application (AbCdEf0123456789)',
    '*User agent:* curl/8.0',
    `*Auth0 Dashboard:* https://manage.auth0.com/dashboard/eu/acme/logs/${detection().log_id}`,
  ]));
  expect(card.content.nextSteps).toEqual([
    'Restrict Dashboard admins.',
    'Rotate the token.',
    `Open the log entry in the Auth0 Dashboard: https://manage.auth0.com/dashboard/eu/acme/logs/${detection().log_id}`,
  ]);
  expect(card.content.keywords).toEqual(['high', 'acme', 'attack.credential_access', 'attack.t1528']);
  expect(card.metadata).toMatchObject({ eventType: CHAT_EVENT_TYPE, summary: 'HIGH: Token copied from the API Explorer (acme)', additionalContext: { level: 'high', tenant: 'acme' } });
});

test('the rule description stands in when there is no explanation; no dashboard line without auth0Domain', () => {
  const card = expectValidCard(buildChatNotification(detection({}, { explanation: undefined, description: 'Described.' }), { event }));
  expect(card.content.description).toContain('*What happened:* Described.');
  expect(card.content.description).not.toContain('Dashboard');
  expect(card.content.nextSteps).toEqual(['Restrict Dashboard admins.', 'Rotate the token.']);
});

test('one card per detection; the same detection has the same id and thread; another log id another card id', () => {
  const a = buildChatNotification(detection(), { event });
  const b = buildChatNotification(detection(), { event });
  const c = buildChatNotification(detection({ log_id: 'other' }), { event });
  expect(b.id).toBe(a.id);
  expect(c.id).not.toBe(a.id);
  expect(c.metadata.threadId).toBe(a.metadata.threadId);
});

test('hostile log text cannot link, mention the channel, forge lines or break the markup', () => {
  const card = expectValidCard(buildChatNotification(detection({
    user_name: 'eve\n*Level:* INFORMATIONAL <!here> @channel https://evil.example/x &amp; \u202e',
    client_name: '<https://evil.example|click me>',
  }), { event }));
  const text = JSON.stringify(card);
  expect(text).not.toMatch(/https:\/\/evil/);
  expect(text).not.toMatch(/[<>\u202e]/);
  expect(text).not.toMatch(/[@!](here|channel)\b/);
  expect(card.content.description.split('\n').filter((l) => l.startsWith('*Level:*'))).toEqual(['*Level:* HIGH']);
  expect(card.content.description).toContain('&amp;amp;');
});

test('property: any title, user and prevention text gives a valid card within every bound', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 3000 }), fc.string({ unit: 'binary', maxLength: 3000 }), fc.array(fc.string({ maxLength: 2000 }), { maxLength: 30 }), (title, user, prevention) => {
      const d = detection({ user_name: user, client_name: user }, { prevention });
      d.rule.title = title;
      expectWithinPlatformLimits(expectValidCard(buildChatNotification(d, { event: { data: { tenant_name: user } }, auth0Domain: 'acme.eu.auth0.com' })));
    }),
    { numRuns: 200 },
  );
});

test('a card at every bound, astral characters and quotes throughout, fits SNS, Slack and Teams', () => {
  // Each character is 4 bytes in UTF-8 and in UTF-16 (and a quote doubles when escaped): the worst case per field.
  const wide = (n: number): string => '\u{1F6A8}"'.repeat(n);
  const d = detection({
    user_name: wide(5000), user_id: wide(5000), client_name: wide(5000), client_id: wide(5000), ip: wide(5000),
  }, { explanation: wide(5000), prevention: Array.from({ length: 20 }, () => wide(5000)) });
  d.rule.title = wide(5000);
  d.rule.tags = Array.from({ length: 30 }, (_, i) => `attack.${i}${wide(100)}`);
  const card = expectWithinPlatformLimits(expectValidCard(buildChatNotification(d, {
    event: { data: { tenant_name: wide(5000), user_agent: wide(5000) } }, auth0Domain: 'acme.eu.auth0.com',
  })));
  // Every bounded field is at its bound (one less where a cut would split a surrogate pair), so the sizes above
  // are the worst case, not those of a small card.
  const atBound = (text: string, bound: number): void => expect(text.length).toBeGreaterThanOrEqual(bound - 1);
  atBound(card.content.title, CHAT_LIMITS.title);
  atBound(card.metadata.summary, CHAT_LIMITS.summary);
  atBound(card.content.description, CHAT_LIMITS.description);
  expect(card.content.nextSteps).toHaveLength(CHAT_LIMITS.nextSteps);
  for (const step of card.content.nextSteps.slice(0, -1)) atBound(step, CHAT_LIMITS.nextStep);
  expect(card.content.keywords).toHaveLength(CHAT_LIMITS.keywords);
  expect(card.metadata.relatedResources).toHaveLength(CHAT_LIMITS.relatedResources);
  expect(Object.keys(card.metadata.additionalContext)).toHaveLength(CHAT_LIMITS.contextValues);
  expect(Buffer.byteLength(JSON.stringify(card), 'utf16le')).toBeGreaterThan(15_000);
});

describe('the sink', () => {
  test('publishes the card as the whole message, only at or above the chat minimum level', async () => {
    snsMock.on(PublishCommand).resolves({ MessageId: 'm' });
    const sink = new ChatNotifier(new SNSClient({}), { topicArn: TOPIC, minLevel: 'high', auth0Domain: 'acme.eu.auth0.com' });
    await sink.deliver([
      { detection: detection(), event },
      { detection: detection({ log_id: 'x' }, {}), event },
      { detection: { ...detection(), rule: { ...detection().rule, level: 'medium' } }, event },
    ]);
    const calls = snsMock.commandCalls(PublishCommand);
    expect(calls).toHaveLength(2);
    for (const call of calls) {
      const input = call.args[0].input;
      expect(input.TopicArn).toBe(TOPIC);
      expect(input.MessageStructure).toBeUndefined();
      expectValidCard(JSON.parse(input.Message!) as ChatNotification);
    }
  });

  test('a failed publish is thrown with its index; the others were sent', async () => {
    snsMock.on(PublishCommand).callsFake((input: { Message: string }) => {
      if ((JSON.parse(input.Message) as ChatNotification).metadata.additionalContext.logId === 'bad') throw Object.assign(new Error('Rate exceeded'), { name: 'Throttling' });
      return { MessageId: 'm' };
    });
    const sink = new ChatNotifier(new SNSClient({}), { topicArn: TOPIC, minLevel: 'low' });
    const error = await sink.deliver([{ detection: detection(), event }, { detection: detection({ log_id: 'bad' }), event }]).then(() => undefined, (err: unknown) => err);
    expect(error).toBeInstanceOf(DeliveryError);
    expect((error as DeliveryError).failures).toEqual([expect.objectContaining({ index: 1, logId: 'bad' })]);
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(2);
  });
});

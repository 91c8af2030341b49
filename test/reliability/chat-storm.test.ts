// Storm control of the chat cards (docs/channels.md#storm-control-in-chat) on dynalite, SNS mocked: a storm of one
// rule posts at most its chat budget of cards per window, then one summary card after the window, exactly once;
// detections under the chat minimum level are neither recorded nor counted; tenants have their own budgets; the
// email/SMS budgets are counted apart. Through createReliability and createSinks, as the detector and sweep build them.

import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import type { ChatNotification } from '../../lambda/notify/chat-message';
import { buildChatNotification } from '../../lambda/notify/chat-message';
import { buildChatSummary } from '../../lambda/notify/chat-summary';
import { createSinks } from '../../lambda/pipeline-sinks';
import type { DetectionSink } from '../../lambda/pipeline-types';
import { ExactlyOnceSink } from '../../lambda/reliability/exactly-once-sink';
import { detectionKey } from '../../lambda/reliability/ledger';
import { createReliability, type Reliability } from '../../lambda/reliability/runtime';
import { DEFAULT_CHAT_BUDGETS, StormControl, STORM_SCOPES, type StormSummary } from '../../lambda/reliability/storm';
import type { Detection, Level } from '../../lambda/sigma/types';
import { expectValidCard } from '../helpers/chat-card';
import { startDynalite, type LocalDynamo } from '../helpers/dynalite';
import { expectWithinPlatformLimits } from '../lambda/chat-limits';

const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:detections';
const CHAT_TOPIC = 'arn:aws:sns:eu-west-1:123456789012:chat';
const HOUR = 3_600_000;
const T0 = Date.parse('2026-03-01T10:00:00Z');
const RULE = 'aaaaaaaa-1111-4222-8333-444444444444';

const sns = mockClient(SNSClient);
let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(async () => {
  await dynamo.stop();
  sns.restore();
});
beforeEach(() => {
  sns.reset();
  sns.on(PublishCommand).resolves({ MessageId: 'm' });
});

function detection(logId: string, level: Level = 'high', tenant?: string): Detection {
  return {
    rule: { id: RULE, title: 'Password spraying', level, tags: ['attack.credential_access'] },
    log_id: logId, date: '2026-03-01T10:05:00.000Z', type: 'fp', user_name: 'eve', ip: '203.0.113.9',
    ...(tenant === undefined ? {} : { tenant }),
  } as Detection;
}

async function setUp(budgets = '{"budgets": {"high": {"chat": 2}}}', extraEnv: Record<string, string> = {}): Promise<{ reliability: Reliability; sinks: DetectionSink[]; table: string }> {
  const table = await dynamo.createTable();
  const env = {
    SIGMA_CORRELATION_TABLE: table, SIGMA_NOTIFICATION_BUDGETS: budgets, SIGMA_TOPIC_ARN: TOPIC,
    SIGMA_CHAT_TOPIC_ARN: CHAT_TOPIC, SIGMA_CHAT_MIN_LEVEL: 'high', ...extraEnv,
  };
  const snsClient = new SNSClient({ region: 'eu-west-1' });
  const reliability = createReliability(env, { dynamoDbClient: dynamo.client, snsClient, clock: () => T0 + 5 * 60_000 })!;
  return { reliability, sinks: reliability.wrapSinks(createSinks(env, { snsClient })), table };
}

const published = (topic: string): string[] => sns.commandCalls(PublishCommand).filter((c) => c.args[0].input.TopicArn === topic).map((c) => c.args[0].input.Message!);
const chatSink = (sinks: DetectionSink[]): ExactlyOnceSink => sinks.find((s) => s.name === 'chat') as ExactlyOnceSink;
async function deliverAll(sinks: DetectionSink[], detections: Detection[]): Promise<void> {
  for (const d of detections) for (const sink of sinks) await sink.deliver([{ detection: d }]);
}

test('a storm of one rule: chat posts its budget of cards, email and SMS keep their own budgets', async () => {
  const { sinks } = await setUp();
  const storm = Array.from({ length: 7 }, (_, i) => detection(`log-${i}`));
  await deliverAll(sinks, storm);
  expect(published(CHAT_TOPIC)).toHaveLength(2);
  expect(chatSink(sinks).stats).toMatchObject({ sent: 2, suppressed: 5 });
  // Email (high: 10 an hour) still got all seven; SMS (high: 3) three: chat's budget is counted apart.
  const snsMessages = sns.commandCalls(PublishCommand).filter((c) => c.args[0].input.TopicArn === TOPIC);
  expect(snsMessages).toHaveLength(7);
  expect(snsMessages.filter((c) => c.args[0].input.MessageAttributes?.channels?.StringValue?.includes('sms'))).toHaveLength(3);

  // A retry of the whole storm (Lambda redelivering the events) posts nothing more and charges nothing.
  sns.resetHistory();
  await deliverAll(sinks, storm);
  expect(published(CHAT_TOPIC)).toHaveLength(0);
  expect(chatSink(sinks).stats.duplicates).toBe(7);
});

test('under the chat minimum level: no card, no ledger record, no budget charged', async () => {
  const { sinks, table } = await setUp();
  await deliverAll(sinks, [detection('m-1', 'medium'), detection('m-2', 'medium'), detection('h-1', 'high')]);
  expect(published(CHAT_TOPIC)).toHaveLength(1);
  const chatBudget = await dynamo.client.send(new QueryCommand({ TableName: table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: `BUDGET#CHAT#${RULE}` } } }));
  expect(chatBudget.Items?.map((i) => i.n?.N)).toEqual(['1']);
  // The medium detection's ledger records: the other sinks' (they take every level), none for chat.
  const records = await dynamo.client.send(new QueryCommand({ TableName: table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: `N#${detectionKey(detection('m-1', 'medium'))}` } } }));
  expect((records.Items ?? []).map((i) => i.sk?.S).sort()).toEqual(['sns']);
});

test('after the window: one summary card in the rule\'s thread, once; the SMS summary separately', async () => {
  const { reliability, sinks } = await setUp();
  await deliverAll(sinks, Array.from({ length: 7 }, (_, i) => detection(`log-${i}`)));
  const cardThread = (JSON.parse(published(CHAT_TOPIC)[0]) as ChatNotification).metadata.threadId;
  sns.resetHistory();

  // Not before the window (and its grace minute) has ended.
  expect((await reliability.flushSummaries(T0 + HOUR)).sent).toEqual([]);
  const flushed = await reliability.flushSummaries(T0 + HOUR + 2 * 60_000);
  expect(flushed.sent.map((s) => s.suppressed)).toEqual(expect.arrayContaining([{ email: 0, sms: 4 }, { chat: 5 }]));
  const [summaryText] = published(CHAT_TOPIC);
  const summary = expectWithinPlatformLimits(expectValidCard(JSON.parse(summaryText) as ChatNotification));
  expect(summary.content.title).toBe(':warning: HIGH: 5 more detection(s) of Password spraying');
  expect(summary.content.description).toContain('*Detections:* 7 in this window, 5 not posted here (over the chat budget)');
  expect(summary.content.description).toContain('*Window:* 2026-03-01T10:00:00.000Z to 2026-03-01T11:00:00.000Z');
  expect(summary.metadata.threadId).toBe(cardThread);
  const smsSummary = sns.commandCalls(PublishCommand).filter((c) => c.args[0].input.TopicArn === TOPIC);
  expect(smsSummary).toHaveLength(1);
  expect(smsSummary[0].args[0].input.MessageAttributes?.channels?.StringValue).toBe('["sms"]');

  sns.resetHistory();
  expect((await reliability.flushSummaries(T0 + HOUR + 3 * 60_000)).sent).toEqual([]);
  expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
});

test('a failed summary post stays due for the next sweep, and the SNS summary is not held back by it', async () => {
  const { reliability, sinks } = await setUp();
  await deliverAll(sinks, Array.from({ length: 4 }, (_, i) => detection(`log-${i}`)));
  sns.reset();
  sns.on(PublishCommand, { TopicArn: CHAT_TOPIC }).rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }));
  sns.on(PublishCommand, { TopicArn: TOPIC }).resolves({ MessageId: 'm' });
  await expect(reliability.flushSummaries(T0 + 2 * HOUR)).rejects.toThrow('Rate exceeded');
  expect(published(TOPIC)).toHaveLength(1);
  sns.reset();
  sns.on(PublishCommand).resolves({ MessageId: 'm' });
  expect((await reliability.flushSummaries(T0 + 2 * HOUR)).sent.map((s) => s.suppressed)).toEqual([{ chat: 2 }]);
  expect(published(CHAT_TOPIC)).toHaveLength(1);
  expect(published(TOPIC)).toHaveLength(0);
});

test('several tenants: a storm on one tenant never silences another\'s cards', async () => {
  const { sinks } = await setUp();
  await deliverAll(sinks, [detection('d-1', 'high', 'dev'), detection('d-2', 'high', 'dev'), detection('d-3', 'high', 'dev'), detection('p-1', 'high', 'prod')]);
  const cards = published(CHAT_TOPIC).map((m) => JSON.parse(m) as ChatNotification);
  expect(cards.map((c) => c.metadata.additionalContext.tenant)).toEqual(['dev', 'dev', 'prod']);
});

test('defaults: a chat budget per level as email; a configuration without chat budgets uses them', async () => {
  const { sinks } = await setUp('{}');
  await deliverAll(sinks, Array.from({ length: DEFAULT_CHAT_BUDGETS.high + 3 }, (_, i) => detection(`log-${i}`)));
  expect(published(CHAT_TOPIC)).toHaveLength(DEFAULT_CHAT_BUDGETS.high);
  const chatStorm = new StormControl({ client: dynamo.client, tableName: 't', scope: STORM_SCOPES.chat });
  for (const level of ['informational', 'low', 'medium', 'high', 'critical'] as const) expect(chatStorm.budget(level, 'chat')).toBe(DEFAULT_CHAT_BUDGETS[level]);
});

test('no chat topic, or storm control off: no chat budget', async () => {
  const table = await dynamo.createTable();
  expect(createReliability({ SIGMA_CORRELATION_TABLE: table, SIGMA_NOTIFICATION_BUDGETS: '{}', SIGMA_TOPIC_ARN: TOPIC }, { dynamoDbClient: dynamo.client })!.chatStorm).toBeUndefined();
  expect(createReliability({ SIGMA_CORRELATION_TABLE: table, SIGMA_CHAT_TOPIC_ARN: CHAT_TOPIC }, { dynamoDbClient: dynamo.client })!.chatStorm).toBeUndefined();
});

test('the summary card: hostile rule title and tenant are cleaned, and it fits every bound', () => {
  const summary: StormSummary = {
    ruleId: RULE, tenant: `acme <!here> ${'\u{1F6A8}'.repeat(400)}`, title: `<https://evil.example|click> @channel ${'"'.repeat(2000)}`,
    level: 'critical', windowStart: '2026-03-01T10:00:00.000Z', windowEnd: '2026-03-01T11:00:00.000Z', total: 10_000, suppressed: { chat: 9_980 },
  };
  const card = expectWithinPlatformLimits(expectValidCard(buildChatSummary(summary)));
  const text = JSON.stringify(card);
  expect(text).not.toMatch(/https:\/\/evil/);
  expect(text).not.toMatch(/[<>]/);
  expect(text).not.toMatch(/[@!](here|channel)\b/);
  expect(card.content.title.startsWith(':warning: CRITICAL: 9980 more detection(s) of ')).toBe(true);
  // The same thread as the rule's cards for that tenant.
  const cardOfTenant = buildChatNotification({ ...detection('x', 'critical'), tenant: summary.tenant } as Detection);
  expect(card.metadata.threadId).toBe(cardOfTenant.metadata.threadId);
});

// The storm-summary subject through the real sweep (issue 14): SNS refuses a subject of 100 characters or more,
// and the summary subject of a rule with a long title used to be exactly 100 — the publish failed, the summary
// stayed due and every sweep (every minute) failed the same way. SNS is mocked with that validation.

import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { StormControl } from '../../lambda/reliability/storm';
import { createSweepRuntime, runSweep } from '../../lambda/sweep';
import { RecordingTelemetry, seedModel } from '../lambda/detector-fixtures';
import { startDynalite, type LocalDynamo } from '../helpers/dynalite';

const snsMock = mockClient(SNSClient);
let local: LocalDynamo;

beforeAll(async () => {
  local = await startDynalite();
});

afterAll(async () => {
  await local.stop();
});

test('a rule with a long title over its budget: the sweep sends its summary with a subject SNS accepts', async () => {
  snsMock.reset();
  snsMock.on(PublishCommand).callsFake((input: { Subject?: string }) => {
    const subject = input.Subject ?? '';
    if (subject.length >= 100 || !/^[\x21-\x7e][\x20-\x7e]*$/.test(subject)) {
      throw Object.assign(new Error('Invalid parameter: Subject'), { name: 'InvalidParameterException', $metadata: { httpStatusCode: 400 } });
    }
    return { MessageId: 'm' };
  });
  const table = await local.createTable();
  const windowStart = Date.parse('2026-11-20T09:00:00.000Z');
  const storm = new StormControl({ client: local.client, tableName: table, clock: () => windowStart + 60_000 });
  // informational: 2 emails and 1 SMS per hour; the title is long enough to fill any subject.
  const rule = { id: 'long-title', title: `Informational rule with a long title ${'x'.repeat(200)}`, level: 'informational' as const, tags: [] };
  for (let i = 0; i < 9; i++) await storm.admit({ rule, log_id: `L${i}` });

  const telemetry = new RecordingTelemetry();
  const sweepAt = (ms: number) => createSweepRuntime(
    { SIGMA_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:t', SIGMA_CORRELATION_TABLE: table, SIGMA_NOTIFICATION_BUDGETS: '{}' },
    { model: seedModel(), telemetry, clock: () => ms, dynamoDbClient: local.client, snsClient: new SNSClient({ region: 'eu-west-1' }) },
  );
  const summary = await runSweep(sweepAt(windowStart + 3_600_000 + 61_000));
  expect(summary.summaries).toBe(1);
  const subjects = snsMock.commandCalls(PublishCommand).map((c) => c.args[0].input.Subject ?? '');
  expect(subjects).toHaveLength(1);
  expect(subjects[0]).toMatch(/^\[auth0-sigma\] INFORMATIONAL: 7 more: Informational rule with a long title x+ \.\.\.$/);
  expect(subjects[0]).toHaveLength(99);
  // Sent once: the next sweep has nothing left to summarise and succeeds.
  expect((await runSweep(sweepAt(windowStart + 3_600_000 + 121_000))).summaries).toBeUndefined();
});

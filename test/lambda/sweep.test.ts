// The correlation sweep handler: an at-close correlation (`lt`) on dynalite, fed by the detector runtime, decided
// by the sweep once the window's end has passed, delivered through SNS and EventBridge (mocked).

import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { createRuntime, runInvocation } from '../../lambda/handler';
import { createSweepRuntime, runSweep, type SweepRuntime } from '../../lambda/sweep';
import { loadRulesFromText } from '../../lambda/sigma/loader';
import type { Detection, RuleSetModel } from '../../lambda/sigma/types';
import { startDynalite, type LocalDynamo } from '../helpers/dynalite';
import { fewLoginsRules } from './correlation-rule-fixtures';
import { RecordingTelemetry, auth0Envelope, seedModel } from './detector-fixtures';
import { mockSinks } from '../helpers/sink-mocks';

const TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:Auth0Sigma-Topic';
const BUS_ARN = 'arn:aws:events:eu-west-1:123456789012:event-bus/default';
const CORRELATION_ID = '5e0c7d1a-2b9f-4c4e-9a51-0d6f3c2b7e11';

// Users with fewer than 3 successful logins within 10 minutes of their first one (only the sweep can fire it).
const RULES = fewLoginsRules(CORRELATION_ID);

const { sns: snsMock, eb: ebMock, reset: resetSinks } = mockSinks();

let local: LocalDynamo;
let model: RuleSetModel;

beforeAll(async () => {
  local = await startDynalite();
  const loaded = loadRulesFromText([{ file: 'test-rules/few_logins.yml', text: RULES }], { unresolvedPlaceholders: 'error' });
  expect(loaded.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  model = loaded.model;
  expect(model.rules.map((r) => r.kind)).toEqual(['detection', 'correlation']);
});

afterAll(async () => {
  await local?.stop();
});

beforeEach(() => {
  resetSinks();
});

function login(userId: string, date: string, logId: string): Record<string, unknown> {
  return auth0Envelope({ type: 's', date, user_id: userId, user_name: `${userId}@example.com`, ip: '198.51.100.4' }, logId);
}

async function setUp(): Promise<{ env: Record<string, string>; telemetry: RecordingTelemetry; sweepAt: (iso: string) => SweepRuntime }> {
  const table = await local.createTable();
  const env = { SIGMA_TOPIC_ARN: TOPIC_ARN, SIGMA_DETECTION_BUS: BUS_ARN, SIGMA_CORRELATION_TABLE: table };
  const telemetry = new RecordingTelemetry();
  const detector = createRuntime(env, { model, telemetry, snsClient: new SNSClient({ region: 'eu-west-1' }), eventBridgeClient: new EventBridgeClient({ region: 'eu-west-1' }), dynamoDbClient: local.client });
  // user A: 2 logins (fires at close), user B: 3 logins (does not).
  const events = [
    login('auth0|a', '2026-11-20T10:00:10.000Z', 'log-a1'),
    login('auth0|b', '2026-11-20T10:00:20.000Z', 'log-b1'),
    login('auth0|a', '2026-11-20T10:04:00.000Z', 'log-a2'),
    login('auth0|b', '2026-11-20T10:05:00.000Z', 'log-b2'),
    login('auth0|b', '2026-11-20T10:06:00.000Z', 'log-b3'),
  ];
  for (const event of events) expect((await runInvocation(detector, event)).detections).toBe(0);
  expect(snsMock.commandCalls(PublishCommand)).toHaveLength(0);
  const sweepAt = (iso: string): SweepRuntime => createSweepRuntime(env, {
    model, telemetry, clock: () => Date.parse(iso), dynamoDbClient: local.client,
    snsClient: new SNSClient({ region: 'eu-west-1' }), eventBridgeClient: new EventBridgeClient({ region: 'eu-west-1' }),
  });
  return { env, telemetry, sweepAt };
}

test('an at-close condition fires through the sweep once its window has closed, and only once', async () => {
  const { sweepAt } = await setUp();

  // Before the windows end (10:10): nothing is decided yet.
  expect(await runSweep(sweepAt('2026-11-20T10:09:59.000Z'))).toEqual({ windowsClosed: 0, detections: 0 });
  expect(snsMock.commandCalls(PublishCommand)).toHaveLength(0);

  const sweep = sweepAt('2026-11-20T10:11:00.000Z');
  expect(await runSweep(sweep)).toEqual({ windowsClosed: 2, detections: 1 });
  const publishes = snsMock.commandCalls(PublishCommand).map((c) => c.args[0].input);
  expect(publishes).toHaveLength(1);
  expect(publishes[0].MessageAttributes?.rule_id?.StringValue).toBe(CORRELATION_ID);
  const message = JSON.parse(publishes[0].Message!) as { default: string; email: string; sms: string };
  const detection = JSON.parse(message.default) as Detection;
  expect(detection.correlation).toEqual({
    type: 'event_count',
    group: { 'data.user_id': 'auth0|a' },
    value: 2,
    window: { start: '2026-11-20T10:00:00.000Z', end: '2026-11-20T10:10:00.000Z' },
    rules: [model.rules[0].id],
    log_ids: expect.arrayContaining(['log-a1', 'log-a2']),
  });
  expect(detection.correlation!.log_ids).toHaveLength(2);
  expect(detection.user_id).toBe('auth0|a');
  expect(message.email).toContain('  Event count: 2');
  expect(message.email).toContain('  Group data.user_id: auth0|a');
  expect(message.email).toContain('Who:          auth0|a');

  const entries = ebMock.commandCalls(PutEventsCommand).flatMap((c) => c.args[0].input.Entries ?? []);
  expect(entries).toHaveLength(1);
  expect((JSON.parse(entries[0].Detail!) as Detection).correlation?.group).toEqual({ 'data.user_id': 'auth0|a' });

  // Evaluated windows are gone: the next run (or an overlapping one) finds nothing.
  expect(await runSweep(sweep)).toEqual({ windowsClosed: 0, detections: 0 });
  expect(await runSweep(sweepAt('2026-11-20T10:12:00.000Z'))).toEqual({ windowsClosed: 0, detections: 0 });
  expect(snsMock.commandCalls(PublishCommand)).toHaveLength(1);
});

test('a delivery failure fails the sweep (its Errors alarm) and the detection is in the log', async () => {
  const { telemetry, sweepAt } = await setUp();
  snsMock.on(PublishCommand).rejects(new Error('KMS access denied'));
  await expect(runSweep(sweepAt('2026-11-20T10:11:00.000Z'))).rejects.toThrow();
  const logged = telemetry.lines.filter((l) => l.message === 'detection');
  expect(logged).toHaveLength(1);
  expect(logged[0].extra).toMatchObject({ rule_id: CORRELATION_ID, correlation: { value: 2 } });
  // The field name is made log-safe by the pipeline (`data.user_id`, or `data[.]user_id` where it is defanged like log content).
  expect(Object.entries((logged[0].extra as { correlation: { group: object } }).correlation.group)).toEqual([[expect.stringMatching(/^data(\.|\[\.\])user_id$/), 'auth0|a']]);
  expect(telemetry.total('PublishFailures')).toBe(1);
  // The other sink was still tried.
  expect(ebMock.commandCalls(PutEventsCommand)).toHaveLength(1);
  expect(telemetry.flushes).toBeGreaterThan(0);
});

test('a rule set without correlations sweeps nothing and touches no table', async () => {
  const sweep = createSweepRuntime({ SIGMA_TOPIC_ARN: TOPIC_ARN }, { model: seedModel(), telemetry: new RecordingTelemetry() });
  expect(sweep.correlator).toBeUndefined();
  expect(await runSweep(sweep)).toEqual({ windowsClosed: 0, detections: 0 });
});

// The detector with correlation rules, end to end: the real handler runtime, the DynamoDB correlation store on
// dynalite through the real AWS SDK client, SNS and EventBridge mocked by aws-sdk-client-mock. The shipped rule
// "Many failed logins from one IP address" is fed its own fixture sequences as EventBridge envelopes.

import * as path from 'node:path';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { createRuntime, runInvocation, type DetectorRuntime } from '../../lambda/handler';
import { CorrelationTableMissingError, createCorrelator } from '../../lambda/pipeline-correlation';
import { loadFixtureFile, type FixtureTest } from '../../lambda/sigma/fixtures';
import { loadRules } from '../../lambda/sigma/loader';
import type { Detection, RuleSetModel } from '../../lambda/sigma/types';
import { startDynalite, type LocalDynamo } from '../helpers/dynalite';
import { ROOT, RecordingTelemetry, auth0Envelope, seedModel } from './detector-fixtures';
import { mockSinks } from '../helpers/sink-mocks';

const RULE_FILE = path.join(ROOT, 'rules', 'login', 'failed_logins_from_one_ip.yml');
const FIXTURE_FILE = path.join(ROOT, 'rules', 'login', 'failed_logins_from_one_ip.test.yml');
const BASE_RULE_ID = '94590434-861b-44e3-a93c-7dae2972a61e';
const CORRELATION_ID = '062200e1-57a5-4d6c-b325-27bd67190183';
const TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:Auth0Sigma-Topic';
const BUS_ARN = 'arn:aws:events:eu-west-1:123456789012:event-bus/default';

const { sns: snsMock, eb: ebMock, reset: resetSinks } = mockSinks();

let local: LocalDynamo;
let model: RuleSetModel;
let sequences: FixtureTest[];

beforeAll(async () => {
  local = await startDynalite();
  const loaded = loadRules([RULE_FILE], { unresolvedPlaceholders: 'error', root: ROOT });
  expect(loaded.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  model = loaded.model;
  const fixtures = loadFixtureFile(FIXTURE_FILE);
  sequences = fixtures.tests.filter((t) => t.rule === CORRELATION_ID && t.sequence);
  expect(sequences).toHaveLength(2);
});

afterAll(async () => {
  await local?.stop();
});

let telemetry: RecordingTelemetry;

beforeEach(() => {
  resetSinks();
  telemetry = new RecordingTelemetry();
});

/** A runtime on a fresh table (isolated state), as a cold start with the construct's environment would build it. */
async function freshRuntime(): Promise<DetectorRuntime> {
  const table = await local.createTable();
  return createRuntime(
    { SIGMA_TOPIC_ARN: TOPIC_ARN, SIGMA_DETECTION_BUS: BUS_ARN, SIGMA_AUTH0_DOMAIN: 'acme.eu.auth0.com', SIGMA_CORRELATION_TABLE: table },
    { model, telemetry, snsClient: new SNSClient({ region: 'eu-west-1' }), eventBridgeClient: new EventBridgeClient({ region: 'eu-west-1' }), dynamoDbClient: local.client },
  );
}

/** The fixture events ({log_id, data}) as the EventBridge envelopes Auth0 log streams deliver. */
function envelopes(test: FixtureTest): Record<string, unknown>[] {
  return (test.sequence ?? []).map((e) => {
    const raw = e.raw as { log_id: string; data: Record<string, unknown> };
    return auth0Envelope(raw.data, raw.log_id);
  });
}

function logIdOf(envelope: Record<string, unknown>): string {
  return (envelope.detail as { log_id: string }).log_id;
}

describe('Many failed logins from one IP address, on dynalite', () => {
  test('fires exactly once, on the 10th failure, through SNS and EventBridge, and the base rule never notifies', async () => {
    const runtime = await freshRuntime();
    const events = envelopes(sequences[0]);
    expect(events).toHaveLength(12);
    const perEvent: number[] = [];
    for (const event of events) perEvent.push((await runInvocation(runtime, event)).detections);
    expect(perEvent).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0]);

    // Only the correlation notifies: the base rule (alerts: false) matched all 12 events without a message.
    const publishes = snsMock.commandCalls(PublishCommand).map((c) => c.args[0].input);
    expect(publishes).toHaveLength(1);
    const input = publishes[0];
    expect(input.MessageAttributes?.rule_id?.StringValue).toBe(CORRELATION_ID);
    expect(input.MessageAttributes?.level?.StringValue).toBe('high');
    expect(input.Subject).toBe('[auth0-sigma] HIGH: Many failed logins from one IP address');

    const firstTen = events.slice(0, 10).map(logIdOf);
    const message = JSON.parse(input.Message!) as { default: string; email: string; sms: string };
    const detection = JSON.parse(message.default) as Detection;
    expect(detection.rule.id).toBe(CORRELATION_ID);
    expect(detection.ip).toBe('203.0.113.66');
    expect(detection.correlation).toMatchObject({
      type: 'event_count',
      group: { 'data.ip': '203.0.113.66' },
      value: 10,
      rules: [BASE_RULE_ID],
    });
    const c = detection.correlation!;
    // 1-minute buckets: the window is the 10 buckets ending at the 10th event's minute (09:35).
    expect(c.window).toEqual({ start: '2026-11-20T09:26:00.000Z', end: '2026-11-20T09:36:00.000Z' });
    // Ten events over six 1-minute buckets, 32 log_id slots per bucket: all ten are kept.
    expect([...c.log_ids].sort()).toEqual([...firstTen].sort());

    expect(message.email).toContain('  Type: event_count');
    expect(message.email).toContain('  Event count: 10');
    expect(message.email).toContain('  Window: 2026-11-20T09:26:00.000Z to 2026-11-20T09:36:00.000Z');
    expect(message.email).toContain('  Group data.ip: 203.0.113.66');
    expect(message.email).toContain(`  Rules: Failed login attempt (base rule of a correlation) (${BASE_RULE_ID})`);
    expect(message.email).toContain(`  Log ids: ${c.log_ids.join(', ')}`);
    expect(message.email).toContain(`  First log: https://manage.auth0.com/dashboard/eu/acme/logs/${c.log_ids[0]}`);
    expect(message.email).toContain('From where:   IP 203.0.113.66');
    expect(message.sms).toBe('HIGH: Many failed logins from one IP address ip 203.0.113.66 n=10');

    const puts = ebMock.commandCalls(PutEventsCommand).flatMap((call) => call.args[0].input.Entries ?? []);
    expect(puts).toHaveLength(1);
    expect(puts[0]).toMatchObject({ Source: 'auth0-sigma', DetailType: 'Sigma detection', EventBusName: BUS_ARN });
    expect((JSON.parse(puts[0].Detail!) as Detection).correlation).toEqual(c);

    // The detection is logged with its group and window (it has no event of its own).
    const logged = telemetry.lines.filter((l) => l.message === 'detection');
    expect(logged).toHaveLength(1);
    expect(logged[0].extra).toMatchObject({ rule_id: CORRELATION_ID, correlation: { value: 10, window: c.window } });
    // The field name is made log-safe by the pipeline (`data.ip`, or `data[.]ip` where it is defanged like log content).
    expect(Object.entries((logged[0].extra as { correlation: { group: object } }).correlation.group)).toEqual([[expect.stringMatching(/^data(\.|\[\.\])ip$/), '203.0.113.66']]);
    expect(telemetry.total('EventsEvaluated')).toBe(12);
    // Per failed login one UpdateItem (the bucket) and one Query (window + group state); one conditional
    // UpdateItem (the alert-once marker) when it fires.
    expect(telemetry.total('CorrelationStoreCalls')).toBe(12 * 2 + 1);
  });

  test('the fixture sequence that must not fire sends nothing', async () => {
    const runtime = await freshRuntime();
    const events = envelopes(sequences[1]);
    expect(events.length).toBeGreaterThanOrEqual(19);
    let detections = 0;
    for (const event of events) detections += (await runInvocation(runtime, event)).detections;
    expect(detections).toBe(0);
    expect(telemetry.total('CorrelationStoreCalls')).toBe(events.length * 2);
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(0);
    expect(ebMock.commandCalls(PutEventsCommand)).toHaveLength(0);
  });

  test('a redelivered batch does not alert twice (events are not counted twice: lambda/reliability)', async () => {
    const runtime = await freshRuntime();
    const events = envelopes(sequences[0]);
    // Delivered as one batch (an array: redrive), then the same batch again, as at-least-once delivery may.
    expect((await runInvocation(runtime, events)).detections).toBe(1);
    // The retried event that fired hands its detection back for re-delivery; the ledger has it sent already.
    expect((await runInvocation(runtime, events)).detections).toBe(1);
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(1);
  });

  test('two cold starts (concurrent Lambdas with their own clients) share the state: one alert in total', async () => {
    const table = await local.createTable();
    const env = { SIGMA_TOPIC_ARN: TOPIC_ARN, SIGMA_CORRELATION_TABLE: table };
    const a = createRuntime(env, { model, telemetry, snsClient: new SNSClient({ region: 'eu-west-1' }), dynamoDbClient: local.newClient() });
    const b = createRuntime(env, { model, telemetry, snsClient: new SNSClient({ region: 'eu-west-1' }), dynamoDbClient: local.newClient() });
    const events = envelopes(sequences[0]);
    const results = await Promise.all(events.map((event, i) => runInvocation(i % 2 === 0 ? a : b, event)));
    expect(results.reduce((sum, r) => sum + r.detections, 0)).toBe(1);
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(1);
  });
});

describe('wiring', () => {
  test('a rule set with correlations and no table name is refused at start, naming the variable', () => {
    expect(() => createRuntime({ SIGMA_TOPIC_ARN: TOPIC_ARN }, { model, telemetry })).toThrow(CorrelationTableMissingError);
    expect(() => createCorrelator(model, {})).toThrow(/1 correlation rule\(s\) but SIGMA_CORRELATION_TABLE is not set/);
  });

  test('a rule set without correlations gets no correlator and needs no table', () => {
    expect(createCorrelator(seedModel(), {})).toBeUndefined();
    expect(createCorrelator(seedModel(), { SIGMA_CORRELATION_TABLE: 'ignored' })).toBeUndefined();
    expect(() => createRuntime({ SIGMA_TOPIC_ARN: TOPIC_ARN }, { model: seedModel(), telemetry })).not.toThrow();
  });
});

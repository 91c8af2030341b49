// The real handler runtime (engine + SNS + EventBridge sinks) with the AWS clients mocked by aws-sdk-client-mock.

import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { createRuntime, runInvocation, type DetectorRuntime } from '../../lambda/handler';
import { DETECTION_DETAIL_TYPE, DETECTION_EVENT_SOURCE } from '../../lambda/notify/constants';
import type { Detection } from '../../lambda/sigma/types';
import { RecordingTelemetry, SEED_RULE_ID, auth0Envelope, seedEvent, seedModel } from './detector-fixtures';
import { mockSinks } from '../helpers/sink-mocks';

const TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:Auth0Sigma-Topic';
const BUS_ARN = 'arn:aws:events:eu-west-1:123456789012:event-bus/default';
const ENV = { SIGMA_TOPIC_ARN: TOPIC_ARN, SIGMA_DETECTION_BUS: BUS_ARN, SIGMA_AUTH0_DOMAIN: 'acme.eu.auth0.com' };

const { sns: snsMock, eb: ebMock, reset: resetSinks } = mockSinks();
const model = seedModel();

let telemetry: RecordingTelemetry;
let runtime: DetectorRuntime;

beforeEach(() => {
  resetSinks();
  telemetry = new RecordingTelemetry();
  runtime = createRuntime(ENV, { model, telemetry, snsClient: new SNSClient({ region: 'eu-west-1' }), eventBridgeClient: new EventBridgeClient({ region: 'eu-west-1' }) });
});

describe('seed rule event', () => {
  test('gives exactly one SNS publish with the right subject, structure and attributes', async () => {
    const summary = await runInvocation(runtime, seedEvent());
    expect(summary).toEqual({ evaluated: 1, malformed: 0, detections: 1 });

    const publishes = snsMock.commandCalls(PublishCommand);
    expect(publishes).toHaveLength(1);
    const input = publishes[0].args[0].input;
    expect(input.TopicArn).toBe(TOPIC_ARN);
    expect(input.MessageStructure).toBe('json');

    expect(input.Subject).toBe('[auth0-sigma] MEDIUM: High Risk Actions - copying of the most powerful token through API Explorer');
    expect(input.Subject!.length).toBeLessThanOrEqual(100);
    expect(input.Subject).toMatch(/^[\x20-\x7e]+$/);

    expect(input.MessageAttributes).toEqual({
      level: { DataType: 'String', StringValue: 'medium' },
      rule_id: { DataType: 'String', StringValue: SEED_RULE_ID },
      tags: { DataType: 'String.Array', StringValue: JSON.stringify(['attack.credential-access', 'attack.t1528']) },
      'AWS.SNS.SMS.SMSType': { DataType: 'String', StringValue: 'Transactional' },
    });

    const message = JSON.parse(input.Message!) as { default: string; email: string; sms: string };
    expect(Object.keys(message).sort()).toEqual(['default', 'email', 'sms']);

    expect(message.sms.length).toBeLessThanOrEqual(140);
    expect(message.sms).toMatch(/^[\x20-\x7e]+$/);
    expect(message.sms).toMatch(/^MEDIUM: High Risk Actions/);
    expect(message.sms).toMatch(/ user admin@acme\[\.\]example ip 203\.0\.113\.7$/);

    const detection = JSON.parse(message.default) as Detection;
    expect(detection.rule.id).toBe(SEED_RULE_ID);
    expect(detection.log_id).toBe('90020250917101112223344556677889900112233445566778899');
    expect(detection.ip).toBe('203.0.113.7');

    expect(message.email).toContain('Level:        MEDIUM');
    expect(message.email).toContain(`Rule id:      ${SEED_RULE_ID}`);
    expect(message.email).toContain('Who:          admin@acme[.]example (auth0|66aa00bb11cc22dd33ee44ff)');
    expect(message.email).toContain('From where:   IP 203.0.113.7, user agent Mozilla/5.0 (X11; Linux x86_64) Firefox/141.0');
    expect(message.email).toContain('Application:  API Explorer Application (AbCdEf0123456789)');
    expect(message.email).toContain('Tenant:       acme');
    expect(message.email).toContain('When:         2025-09-17T10:11:12.123Z');
    expect(message.email).toContain(
      'Dashboard:    https://manage.auth0.com/dashboard/eu/acme/logs/90020250917101112223344556677889900112233445566778899',
    );
    expect(message.email).toMatch(/False positives:\n {2}- Legitimate access by an administrator/);
    expect(message.email).toMatch(/Prevention:\n {2}- Control tenant admins/);
    expect(message.email).toContain('Description:\n  The Auth0 Dashboard generates automatically');
  });

  test('gives exactly one PutEvents with the detection as detail', async () => {
    await runInvocation(runtime, seedEvent());
    const puts = ebMock.commandCalls(PutEventsCommand);
    expect(puts).toHaveLength(1);
    const entries = puts[0].args[0].input.Entries!;
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ EventBusName: BUS_ARN, Source: DETECTION_EVENT_SOURCE, DetailType: DETECTION_DETAIL_TYPE });
    const detail = JSON.parse(entries[0].Detail!) as Detection;
    expect(detail.rule).toMatchObject({ id: SEED_RULE_ID, level: 'medium' });
    expect(detail.matched).toEqual(['selection']);
  });

  test('counts the event and the detection per level and per rule, and flushes metrics', async () => {
    await runInvocation(runtime, seedEvent());
    expect(telemetry.total('EventsEvaluated')).toBe(1);
    expect(telemetry.counts).toContainEqual({ metric: 'Detections', value: 1, dimensions: { Level: 'medium' } });
    expect(telemetry.counts).toContainEqual({ metric: 'Detections', value: 1, dimensions: { RuleId: SEED_RULE_ID } });
    expect(telemetry.flushes).toBe(1);
  });
});

test('a non-matching event gives no publish and no PutEvents', async () => {
  const summary = await runInvocation(runtime, seedEvent({ client_id: 'SomeOtherClient000' }));
  expect(summary).toEqual({ evaluated: 1, malformed: 0, detections: 0 });
  expect(snsMock.commandCalls(PublishCommand)).toHaveLength(0);
  expect(ebMock.commandCalls(PutEventsCommand)).toHaveLength(0);
  expect(telemetry.total('EventsEvaluated')).toBe(1);
});

test('an event whose data.type is not a string is evaluated (no type-keyed rule matches it), not malformed', async () => {
  const summary = await runInvocation(runtime, auth0Envelope({ type: 42 }, 'def456'));
  expect(summary).toEqual({ evaluated: 1, malformed: 0, detections: 0 });
  expect(telemetry.total('MalformedEvents')).toBe(0);
});

describe('malformed events', () => {
  const secret = 'p4ssw0rd-in-the-event';
  const cases: [string, unknown][] = [
    ['an envelope whose detail has no data', { 'detail-type': 'Auth0 log', source: 'aws.partner/auth0.com/x/auth0.logs', detail: { log_id: 'abc123', secret } }],
    ['a string', 'not an event'],
    ['a number', 42],
    ['null', null],
  ];
  test.each(cases)('%s is counted and skipped without throwing', async (_name, event) => {
    const summary = await runInvocation(runtime, event);
    expect(summary).toEqual({ evaluated: 0, malformed: 1, detections: 0 });
    expect(telemetry.total('MalformedEvents')).toBe(1);
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(0);
    expect(ebMock.commandCalls(PutEventsCommand)).toHaveLength(0);
    // The log line names the log_id at most, never the event's content.
    expect(JSON.stringify(telemetry.lines)).not.toContain(secret);
  });

  test('the log line carries the log_id when the event has one', async () => {
    await runInvocation(runtime, cases[0][1]);
    const warning = telemetry.lines.find((l) => l.level === 'warn');
    expect(warning?.extra?.log_id).toBe('abc123');
  });
});

describe('delivery failures', () => {
  test('an SNS throttle makes the invocation fail (so Lambda retries it)', async () => {
    const throttle = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    snsMock.on(PublishCommand).rejects(throttle);
    await expect(runInvocation(runtime, seedEvent())).rejects.toThrow(/sns: 1 detection\(s\) not delivered.*ThrottlingException/);
    expect(telemetry.counts).toContainEqual({ metric: 'PublishFailures', value: 1, dimensions: { Sink: 'sns' } });
    // The other sink was still served, and metrics were flushed despite the failure.
    expect(ebMock.commandCalls(PutEventsCommand)).toHaveLength(1);
    expect(telemetry.flushes).toBe(1);
  });

  test('a failed PutEvents entry is retried and then succeeds', async () => {
    ebMock
      .on(PutEventsCommand)
      .resolvesOnce({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'ThrottlingException', ErrorMessage: 'slow down' }] })
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-2' }] });
    await expect(runInvocation(runtime, seedEvent())).resolves.toMatchObject({ detections: 1 });
    expect(ebMock.commandCalls(PutEventsCommand)).toHaveLength(2);
  });

  test('a PutEvents entry that keeps failing makes the invocation fail', async () => {
    ebMock.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'boom' }] });
    await expect(runInvocation(runtime, seedEvent())).rejects.toThrow(/eventbridge: 1 detection\(s\) not delivered.*InternalFailure/);
    expect(ebMock.commandCalls(PutEventsCommand)).toHaveLength(4);
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(1);
  });
});

test('with detection events turned off, only SNS is called', async () => {
  const snsOnly = createRuntime({ SIGMA_TOPIC_ARN: TOPIC_ARN }, { model, telemetry, snsClient: new SNSClient({ region: 'eu-west-1' }) });
  await runInvocation(snsOnly, seedEvent());
  expect(snsMock.commandCalls(PublishCommand)).toHaveLength(1);
  expect(ebMock.commandCalls(PutEventsCommand)).toHaveLength(0);
});

// Faults through the real handler and sweep: SNS and EventBridge mocked by aws-sdk-client-mock, DynamoDB on
// dynalite (through the real SDK client, with injected throttling and timeouts). Every test replays an event as
// Lambda would — the invocation, then up to 2 retries (≥ 1 min, then ≥ 2 min later), then the on-failure queue —
// and checks that every detection was delivered exactly once per destination, or sits in the dead-letter queue
// with what `auth0-sigma redrive` needs to process it again.

import * as path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { ChangeMessageVisibilityCommand, DeleteMessageCommand, ReceiveMessageCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { Readable, Writable } from 'node:stream';
import { runRedrive } from '../../bin/cli/redrive';
import { createRuntime, runInvocation, type DetectorRuntime } from '../../lambda/handler';
import { detectionKey } from '../../lambda/reliability/ledger';
import { createSweepRuntime, runSweep } from '../../lambda/sweep';
import { loadFixtureFile } from '../../lambda/sigma/fixtures';
import { loadRules, loadRulesFromText } from '../../lambda/sigma/loader';
import type { Detection, RuleSetModel } from '../../lambda/sigma/types';
import { startDynalite, type LocalDynamo } from '../helpers/dynalite';
import { API_EXPLORER_CLIENT_ID, RecordingTelemetry, ROOT, SEED_RULE_FILE, SEED_RULE_ID, auth0Envelope, seedEvent } from '../lambda/detector-fixtures';

const TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:Auth0Sigma-Topic';
const BUS_ARN = 'arn:aws:events:eu-west-1:123456789012:event-bus/default';
const CORRELATION_FILE = path.join(ROOT, 'rules', 'login', 'failed_logins_from_one_ip.yml');
const CORRELATION_ID = '062200e1-57a5-4d6c-b325-27bd67190183';
const SECOND_RULE_ID = '3f0c7b4e-9a51-4c0b-8d2e-5b1f7c9e0a11';
const T0 = Date.parse('2026-11-20T10:00:00.000Z');
const FUNCTION_TIMEOUT_MS = 30_000;
const LEASE_MS = 2 * FUNCTION_TIMEOUT_MS + 10_000;

const snsMock = mockClient(SNSClient);
const ebMock = mockClient(EventBridgeClient);
const sqsMock = mockClient(SQSClient);

let local: LocalDynamo;
let model: RuleSetModel;

beforeAll(async () => {
  local = await startDynalite();
  const rules = loadRules([SEED_RULE_FILE, CORRELATION_FILE], { placeholders: { api_explorer_client_id: API_EXPLORER_CLIENT_ID }, root: ROOT });
  // A second rule on the seed event, so one event gives two detections (partial failures need two).
  const second = loadRulesFromText([{
    file: 'second.yml',
    text: `title: Client credentials exchange\nid: ${SECOND_RULE_ID}\nlogsource: {product: auth0}\ndetection:\n  sel:\n    data.type: seccft\n  condition: sel\nlevel: low\n`,
  }]);
  const errors = [...rules.diagnostics, ...second.diagnostics].filter((d) => d.severity === 'error');
  expect(errors).toEqual([]);
  model = { ...rules.model, rules: [...rules.model.rules, ...second.model.rules] };
});

afterAll(async () => {
  await local?.stop();
});

// ---- the world: a clock, fault plans, and what was really delivered ------------------------------------------

let now = T0;
const clock = (): number => now;
let telemetry: RecordingTelemetry;
/** Successful deliveries per destination, by detection key. */
let delivered: { sns: Map<string, number>; eventbridge: Map<string, number>; summaries: string[] };
/** Faults to inject: each returns an error to throw, or a promise that never settles (a hang), or nothing. */
let faults: { sns?: (d: Detection) => unknown; eventbridgeEntry?: (d: Detection) => boolean; dynamo?: (name: string, input: Record<string, unknown>) => unknown };

const HANG = Symbol('hang');
const throttled = (service: string): Error => Object.assign(new Error(`${service}: Rate exceeded`), { name: 'ThrottlingException', $metadata: {} });

function count(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

beforeEach(() => {
  now = T0;
  telemetry = new RecordingTelemetry();
  delivered = { sns: new Map(), eventbridge: new Map(), summaries: [] };
  faults = {};
  snsMock.reset();
  ebMock.reset();
  sqsMock.reset();
  snsMock.on(PublishCommand).callsFake((input: { Message?: string }) => {
    const body = JSON.parse(input.Message ?? '{}') as { default: string };
    const parsed = JSON.parse(body.default) as Detection & { summary?: { rule: { id: string } } };
    if (parsed.summary) {
      delivered.summaries.push(parsed.summary.rule.id);
      return { MessageId: 's' };
    }
    const fault = faults.sns?.(parsed);
    if (fault === HANG) return new Promise(() => undefined);
    if (fault instanceof Error) throw fault;
    count(delivered.sns, detectionKey(parsed));
    return { MessageId: 'm' };
  });
  ebMock.on(PutEventsCommand).callsFake((input: { Entries?: PutEventsRequestEntry[] }) => {
    const entries = input.Entries ?? [];
    let failed = 0;
    const results = entries.map((entry) => {
      const detection = JSON.parse(entry.Detail ?? '{}') as Detection;
      if (faults.eventbridgeEntry?.(detection)) {
        failed++;
        return { ErrorCode: 'InternalFailure', ErrorMessage: 'try again' };
      }
      count(delivered.eventbridge, detectionKey(detection));
      return { EventId: 'e' };
    });
    return { FailedEntryCount: failed, Entries: results };
  });
});

/** A DynamoDB client on dynalite whose calls pass through the fault plan first (as if the SDK had given up). */
function faultyClient(): DynamoDBClient {
  const client = local.newClient();
  const send = client.send.bind(client) as (command: unknown) => Promise<unknown>;
  (client as unknown as { send: (command: { constructor: { name: string }; input: Record<string, unknown> }) => Promise<unknown> }).send = (command) => {
    const fault = faults.dynamo?.(command.constructor.name, command.input);
    if (fault === HANG) return new Promise(() => undefined);
    if (fault instanceof Error) return Promise.reject(fault);
    return send(command);
  };
  return client;
}

let table = '';
async function freshTable(): Promise<void> {
  table = await local.createTable();
}

function env(): Record<string, string> {
  return {
    SIGMA_TOPIC_ARN: TOPIC_ARN, SIGMA_DETECTION_BUS: BUS_ARN, SIGMA_CORRELATION_TABLE: table,
    SIGMA_LEDGER_LEASE_MS: String(LEASE_MS), SIGMA_NOTIFICATION_BUDGETS: '{}',
  };
}

/** A cold start: a retry may land on another instance, so each attempt builds its own runtime and clients. */
function coldStart(): DetectorRuntime {
  return createRuntime(env(), {
    model, telemetry, clock,
    snsClient: new SNSClient({ region: 'eu-west-1' }), eventBridgeClient: new EventBridgeClient({ region: 'eu-west-1' }),
    dynamoDbClient: faultyClient(),
  });
}

/** Lambda's on-failure record (what the failed-invocation queue receives). */
function onFailureRecord(event: unknown, error: unknown): Record<string, unknown> {
  return {
    version: '1.0', timestamp: new Date(now).toISOString(),
    requestContext: { requestId: 'r', functionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:detector', condition: 'RetriesExhausted', approximateInvokeCount: 3 },
    requestPayload: event,
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    responsePayload: { errorType: (error as Error)?.name ?? 'Error', errorMessage: String((error as Error)?.message ?? error) },
  };
}

const dlq: Record<string, unknown>[] = [];

/**
 * Runs one asynchronous invocation as Lambda does: attempt, then 2 retries (the clock moves on by the function's
 * run time and the retry delay), then the on-failure queue. `deadlineMs` is the real time after which an
 * attempt counts as timed out (the function timeout, scaled down for tests).
 */
async function invokeAsLambda(event: unknown, deadlineMs = 2_000): Promise<'ok' | 'dlq'> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    if (attempt > 0) now += FUNCTION_TIMEOUT_MS + (attempt === 1 ? 60_000 : 120_000);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        runInvocation(coldStart(), event),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(Object.assign(new Error('Task timed out'), { name: 'Sandbox.Timedout' })), deadlineMs);
        }),
      ]);
      return 'ok';
    } catch (err) {
      lastError = err;
    } finally {
      clearTimeout(timer);
    }
  }
  dlq.push(onFailureRecord(event, lastError));
  return 'dlq';
}

function keyOf(ruleId: string, logId: string): string {
  return detectionKey({ rule: { id: ruleId, title: '', level: 'low', tags: [] }, log_id: logId });
}

const SEED_LOG = '90020250917101112223344556677889900112233445566778899';

function expectExactlyOnce(keys: string[]): void {
  for (const key of keys) {
    expect([key, delivered.sns.get(key) ?? 0, delivered.eventbridge.get(key) ?? 0]).toEqual([key, 1, 1]);
  }
}

beforeEach(async () => {
  dlq.length = 0;
  await freshTable();
});

// ---- SNS ---------------------------------------------------------------------------------------------------

test('SNS throttling: the retries publish what was throttled, EventBridge is not repeated', async () => {
  let throttles = 2;
  faults.sns = () => (throttles-- > 0 ? throttled('SNS') : undefined);
  expect(await invokeAsLambda(seedEvent())).toBe('ok');
  expectExactlyOnce([keyOf(SEED_RULE_ID, SEED_LOG), keyOf(SECOND_RULE_ID, SEED_LOG)]);
  // Attempt 1 put both detections on EventBridge (one call each); the retries found them sent.
  expect(ebMock.commandCalls(PutEventsCommand)).toHaveLength(2);
  expect(snsMock.commandCalls(PublishCommand).length).toBe(4);
});

// ---- EventBridge -------------------------------------------------------------------------------------------

test('PutEvents with FailedEntryCount > 0: only the failed entry is put again, SNS is not repeated', async () => {
  let failing = true;
  faults.eventbridgeEntry = (d) => failing && d.rule.id === SECOND_RULE_ID;
  const first = runInvocation(coldStart(), seedEvent());
  await expect(first).rejects.toThrow(/eventbridge: 1 detection\(s\) not delivered/);
  failing = false;
  now += FUNCTION_TIMEOUT_MS + 60_000;
  await runInvocation(coldStart(), seedEvent());
  expectExactlyOnce([keyOf(SEED_RULE_ID, SEED_LOG), keyOf(SECOND_RULE_ID, SEED_LOG)]);
  const putsOf = (ruleId: string): number => ebMock.commandCalls(PutEventsCommand)
    .filter((c) => (c.args[0].input.Entries ?? []).some((e) => (JSON.parse(e.Detail ?? '{}') as Detection).rule.id === ruleId)).length;
  // The entry that went through is never put again; the failed one is retried (backoff), then by the Lambda retry.
  expect(putsOf(SEED_RULE_ID)).toBe(1);
  expect(putsOf(SECOND_RULE_ID)).toBeGreaterThanOrEqual(2);
  expect(snsMock.commandCalls(PublishCommand)).toHaveLength(2);
});

// ---- DynamoDB ----------------------------------------------------------------------------------------------

test('DynamoDB throttling of the ledger: nothing is sent unrecorded, the retry sends once', async () => {
  let throttles = 3;
  faults.dynamo = (name) => (name === 'UpdateItemCommand' && throttles-- > 0
    ? Object.assign(new Error('Throughput exceeds the current capacity'), { name: 'ProvisionedThroughputExceededException', $metadata: {} })
    : undefined);
  expect(await invokeAsLambda(seedEvent())).toBe('ok');
  expectExactlyOnce([keyOf(SEED_RULE_ID, SEED_LOG), keyOf(SECOND_RULE_ID, SEED_LOG)]);
});

test('DynamoDB timeout while recording "sent": the delivery stands and is not repeated', async () => {
  let timeouts = 1;
  faults.dynamo = (name, input) =>
    name === 'UpdateItemCommand' && String(input.UpdateExpression).startsWith('SET st = :st') && timeouts-- > 0
      ? Object.assign(new Error('Request timed out'), { name: 'TimeoutError', $metadata: {} })
      : undefined;
  expect(await invokeAsLambda(seedEvent())).toBe('ok');
  expectExactlyOnce([keyOf(SEED_RULE_ID, SEED_LOG), keyOf(SECOND_RULE_ID, SEED_LOG)]);
});

test('DynamoDB throttling and timeouts in the correlation store: retried events are counted once, the correlation fires once', async () => {
  const fixture = loadFixtureFile(path.join(ROOT, 'rules', 'login', 'failed_logins_from_one_ip.test.yml'));
  const sequence = fixture.tests.find((t) => t.rule === CORRELATION_ID && t.sequence)!.sequence!;
  const run = async (): Promise<Detection[]> => {
    for (const raw of sequence) {
      const record = raw.raw as { log_id: string; data: Record<string, unknown> };
      expect(await invokeAsLambda(auth0Envelope(record.data, record.log_id))).toBe('ok');
    }
    return snsMock.commandCalls(PublishCommand)
      .map((c) => JSON.parse(JSON.parse(c.args[0].input.Message!).default) as Detection)
      .filter((d) => d.correlation !== undefined);
  };
  // The reference: the same sequence without faults.
  const reference = await run();
  expect(reference).toHaveLength(1);

  await freshTable();
  snsMock.resetHistory();
  delivered.sns.clear();
  delivered.eventbridge.clear();
  let bucketWrites = 0;
  // Every third update of a correlation bucket fails before it is applied: throttled, or timed out.
  faults.dynamo = (name, input) => {
    const pk = (input.Key as Record<string, { S?: string }> | undefined)?.pk?.S ?? '';
    if (name !== 'UpdateItemCommand' || !pk.startsWith('C#') || !String(input.UpdateExpression).includes(' ADD ')) return undefined;
    bucketWrites++;
    if (bucketWrites % 3 !== 0) return undefined;
    return bucketWrites % 2 ? throttled('DynamoDB') : Object.assign(new Error('socket hang up'), { name: 'TimeoutError', $metadata: {} });
  };
  const withFaults = await run();
  expect(bucketWrites).toBeGreaterThan(sequence.length); // faults did happen, and were retried
  expect(withFaults).toHaveLength(1);
  // The same count when it fired: no event was counted twice by a retry, none was lost.
  expect(withFaults[0].correlation?.value).toBe(reference[0].correlation?.value);
  expect(withFaults[0].correlation?.log_ids.sort()).toEqual(reference[0].correlation?.log_ids.sort());
  const key = detectionKey(withFaults[0]);
  expectExactlyOnce([key]);
});

// ---- the function timing out --------------------------------------------------------------------------------

test('the function timing out mid-batch: the retry sends what was not sent, once', async () => {
  const events = ['L1', 'L2', 'L3'].map((id) => auth0Envelope((seedEvent().detail as { data: Record<string, unknown> }).data, `${SEED_LOG.slice(0, -2)}${id}`));
  let hang = true;
  const hung = hangSignal();
  // The second event's SNS publish never returns in the first attempt: the invocation times out there.
  faults.sns = (d) => (hang && d.log_id?.endsWith('L2') && d.rule.id === SEED_RULE_ID ? hung.hang() : undefined);
  const timedOut = invokeAsLambdaOnce(events, hung.reached);
  await expect(timedOut).rejects.toThrow('Task timed out');
  hang = false;
  now += FUNCTION_TIMEOUT_MS + 60_000;
  await runInvocation(coldStart(), events);
  expectExactlyOnce(['L1', 'L2', 'L3'].flatMap((id) => [keyOf(SEED_RULE_ID, `${SEED_LOG.slice(0, -2)}${id}`), keyOf(SECOND_RULE_ID, `${SEED_LOG.slice(0, -2)}${id}`)]));
});

/**
 * The Lambda timeout, made deterministic: the invocation "times out" once it is stuck in the hung call, never
 * earlier (a wall-clock deadline fired before the hang on a loaded machine and left the attempt running).
 */
async function invokeAsLambdaOnce(event: unknown, stuck: Promise<void>): Promise<void> {
  await Promise.race([
    runInvocation(coldStart(), event),
    stuck.then(() => {
      throw new Error('Task timed out');
    }),
  ]);
}

/** A publish that never returns, and a promise that settles when some call has reached it. */
function hangSignal(): { hang: () => typeof HANG; reached: Promise<void> } {
  let reach!: () => void;
  const reached = new Promise<void>((resolve) => (reach = resolve));
  return { hang: () => (reach(), HANG), reached };
}

test('a claim left by a timed-out attempt blocks a retry inside its lease, not one after it', async () => {
  let hang = true;
  const hung = hangSignal();
  faults.sns = (d) => (hang && d.rule.id === SEED_RULE_ID ? hung.hang() : undefined);
  await expect(invokeAsLambdaOnce(seedEvent(), hung.reached)).rejects.toThrow('Task timed out');
  hang = false;
  now += 10_000; // well inside the lease: the outcome of the hung publish is unknown
  await expect(runInvocation(coldStart(), seedEvent())).rejects.toThrow(/claimed by another invocation/);
  expect(delivered.sns.get(keyOf(SEED_RULE_ID, SEED_LOG)) ?? 0).toBe(0);
  now += LEASE_MS;
  await runInvocation(coldStart(), seedEvent());
  expectExactlyOnce([keyOf(SEED_RULE_ID, SEED_LOG), keyOf(SECOND_RULE_ID, SEED_LOG)]);
});

// ---- retries exhausted: the dead-letter queue and redrive ----------------------------------------------------

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _e: BufferEncoding, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

test('retries exhausted: the event waits in the on-failure queue and redrive delivers what is missing, once', async () => {
  let snsDown = true;
  faults.sns = () => (snsDown ? throttled('SNS') : undefined);
  expect(await invokeAsLambda(seedEvent())).toBe('dlq');
  expect(dlq).toHaveLength(1);
  expect(dlq[0].requestPayload).toEqual(seedEvent());
  expect(delivered.sns.size).toBe(0);
  expect(delivered.eventbridge.size).toBe(2);

  // Later: SNS is back; an operator redrives the queue.
  snsDown = false;
  now += 3_600_000;
  const visible: Message[] = dlq.map((body, i) => ({ MessageId: `m${i}`, ReceiptHandle: `rh${i}`, Body: JSON.stringify(body) }));
  sqsMock.on(ReceiveMessageCommand).callsFake((input: { MaxNumberOfMessages?: number }) => ({ Messages: visible.splice(0, input.MaxNumberOfMessages ?? 1) }));
  sqsMock.on(DeleteMessageCommand).resolves({});
  sqsMock.on(ChangeMessageVisibilityCommand).resolves({});
  const io = { stdout: new Capture(), stderr: new Capture(), stdin: Readable.from([]), cwd: ROOT, stderrIsTTY: false };
  const code = await runRedrive(io, { queue: 'https://sqs.eu-west-1.amazonaws.com/123456789012/FailedInvocationQueue' }, {
    sqs: new SQSClient({ region: 'eu-west-1' }),
    processor: async (payload) => {
      await runInvocation(coldStart(), payload);
    },
  });
  expect(code).toBe(0);
  expect(sqsMock.commandCalls(DeleteMessageCommand)).toHaveLength(1);
  expectExactlyOnce([keyOf(SEED_RULE_ID, SEED_LOG), keyOf(SECOND_RULE_ID, SEED_LOG)]);
});

test('a correlation detection whose delivery failed on every retry is delivered by the sweep from the outbox, once', async () => {
  const fixture = loadFixtureFile(path.join(ROOT, 'rules', 'login', 'failed_logins_from_one_ip.test.yml'));
  const sequence = fixture.tests.find((t) => t.rule === CORRELATION_ID && t.sequence)!.sequence!;
  let snsDown = true;
  faults.sns = (d) => (snsDown && d.correlation ? throttled('SNS') : undefined);
  const outcomes: string[] = [];
  for (const raw of sequence) {
    const record = raw.raw as { log_id: string; data: Record<string, unknown> };
    outcomes.push(await invokeAsLambda(auth0Envelope(record.data, record.log_id)));
  }
  expect(outcomes.filter((o) => o === 'dlq')).toHaveLength(1);
  expect([...delivered.sns.keys()].filter((k) => k.startsWith('C#'))).toHaveLength(0);
  snsDown = false;
  now += LEASE_MS + 1;
  const sweep = createSweepRuntime(env(), {
    model, telemetry, clock, dynamoDbClient: faultyClient(),
    snsClient: new SNSClient({ region: 'eu-west-1' }), eventBridgeClient: new EventBridgeClient({ region: 'eu-west-1' }),
  });
  expect((await runSweep(sweep)).redelivered).toBe(1);
  const key = [...delivered.sns.keys()].find((k) => k.startsWith('C#'))!;
  expectExactlyOnce([key]);
  // The dead-lettered event redriven later: the correlation is neither counted again nor sent again.
  await runInvocation(coldStart(), dlq[0].requestPayload);
  expect((await runSweep(sweep)).redelivered).toBeUndefined();
  expectExactlyOnce([key]);
});

// ---- storm control through the handler and the sweep ---------------------------------------------------------

test('a storm of one rule: budgeted SNS, every detection on EventBridge, one summary when the window ends', async () => {
  // 10 detections: past the medium budget (5 emails, 1 SMS per window), so both summaries have something to count.
  const ids = Array.from({ length: 10 }, (_, i) => `${SEED_LOG.slice(0, -3)}${String(i).padStart(3, '0')}`);
  for (const id of ids) {
    expect(await invokeAsLambda(auth0Envelope((seedEvent().detail as { data: Record<string, unknown> }).data, id))).toBe('ok');
  }
  const seedKeys = ids.map((id) => keyOf(SEED_RULE_ID, id));
  // medium: 5 emails and 1 SMS per window by default; the published messages say which channels.
  const channels = snsMock.commandCalls(PublishCommand)
    .map((c) => c.args[0].input)
    .filter((i) => i.MessageAttributes?.rule_id?.StringValue === SEED_RULE_ID)
    .map((i) => JSON.parse(i.MessageAttributes?.channels?.StringValue ?? '[]') as string[]);
  expect(channels).toEqual([['email', 'sms'], ['email'], ['email'], ['email'], ['email']]);
  expect(seedKeys.filter((k) => delivered.sns.has(k))).toHaveLength(5);
  for (const k of seedKeys) expect(delivered.eventbridge.get(k)).toBe(1);

  const sweepAt = (ms: number) => createSweepRuntime(env(), {
    model, telemetry, clock: () => ms, dynamoDbClient: faultyClient(),
    snsClient: new SNSClient({ region: 'eu-west-1' }), eventBridgeClient: new EventBridgeClient({ region: 'eu-west-1' }),
  });
  const windowEnd = Math.floor(T0 / 3_600_000) * 3_600_000 + 3_600_000;
  expect((await runSweep(sweepAt(windowEnd - 1000))).summaries).toBeUndefined();
  expect((await runSweep(sweepAt(windowEnd + 61_000))).summaries).toBe(2); // the seed rule and the second rule (low)
  expect(delivered.summaries.sort()).toEqual([SEED_RULE_ID, SECOND_RULE_ID].sort());
  const summary = snsMock.commandCalls(PublishCommand).map((c) => c.args[0].input).find((i) => i.Subject?.includes('5 more'));
  expect(summary?.Subject).toMatch(/^\[auth0-sigma\] MEDIUM: 5 more: /);
  expect((JSON.parse(summary!.Message!) as { sms: string }).sms).toMatch(/^MEDIUM: 9 more /);
  expect((await runSweep(sweepAt(windowEnd + 120_000))).summaries).toBeUndefined();
  expect(delivered.summaries).toHaveLength(2);
});

test('DynamoDB failing on the outbox write when a correlation fires: the detection is still delivered, once', async () => {
  const fixture = loadFixtureFile(path.join(ROOT, 'rules', 'login', 'failed_logins_from_one_ip.test.yml'));
  const sequence = fixture.tests.find((t) => t.rule === CORRELATION_ID && t.sequence)!.sequence!;
  let outboxFailures = 0;
  faults.dynamo = (name, input) => {
    const item = input.Item as Record<string, { S?: string }> | undefined;
    if (name === 'PutItemCommand' && item?.pk?.S === 'OUTBOX') {
      outboxFailures++;
      return throttled('DynamoDB');
    }
    return undefined;
  };
  for (const raw of sequence) {
    const record = raw.raw as { log_id: string; data: Record<string, unknown> };
    expect(await invokeAsLambda(auth0Envelope(record.data, record.log_id))).toBe('ok');
  }
  expect(outboxFailures).toBe(1);
  const keys = [...delivered.sns.keys()].filter((k) => k.startsWith(`C#${CORRELATION_ID}`));
  expect(keys).toHaveLength(1);
  expectExactlyOnce(keys);
  expect(telemetry.lines.some((l) => l.level === 'error' && l.message.startsWith('could not record a correlated event'))).toBe(true);
});

// `auth0-sigma redrive` with aws-sdk-client-mock: nothing reaches AWS.

import { ChangeMessageVisibilityCommand, DeleteMessageCommand, ReceiveMessageCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { Command } from 'commander';
import { Readable, Writable } from 'node:stream';
import { lambdaProcessor, parseDeadLetter, redriveCommand, regionOfQueue, registerRedrive, runRedrive } from '../../bin/cli/redrive';
import type { CliIO } from '../../bin/cli/io';
import { REPO, run } from './helpers';

const QUEUE = 'https://sqs.eu-west-1.amazonaws.com/123456789012/FailedInvocationQueue';
const auth0Event = (logId: string) => ({
  version: '0', id: `ev-${logId}`, 'detail-type': 'Auth0 log', source: 'aws.partner/auth0.com/tenant-1/auth0.logs',
  detail: { log_id: logId, data: { type: 'f', date: '2026-03-01T10:00:00.000Z', user_name: 'victim@example.com', ip: '198.51.100.7' } },
});
const onFailureRecord = (logId: string) => ({
  version: '1.0', timestamp: '2026-03-01T10:05:00.000Z',
  requestContext: { requestId: 'r', functionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:det:$LATEST', condition: 'RetriesExhausted', approximateInvokeCount: 3 },
  requestPayload: auth0Event(logId),
  responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
  responsePayload: { errorType: 'DeliveryError', errorMessage: 'sns: 1 detection(s) not delivered' },
});
const msg = (id: string, body: unknown, attrs?: Message['MessageAttributes']): Message => ({
  MessageId: id, ReceiptHandle: `rh-${id}`, Body: typeof body === 'string' ? body : JSON.stringify(body), MessageAttributes: attrs,
});

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _e: BufferEncoding, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}
const io = (): CliIO & { stdout: Capture; stderr: Capture } => ({
  stdout: new Capture(), stderr: new Capture(), stdin: Readable.from([]), cwd: REPO, stderrIsTTY: false,
});

const sqsMock = mockClient(SQSClient);
const lambdaMock = mockClient(LambdaClient);

/** The queue: receive hands out what is visible, in batches, like SQS (received messages become invisible). */
function queueOf(messages: Message[]): void {
  const visible = [...messages];
  sqsMock.on(ReceiveMessageCommand).callsFake((input: { MaxNumberOfMessages?: number }) => ({ Messages: visible.splice(0, input.MaxNumberOfMessages ?? 1) }));
  sqsMock.on(DeleteMessageCommand).resolves({});
  sqsMock.on(ChangeMessageVisibilityCommand).resolves({});
}

beforeEach(() => {
  sqsMock.reset();
  lambdaMock.reset();
});

describe('parseDeadLetter', () => {
  test('the two queue shapes and an unreadable body', () => {
    const a = parseDeadLetter(msg('1', onFailureRecord('L1')));
    expect(a).toMatchObject({ kind: 'lambda-on-failure', logId: 'L1', type: 'f', payload: auth0Event('L1') });
    expect(a.reason).toBe('RetriesExhausted: after 3 attempt(s): DeliveryError: sns: 1 detection(s) not delivered');
    const b = parseDeadLetter(msg('2', auth0Event('L2'), { ERROR_CODE: { DataType: 'String', StringValue: 'SDK_CLIENT_ERROR' }, ERROR_MESSAGE: { DataType: 'String', StringValue: 'Rate exceeded' } }));
    expect(b).toMatchObject({ kind: 'eventbridge-dlq', logId: 'L2', payload: auth0Event('L2'), reason: 'SDK_CLIENT_ERROR: Rate exceeded' });
    expect(parseDeadLetter(msg('3', 'not json{'))).toEqual({ kind: 'unreadable', reason: 'body is not JSON' });
    expect(parseDeadLetter(msg('4', '[1]')).kind).toBe('unreadable');
  });
});

describe('runRedrive', () => {
  test('dry run lists every message (no personal data), processes and deletes nothing, makes them visible again', async () => {
    queueOf([msg('m1', onFailureRecord('L1')), msg('m2', auth0Event('L2'))]);
    const processor = jest.fn();
    const out = io();
    expect(await runRedrive(out, { queue: QUEUE, dryRun: true }, { sqs: new SQSClient({}), processor })).toBe(0);
    expect(processor).not.toHaveBeenCalled();
    expect(sqsMock.commandCalls(DeleteMessageCommand)).toHaveLength(0);
    expect(sqsMock.commandCalls(ChangeMessageVisibilityCommand).map((c) => c.args[0].input)).toEqual([
      { QueueUrl: QUEUE, ReceiptHandle: 'rh-m1', VisibilityTimeout: 0 },
      { QueueUrl: QUEUE, ReceiptHandle: 'rh-m2', VisibilityTimeout: 0 },
    ]);
    expect(out.stdout.text).toContain('would redrive m1 lambda-on-failure log_id=L1 type=f');
    expect(out.stdout.text).toContain('would redrive m2 eventbridge-dlq log_id=L2');
    expect(out.stdout.text).toContain('2 messages would be redriven');
    expect(out.stdout.text).not.toContain('victim@example.com');
  });

  test('processes each original event and deletes a message only after it succeeded', async () => {
    queueOf([msg('m1', onFailureRecord('L1')), msg('m2', auth0Event('L2')), msg('m3', onFailureRecord('L3')), msg('m4', '{oops')]);
    const seen: unknown[] = [];
    const processor = jest.fn(async (payload: unknown) => {
      seen.push(payload);
      if ((payload as { detail: { log_id: string } }).detail.log_id === 'L3') throw new Error('SNS throttled');
    });
    const out = io();
    expect(await runRedrive(out, { queue: QUEUE }, { sqs: new SQSClient({}), processor })).toBe(1);
    // The original event, unwrapped from the invocation record.
    expect(seen).toEqual([auth0Event('L1'), auth0Event('L2'), auth0Event('L3')]);
    expect(sqsMock.commandCalls(DeleteMessageCommand).map((c) => c.args[0].input.ReceiptHandle)).toEqual(['rh-m1', 'rh-m2']);
    expect(out.stdout.text).toContain('FAILED m3');
    expect(out.stdout.text).toContain('SNS throttled');
    expect(out.stdout.text).toContain('FAILED m4');
    expect(out.stdout.text).toContain('2 messages redriven and deleted, 2 failed');
  });

  test('--max stops after N messages and hands back any extra one received', async () => {
    queueOf(Array.from({ length: 25 }, (_, i) => msg(`m${i}`, auth0Event(`L${i}`))));
    const processor = jest.fn(async () => undefined);
    expect(await runRedrive(io(), { queue: QUEUE, max: 12 }, { sqs: new SQSClient({}), processor })).toBe(0);
    expect(processor).toHaveBeenCalledTimes(12);
    expect(sqsMock.commandCalls(DeleteMessageCommand)).toHaveLength(12);
    // Receive asks for no more than it may process.
    expect(sqsMock.commandCalls(ReceiveMessageCommand).map((c) => c.args[0].input.MaxNumberOfMessages)).toEqual([10, 2]);
  });

  test('an empty queue: nothing to do, exit 0', async () => {
    queueOf([]);
    const out = io();
    expect(await runRedrive(out, { queue: QUEUE }, { sqs: new SQSClient({}), processor: jest.fn() })).toBe(0);
    expect(out.stdout.text).toContain('0 messages redriven');
  });
});

describe('lambdaProcessor', () => {
  test('invokes synchronously with the original event; a function error is a failure', async () => {
    lambdaMock.on(InvokeCommand).resolvesOnce({ StatusCode: 200 }).resolvesOnce({
      StatusCode: 200, FunctionError: 'Unhandled', Payload: Buffer.from(JSON.stringify({ errorType: 'DeliveryError', errorMessage: 'sns down' })) as never,
    });
    const process = lambdaProcessor(new LambdaClient({}), 'detector');
    await process(auth0Event('L1'));
    const input = lambdaMock.commandCalls(InvokeCommand)[0].args[0].input;
    expect(input.FunctionName).toBe('detector');
    expect(input.InvocationType).toBe('RequestResponse');
    expect(JSON.parse(Buffer.from(input.Payload as Uint8Array).toString())).toEqual(auth0Event('L1'));
    await expect(process(auth0Event('L2'))).rejects.toThrow('the function failed (Unhandled): DeliveryError: sns down');
  });

  test('end to end through the command: --function invokes, then deletes', async () => {
    queueOf([msg('m1', onFailureRecord('L1'))]);
    lambdaMock.on(InvokeCommand).resolves({ StatusCode: 200 });
    const out = io();
    expect(await redriveCommand(out, { queue: QUEUE, function: 'detector' })).toBe(0);
    expect(lambdaMock.commandCalls(InvokeCommand)).toHaveLength(1);
    expect(sqsMock.commandCalls(DeleteMessageCommand)).toHaveLength(1);
  });
});

describe('options', () => {
  test('usage errors say what to pass', async () => {
    await expect(redriveCommand(io(), { queue: QUEUE })).rejects.toThrow(/--function NAME .* or --local; try --dry-run first/);
    await expect(redriveCommand(io(), { queue: QUEUE, function: 'f', local: true })).rejects.toThrow('not both');
    await expect(redriveCommand(io(), { queue: QUEUE, dryRun: true, max: 0 })).rejects.toThrow('--max must be a positive integer');
  });

  test('region from the queue URL', () => {
    expect(regionOfQueue(QUEUE)).toBe('eu-west-1');
    expect(regionOfQueue('http://localhost/q')).toBeUndefined();
  });

  test('registerRedrive adds the command with its options', async () => {
    queueOf([msg('m1', auth0Event('L1'))]);
    const program = new Command('auth0-sigma').exitOverride();
    let code = -1;
    const out = io();
    registerRedrive(program, out, (c) => (code = c));
    await program.parseAsync(['node', 'auth0-sigma', 'redrive', '--queue', QUEUE, '--dry-run', '--max', '5'], { from: 'node' });
    expect(code).toBe(0);
    expect(out.stdout.text).toContain('1 message would be redriven');
  });
});

describe('through the CLI', () => {
  test('`auth0-sigma redrive` is wired in: dry run exits 0, a missing processor is a usage error (exit 2)', async () => {
    queueOf([msg('m1', auth0Event('L1'))]);
    const dry = await run(['redrive', '--queue', QUEUE, '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('1 message would be redriven');
    const usage = await run(['redrive', '--queue', QUEUE]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('redrive needs --function NAME');
    const help = await run(['--help']);
    expect(help.stdout).toContain('redrive');
  });
});

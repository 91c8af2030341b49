// `auth0-sigma redrive`: moves messages from a dead-letter queue back through the detector.
//
// Two queues hold what could not be processed (lib/sigma-detector.ts):
// - the EventBridge target's dead-letter queue: the body is the original EventBridge event (the rule could not
//   invoke the function); the reason is in the ERROR_CODE / ERROR_MESSAGE message attributes;
// - the function's on-failure destination: the body is Lambda's invocation record, the original event in
//   `requestPayload`, the reason in `requestContext.condition` and `responsePayload`.
//
// Each message's original event is processed again by invoking the detector function synchronously
// (RequestResponse: the call returns once the handler finished, so success really means processed), or with
// --local by running the detector's pipeline in this process. Re-putting the event on the bus is not an option:
// EventBridge refuses PutEvents with the partner source (`aws.partner/...`) the rule matches, and an
// asynchronous path could not tell us when to delete the message. A message is deleted only after it was
// processed; the delivery ledger makes processing an event again harmless (nothing is notified twice).

import type { Message, SQSClient } from '@aws-sdk/client-sqs';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { Command } from 'commander';
import { EXIT_FAILURE, EXIT_OK, UsageError, type CliIO } from './io';
import { addPlaceholderOptions, addRulesOption, loadRuleSet, plural, printDiagnostics, type RuleOptions } from './rule-options';

// The AWS SDK is loaded when a redrive runs: every other command (scan, check) starts without it (about 0.1 s).
/* eslint-disable @typescript-eslint/no-require-imports */
const sqsSdk = (): typeof import('@aws-sdk/client-sqs') => require('@aws-sdk/client-sqs') as typeof import('@aws-sdk/client-sqs');
const lambdaSdk = (): typeof import('@aws-sdk/client-lambda') => require('@aws-sdk/client-lambda') as typeof import('@aws-sdk/client-lambda');
/* eslint-enable @typescript-eslint/no-require-imports */

export interface RedriveOptions {
  queue: string;
  dryRun?: boolean;
  /** At most this many messages (default: until the queue is empty). */
  max?: number;
  function?: string;
  local?: boolean;
  region?: string;
  /** --local: the rule options. */
  rules?: string[];
  config?: string;
  set?: string[];
}

/** Processes one original event; throws when it could not be processed. */
export type EventProcessor = (payload: unknown) => Promise<void>;

export interface RedriveDeps {
  sqs: SQSClient;
  /** Needed unless --dry-run. */
  processor?: EventProcessor;
}

/** While a message is being processed it stays invisible to other consumers this long (s). */
export const VISIBILITY_SECONDS = 300;
const RECEIVE_WAIT_SECONDS = 2;
/** Short polling can come back empty with messages left: stop after this many empty receives in a row. */
const EMPTY_RECEIVES_TO_STOP = 2;

export interface DeadLetter {
  kind: 'eventbridge-dlq' | 'lambda-on-failure' | 'unreadable';
  payload?: unknown;
  /** What the queue says went wrong. */
  reason: string;
  logId?: string;
  type?: string;
  date?: string;
}

/** Reads one dead-letter message: which queue shape it is, the original event, why it failed. */
export function parseDeadLetter(message: Message): DeadLetter {
  let body: unknown;
  try {
    body = JSON.parse(message.Body ?? '');
  } catch {
    return { kind: 'unreadable', reason: 'body is not JSON' };
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return { kind: 'unreadable', reason: 'body is not a JSON object' };
  const record = body as Record<string, unknown>;
  if (isObject(record.requestContext) && 'requestPayload' in record) {
    const context = record.requestContext;
    const response = isObject(record.responsePayload) ? record.responsePayload : {};
    const reason = [
      typeof context.condition === 'string' ? context.condition : 'failed',
      typeof context.approximateInvokeCount === 'number' ? `after ${context.approximateInvokeCount} attempt(s)` : '',
      typeof response.errorType === 'string' ? response.errorType : '',
      typeof response.errorMessage === 'string' ? oneLine(response.errorMessage, 160) : '',
    ].filter(Boolean).join(': ');
    return { kind: 'lambda-on-failure', payload: record.requestPayload, reason, ...identify(record.requestPayload) };
  }
  const attrs = message.MessageAttributes ?? {};
  const reason = [attrs.ERROR_CODE?.StringValue, attrs.ERROR_MESSAGE?.StringValue].filter(Boolean).map((s) => oneLine(String(s), 160)).join(': ') || 'EventBridge could not deliver';
  return { kind: 'eventbridge-dlq', payload: body, reason, ...identify(body) };
}

/** log_id, type and date of an event: enough to identify it, nothing personal. */
function identify(payload: unknown): { logId?: string; type?: string; date?: string } {
  if (!isObject(payload)) return {};
  const detail = isObject(payload.detail) ? payload.detail : payload;
  const data = isObject(detail.data) ? detail.data : detail;
  const str = (v: unknown): string | undefined => (typeof v === 'string' ? oneLine(v, 80) : undefined);
  return { logId: str(detail.log_id) ?? str(data.log_id) ?? str(data._id), type: str(data.type), date: str(data.date) };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function oneLine(text: string, max: number): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').slice(0, max);
}

/** Invokes the deployed detector synchronously with the original event. */
export function lambdaProcessor(client: LambdaClient, functionName: string): EventProcessor {
  return async (payload) => {
    const out = await client.send(new (lambdaSdk().InvokeCommand)({
      FunctionName: functionName,
      InvocationType: 'RequestResponse',
      Payload: Buffer.from(JSON.stringify(payload)),
    }));
    if (out.FunctionError) {
      let detail = '';
      try {
        const response = JSON.parse(Buffer.from(out.Payload ?? new Uint8Array()).toString('utf8')) as { errorType?: string; errorMessage?: string };
        detail = [response.errorType, response.errorMessage].filter(Boolean).join(': ');
      } catch {
        // The payload is not JSON: the FunctionError kind is all there is to say.
      }
      throw new Error(`the function failed (${out.FunctionError})${detail ? `: ${oneLine(detail, 300)}` : ''}`);
    }
    if (out.StatusCode !== undefined && out.StatusCode !== 200) throw new Error(`invoke returned status ${out.StatusCode}`);
  };
}

/** Runs the detector's pipeline in this process, with the rules given and the function's environment variables. */
async function localProcessor(io: CliIO, options: RedriveOptions): Promise<EventProcessor> {
  const ruleOptions: RuleOptions = { rules: options.rules ?? [], config: options.config, set: options.set ?? [] };
  const loaded = loadRuleSet(io, ruleOptions, 'error');
  if (loaded.errors > 0) {
    printDiagnostics(io.stderr, loaded.diagnostics.filter((d) => d.severity === 'error'));
    throw new UsageError(`--local: the rules have ${plural(loaded.errors, 'error')}; fix them (auth0-sigma check) before redriving`);
  }
  // Loaded lazily: the handler pulls in the AWS clients and Powertools, which the other commands do not need.
  const { createRuntime, runInvocation } = await import('../../lambda/handler');
  const runtime = createRuntime(process.env, { model: loaded.result.model });
  return async (payload) => {
    await runInvocation(runtime, payload);
  };
}

export interface RedriveSummary {
  seen: number;
  redriven: number;
  failed: number;
}

/**
 * Receives up to `max` messages and, unless dry-run, processes and deletes each. Dry-run lists them and makes
 * them visible again at once. Exit code 0 when every message was redriven (or listed), 1 when some failed.
 */
export async function runRedrive(io: CliIO, options: RedriveOptions, deps: RedriveDeps): Promise<number> {
  const out = io.stdout;
  const max = options.max ?? Infinity;
  if (!options.dryRun && !deps.processor) throw new UsageError('redrive needs --function NAME or --local (or --dry-run)');
  const summary: RedriveSummary = { seen: 0, redriven: 0, failed: 0 };
  const listed: Message[] = [];
  let empty = 0;
  out.write(`${options.dryRun ? 'dry run: would redrive' : 'redriving'} messages from ${options.queue}\n`);
  while (summary.seen < max && empty < EMPTY_RECEIVES_TO_STOP) {
    const received = await deps.sqs.send(new (sqsSdk().ReceiveMessageCommand)({
      QueueUrl: options.queue,
      MaxNumberOfMessages: Math.min(10, max - summary.seen),
      WaitTimeSeconds: RECEIVE_WAIT_SECONDS,
      VisibilityTimeout: VISIBILITY_SECONDS,
      MessageAttributeNames: ['All'],
    }));
    const messages = received.Messages ?? [];
    if (messages.length === 0) {
      empty++;
      continue;
    }
    empty = 0;
    for (const message of messages) {
      if (summary.seen >= max) {
        // Received beyond --max: hand it back untouched.
        await release(deps.sqs, options.queue, message);
        continue;
      }
      summary.seen++;
      const letter = parseDeadLetter(message);
      const label = `${message.MessageId ?? '?'} ${letter.kind} log_id=${letter.logId ?? '-'} type=${letter.type ?? '-'} date=${letter.date ?? '-'}`;
      if (options.dryRun) {
        out.write(`  would redrive ${label} (${letter.reason})\n`);
        listed.push(message);
        continue;
      }
      if (letter.kind === 'unreadable' || letter.payload === undefined) {
        summary.failed++;
        out.write(`  FAILED ${label}: ${letter.reason}; left in the queue\n`);
        continue;
      }
      try {
        await (deps.processor as EventProcessor)(letter.payload);
      } catch (err) {
        summary.failed++;
        out.write(`  FAILED ${label}: ${oneLine(err instanceof Error ? err.message : String(err), 300)}; left in the queue (visible again in ${VISIBILITY_SECONDS} s)\n`);
        continue;
      }
      await deps.sqs.send(new (sqsSdk().DeleteMessageCommand)({ QueueUrl: options.queue, ReceiptHandle: message.ReceiptHandle }));
      summary.redriven++;
      out.write(`  redriven ${label}\n`);
    }
  }
  // Dry run: make every listed message visible again now rather than after the visibility timeout.
  for (const message of listed) await release(deps.sqs, options.queue, message);
  if (options.dryRun) {
    out.write(`dry run: ${plural(summary.seen, 'message')} would be redriven; nothing was processed or deleted\n`);
    return EXIT_OK;
  }
  out.write(`${plural(summary.redriven, 'message')} redriven and deleted, ${summary.failed} failed\n`);
  return summary.failed > 0 ? EXIT_FAILURE : EXIT_OK;
}

async function release(sqs: SQSClient, queue: string, message: Message): Promise<void> {
  await sqs.send(new (sqsSdk().ChangeMessageVisibilityCommand)({ QueueUrl: queue, ReceiptHandle: message.ReceiptHandle, VisibilityTimeout: 0 }));
}

/** Builds the clients and the processor the options ask for, then runs. */
export async function redriveCommand(io: CliIO, options: RedriveOptions): Promise<number> {
  if (options.function !== undefined && options.local) throw new UsageError('give either --function NAME or --local, not both');
  if (!options.dryRun && options.function === undefined && !options.local) {
    throw new UsageError('redrive needs --function NAME (the detector function: stack output FunctionName) or --local; try --dry-run first');
  }
  if (options.max !== undefined && !(Number.isInteger(options.max) && options.max > 0)) throw new UsageError(`--max must be a positive integer (got ${options.max})`);
  const region = options.region ?? regionOfQueue(options.queue);
  const sqs = new (sqsSdk().SQSClient)(region ? { region } : {});
  let processor: EventProcessor | undefined;
  if (!options.dryRun) {
    processor = options.local ? await localProcessor(io, options) : lambdaProcessor(new (lambdaSdk().LambdaClient)(region ? { region } : {}), options.function as string);
  }
  try {
    return await runRedrive(io, options, { sqs, processor });
  } catch (err) {
    const problem = awsSetupProblem(err);
    if (problem === undefined) throw err;
    io.stderr.write(`auth0-sigma redrive: ${problem}\n`);
    return EXIT_FAILURE;
  }
}

const CREDENTIALS_HELP =
  'provide them as for the AWS CLI: AWS_PROFILE=<profile> (after `aws configure` or `aws sso login --profile <profile>`), ' +
  'or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (plus AWS_SESSION_TOKEN for temporary credentials); ' +
  '`aws sts get-caller-identity` shows whether they work. Needed: sqs:ReceiveMessage, sqs:DeleteMessage and ' +
  'sqs:ChangeMessageVisibility on the queue, kms:Decrypt on the stack key, lambda:InvokeFunction on the detector';

/**
 * What the user must fix when the AWS setup (not the queue's content) stopped the redrive: missing credentials,
 * no region, or a request AWS refused. Undefined for anything else, which stays a bug worth its stack trace.
 */
export function awsSetupProblem(err: unknown): string | undefined {
  if (!(err instanceof Error)) return undefined;
  const message = oneLine(err.message, 300);
  if (err.name === 'CredentialsProviderError' || /could not load credentials/i.test(err.message)) {
    return `no AWS credentials found (${message}); ${CREDENTIALS_HELP}`;
  }
  if (/region is missing/i.test(err.message)) {
    return 'no AWS region: pass --region <region>, set AWS_REGION, or give the queue URL as the stack output prints it (https://sqs.<region>.amazonaws.com/...)';
  }
  if ('$metadata' in err) {
    return `AWS refused the request (${err.name}: ${message}); check the queue URL, the region and your permissions (${CREDENTIALS_HELP})`;
  }
  return undefined;
}

/** https://sqs.<region>.amazonaws.com/<account>/<name> → region. */
export function regionOfQueue(url: string): string | undefined {
  return /^https:\/\/sqs\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\//.exec(url)?.[1];
}

/** Adds `redrive` to the CLI (bin/cli.ts calls this with its io and exit-code setter). */
export function registerRedrive(program: Command, io: CliIO, setExitCode: (code: number) => void): Command {
  const cmd = program
    .command('redrive')
    .description('process the events of a dead-letter queue again (dry-run first), deleting each message once processed')
    .requiredOption('--queue <url>', 'queue URL (stack outputs DeadLetterQueueUrl, FailedInvocationQueueUrl)')
    .option('--dry-run', 'list what would be redriven; process and delete nothing')
    .option('--max <n>', 'at most this many messages', (v: string) => Number(v))
    .option('--function <name>', 'the detector function to invoke (stack output FunctionName)')
    .option('--local', 'run the detector in this process (rules from --rules; SIGMA_* environment as the function has)')
    .option('--region <region>', 'AWS region (default: from the queue URL)');
  addRulesOption(cmd);
  addPlaceholderOptions(cmd);
  cmd.addHelpText(
    'after',
    '\nExamples:\n  auth0-sigma redrive --queue https://sqs.eu-west-1.amazonaws.com/123456789012/FailedInvocationQueue --dry-run\n' +
      '  auth0-sigma redrive --queue https://sqs.eu-west-1.amazonaws.com/123456789012/FailedInvocationQueue --function Auth0SigmaFunction --max 100',
  );
  cmd.action(async (opts: RedriveOptions) => {
    setExitCode(await redriveCommand(io, opts));
  });
  return cmd;
}

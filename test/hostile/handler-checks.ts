// Runs hostile cases through the real Lambda runtime (engine, correlation on dynalite, SNS and EventBridge sinks
// with the AWS clients mocked) and checks what each one delivered. Shared by handler.test.ts (fast cases) and
// handler.long.test.ts (heavy ones).

import * as path from 'node:path';
import { EventBridgeClient, PutEventsCommand, type ServiceInputTypes as EbInput, type ServiceOutputTypes as EbOutput, type EventBridgeClientResolvedConfig } from '@aws-sdk/client-eventbridge';
import { PublishCommand, SNSClient, type ServiceInputTypes as SnsInput, type ServiceOutputTypes as SnsOutput, type SNSClientResolvedConfig } from '@aws-sdk/client-sns';
import type { AwsStub } from 'aws-sdk-client-mock';
import { createRuntime, runInvocation, type DetectorRuntime, type InvocationSummary } from '../../lambda/handler';
import { loadRules } from '../../lambda/sigma/loader';
import type { Detection, RuleSetModel } from '../../lambda/sigma/types';
import type { LocalDynamo } from '../helpers/dynalite';
import { RecordingTelemetry } from '../lambda/detector-fixtures';
import { CANARY_RULE_ID, HOSTILE_RULES_DIR, caseLogId, envelopeEvent, firstUnsafeCharacter, type HostileCase } from './corpus';

type SnsStub = AwsStub<SnsInput, SnsOutput, SNSClientResolvedConfig>;
type EventBridgeStub = AwsStub<EbInput, EbOutput, EventBridgeClientResolvedConfig>;

const ROOT = path.resolve(__dirname, '../..');
const TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:Auth0Sigma-Topic';
const BUS_ARN = 'arn:aws:events:eu-west-1:123456789012:event-bus/default';
/** The only link a notification may hold: the Auth0 dashboard, built from configuration, not from the event. */
const DASHBOARD_LINK = /https:\/\/manage\.auth0\.com\/dashboard\/[^\s]*/g;
/** A clickable link once a mail client or phone normalises the text (compatibility forms folded, marks dropped). */
const LIVE_LINK = /[a-z][a-z0-9+.-]*:\/\/|javascript:|mailto:|www\.|evil\.example/i;

export function hostileModel(): RuleSetModel {
  const loaded = loadRules([path.join(ROOT, HOSTILE_RULES_DIR)], { unresolvedPlaceholders: 'error', root: ROOT });
  const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) throw new Error(`hostile corpus rules do not load: ${JSON.stringify(errors)}`);
  return loaded.model;
}

export async function hostileRuntime(local: LocalDynamo, model: RuleSetModel, telemetry: RecordingTelemetry): Promise<DetectorRuntime> {
  const table = await local.createTable();
  return createRuntime(
    { SIGMA_TOPIC_ARN: TOPIC_ARN, SIGMA_DETECTION_BUS: BUS_ARN, SIGMA_AUTH0_DOMAIN: 'acme.eu.auth0.com', SIGMA_CORRELATION_TABLE: table },
    { model, telemetry, snsClient: new SNSClient({ region: 'eu-west-1' }), eventBridgeClient: new EventBridgeClient({ region: 'eu-west-1' }), dynamoDbClient: local.client },
  );
}

interface SnsMessage {
  subject: string;
  ruleId: string | undefined;
  default: string;
  email: string;
  sms: string;
}

function snsMessages(sns: SnsStub): SnsMessage[] {
  return sns.commandCalls(PublishCommand).map((call) => {
    const input = call.args[0].input;
    const message = JSON.parse(input.Message ?? '{}') as { default?: string; email?: string; sms?: string };
    return {
      subject: input.Subject ?? '',
      ruleId: input.MessageAttributes?.rule_id?.StringValue,
      default: message.default ?? '',
      email: message.email ?? '',
      sms: message.sms ?? '',
    };
  });
}

function eventBridgeDetections(eb: EventBridgeStub): Detection[] {
  const out: Detection[] = [];
  for (const call of eb.commandCalls(PutEventsCommand)) {
    for (const entry of call.args[0].input.Entries ?? []) out.push(JSON.parse(entry.Detail ?? '{}') as Detection);
  }
  return out;
}

/**
 * Runs one case and asserts the corpus contract: the invocation does not throw, the event is evaluated, the
 * canary detection of this event is published on SNS and put on EventBridge, and the human-readable texts
 * (subject, SMS, email) hold no raw control or invisible character and no link built from event content.
 */
export async function expectCaseContained(
  runtime: DetectorRuntime,
  c: HostileCase,
  index: number,
  sns: SnsStub,
  eb: EventBridgeStub,
): Promise<void> {
  const summary: InvocationSummary = await runInvocation(runtime, envelopeEvent(c, index));
  expect(summary).toMatchObject({ evaluated: 1, malformed: 0 });
  const logId = caseLogId(c);

  const messages = snsMessages(sns);
  const canary = messages.filter((m) => m.ruleId === CANARY_RULE_ID && (JSON.parse(m.default) as Detection).log_id === logId);
  expect(canary).toHaveLength(1);
  const onBus = eventBridgeDetections(eb).filter((d) => d.rule.id === CANARY_RULE_ID && d.log_id === logId);
  expect(onBus).toHaveLength(1);

  for (const m of messages) {
    expect(m.subject.length).toBeLessThan(100);
    expect(m.subject).toMatch(/^[\x20-\x7e]*$/);
    expect(m.sms).toMatch(/^[\x20-\x7e]*$/);
    expect(firstUnsafeCharacter(m.email)).toBeUndefined();
    const readable = `${m.sms}\n${m.email}`.replace(DASHBOARD_LINK, '').normalize('NFKC').replace(/\p{M}/gu, '');
    expect(readable).not.toMatch(LIVE_LINK);
    // The machine-readable copy is well-formed JSON (no lone surrogate, no cut-off text).
    expect(() => JSON.parse(m.default)).not.toThrow();
  }
}

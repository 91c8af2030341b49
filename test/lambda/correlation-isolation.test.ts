// One correlation rule failing on an event never silences the event's other rules (issue 14, points 4 and
// "isolation"): through the real handler runtime, the DynamoDB store on dynalite (the real API, with its number
// range and item size checks), SNS and EventBridge mocked. A value_sum field of 1e200 and a 300 KB group-by
// value are stored or skipped without failing anything; a state write that keeps failing (a throttle beyond the
// SDK's retries) is contained to its rule, logged with rule id and reason, and the invocation succeeds.

import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { createRuntime, runInvocation, type DetectorRuntime } from '../../lambda/handler';
import { loadRulesFromText } from '../../lambda/sigma/loader';
import type { Detection, RuleSetModel } from '../../lambda/sigma/types';
import { startDynalite, type LocalDynamo } from '../helpers/dynalite';
import { RecordingTelemetry, auth0Envelope } from './detector-fixtures';
import { mockSinks } from '../helpers/sink-mocks';

const RULES = `
title: Failed login (alerts on its own)
id: single-alert
status: test
logsource: { product: auth0 }
detection:
  selection: { data.type: f }
  condition: selection
level: high
---
title: Failed login (counted by the correlations)
id: base-failure
name: base_failure
status: test
logsource: { product: auth0 }
detection:
  selection: { data.type: f }
  condition: selection
level: informational
---
title: Bytes sent per IP
id: c-sum
status: test
correlation:
  type: value_sum
  rules: [base_failure]
  group-by: [data.ip]
  timespan: 10m
  condition: { gte: 100, field: data.details.bytes }
level: high
---
title: Failures per IP
id: c-count
status: test
correlation:
  type: event_count
  rules: [base_failure]
  group-by: [data.ip]
  timespan: 10m
  condition: { gte: 2 }
level: high
---
title: Failures per user agent
id: c-agent
status: test
correlation:
  type: event_count
  rules: [base_failure]
  group-by: [data.user_agent]
  timespan: 10m
  condition: { gte: 1 }
level: medium
`;

const TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:Auth0Sigma-Topic';
const BUS_ARN = 'arn:aws:events:eu-west-1:123456789012:event-bus/default';
const { sns: snsMock, eb: ebMock, reset: resetSinks } = mockSinks();

let local: LocalDynamo;
let model: RuleSetModel;
let telemetry: RecordingTelemetry;

beforeAll(async () => {
  local = await startDynalite();
  const loaded = loadRulesFromText([{ file: 'rules/isolation.yml', text: RULES }]);
  expect(loaded.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  model = loaded.model;
});

afterAll(async () => {
  await local?.stop();
});

beforeEach(() => {
  resetSinks();
  telemetry = new RecordingTelemetry();
});

async function runtimeOn(client: DynamoDBClient): Promise<DetectorRuntime> {
  const table = await local.createTable();
  return createRuntime(
    { SIGMA_TOPIC_ARN: TOPIC_ARN, SIGMA_DETECTION_BUS: BUS_ARN, SIGMA_CORRELATION_TABLE: table },
    { model, telemetry, snsClient: new SNSClient({ region: 'eu-west-1' }), eventBridgeClient: new EventBridgeClient({ region: 'eu-west-1' }), dynamoDbClient: client },
  );
}

function failure(logId: string, data: Record<string, unknown>): Record<string, unknown> {
  return auth0Envelope({ date: '2026-11-20T09:30:00.000Z', type: 'f', ip: '203.0.113.9', ...data }, logId);
}

/** Rule ids of what was published to SNS and put on EventBridge. */
function delivered(): { sns: string[]; eventbridge: string[] } {
  const sns = snsMock.commandCalls(PublishCommand).map((c) => c.args[0].input.MessageAttributes?.rule_id?.StringValue ?? '');
  const eventbridge = ebMock.commandCalls(PutEventsCommand).flatMap((c) => (c.args[0].input.Entries ?? []).map((e) => (JSON.parse(e.Detail!) as Detection).rule.id));
  return { sns: sns.sort(), eventbridge: eventbridge.sort() };
}

test('a value_sum of 1e200 and a 300 KB user agent: every other rule delivers, the bad value is skipped and logged', async () => {
  const runtime = await runtimeOn(local.client);
  const agent = `Mozilla/5.0 ${'A'.repeat(300_000)}`;
  const first = await runInvocation(runtime, failure('L1', { user_agent: agent, details: { bytes: 1e200 } }));
  expect(first.detections).toBe(2);
  expect(delivered()).toEqual({ sns: ['c-agent', 'single-alert'], eventbridge: ['c-agent', 'single-alert'] });
  const second = await runInvocation(runtime, failure('L2', { user_agent: agent, details: { bytes: '150' } }));
  // c-count reaches 2; c-sum counts only the storable value (150 ≥ 100); c-agent already fired in its window.
  expect(second.detections).toBe(3);
  expect(delivered().sns).toEqual(['c-agent', 'c-count', 'c-sum', 'single-alert', 'single-alert']);

  const agentDetection = ebMock.commandCalls(PutEventsCommand)
    .flatMap((c) => c.args[0].input.Entries ?? []).map((e) => JSON.parse(e.Detail!) as Detection).find((d) => d.rule.id === 'c-agent')!;
  const shown = agentDetection.correlation!.group['data.user_agent'] as string;
  expect(shown.length).toBeLessThanOrEqual(512);
  expect(shown).toMatch(/…\[sha256:[A-Za-z0-9_-]{16}\]$/);

  const skipped = telemetry.lines.filter((l) => l.message.startsWith('correlation rule skipped'));
  expect(skipped).toHaveLength(1);
  expect(skipped[0]).toMatchObject({ level: 'warn', extra: { rule_id: 'c-sum', reason: 'value-out-of-range', transient: false } });
  // The failure's log line names the rule and the reason, never the event's content.
  expect(JSON.stringify(skipped)).not.toMatch(/1e\+?200|AAAAAAAAAA|203\.0\.113/);
  expect(telemetry.total('PublishFailures')).toBe(0);
});

test('a state write that keeps failing for one correlation: the single-event rule and the other correlations still deliver', async () => {
  // The DynamoDB API as the detector sees it, except that every bucket write of c-count is throttled (as if
  // its partition stayed hot beyond the SDK's retries).
  const real = local.newClient();
  const throttled = new Proxy(real, {
    get(target, prop, receiver) {
      if (prop !== 'send') return Reflect.get(target, prop, receiver) as unknown;
      return async (command: { input: { Key?: { pk?: { S?: string } } } }) => {
        if (command instanceof UpdateItemCommand && command.input.Key?.pk?.S?.startsWith('C#c-count#')) {
          const err = new Error('Rate of requests exceeds the allowed throughput.');
          err.name = 'ThrottlingException';
          throw err;
        }
        return (target.send as (c: unknown) => Promise<unknown>)(command);
      };
    },
  });
  const runtime = await runtimeOn(throttled);
  const outcome = await runInvocation(runtime, failure('T1', { user_agent: 'curl/8', details: { bytes: 500 } }));
  expect(outcome.detections).toBe(3);
  expect(delivered()).toEqual({ sns: ['c-agent', 'c-sum', 'single-alert'], eventbridge: ['c-agent', 'c-sum', 'single-alert'] });
  const failed = telemetry.lines.filter((l) => l.message.startsWith('correlation rule failed'));
  expect(failed).toHaveLength(1);
  expect(failed[0]).toMatchObject({ level: 'error', extra: { rule_id: 'c-count', reason: 'state-error', transient: true, error: expect.stringMatching(/^ThrottlingException: /) } });
  expect(runtime.correlator?.stats()).toMatchObject({ stateErrors: 1, outOfRange: 0 });
  expect(telemetry.total('PublishFailures')).toBe(0);
  expect(telemetry.total('EvaluationErrors')).toBe(0);
});

// Through the real handler (SNS and EventBridge mocked by aws-sdk-client-mock): an evaluation failure or an
// exhausted regex budget is counted and logged per rule, never thrown (a retry would fail the same way), and the
// event's other detections plus the built-in budget detection are delivered.

import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { createRuntime, runInvocation } from '../../lambda/handler';
import { BUDGET_RULE_ID } from '../../lambda/sigma/budget';
import { loadRules, loadRulesFromText } from '../../lambda/sigma/loader';
import type { RuleSetModel } from '../../lambda/sigma/types';
import { API_EXPLORER_CLIENT_ID, RecordingTelemetry, ROOT, SEED_RULE_FILE, SEED_RULE_ID, seedEvent } from './detector-fixtures';
import { mockSinks } from '../helpers/sink-mocks';

const TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:Auth0Sigma-Topic';
const BUS_ARN = 'arn:aws:events:eu-west-1:123456789012:event-bus/default';
const ENV = { SIGMA_TOPIC_ARN: TOPIC_ARN, SIGMA_DETECTION_BUS: BUS_ARN, SIGMA_AUTH0_DOMAIN: 'acme.eu.auth0.com' };
const REGEX_RULE_ID = '00000000-0000-4000-8000-0000000000c1';
const FIELD_RULE_ID = '00000000-0000-4000-8000-0000000000c2';
const EXTRA_RULES = `title: Scripted user agent
id: ${REGEX_RULE_ID}
status: test
level: low
logsource: { product: auth0 }
detection:
  sel:
    data.user_agent|re: '(?:\\w+\\s+){5,30}(?:curl|wget)'
  condition: sel
---
title: Suspicious scope
id: ${FIELD_RULE_ID}
status: test
level: low
logsource: { product: auth0 }
detection:
  sel: { data.scope|contains: 'delete:' }
  condition: sel
`;

/** The seed rule plus two more, with the given regex budget. */
function modelWithBudget(regexBudget: number): RuleSetModel {
  const seed = loadRules([SEED_RULE_FILE], { placeholders: { api_explorer_client_id: API_EXPLORER_CLIENT_ID }, unresolvedPlaceholders: 'error', root: ROOT });
  const extra = loadRulesFromText([{ file: 'extra.yml', text: EXTRA_RULES }], { unresolvedPlaceholders: 'error' });
  expect([...seed.diagnostics, ...extra.diagnostics].filter((d) => d.severity === 'error')).toEqual([]);
  return { ...seed.model, rules: [...seed.model.rules, ...extra.model.rules], options: { ...seed.model.options, regexBudget } };
}

const { sns: snsMock, eb: ebMock, reset: resetSinks } = mockSinks();
let telemetry: RecordingTelemetry;

beforeEach(() => {
  resetSinks();
  telemetry = new RecordingTelemetry();
});

function runtimeWith(model: RuleSetModel) {
  return createRuntime(ENV, { model, telemetry, snsClient: new SNSClient({ region: 'eu-west-1' }), eventBridgeClient: new EventBridgeClient({ region: 'eu-west-1' }) });
}

test('an event over the regex budget: the seed detection and the budget detection are delivered, nothing thrown', async () => {
  const runtime = runtimeWith(modelWithBudget(50_000));
  const hostileAgent = 'word '.repeat(800);
  const summary = await runInvocation(runtime, seedEvent({ user_agent: hostileAgent }));
  expect(summary).toEqual({ evaluated: 1, malformed: 0, detections: 2 });

  const entries = ebMock.commandCalls(PutEventsCommand).flatMap((c) => c.args[0].input.Entries ?? []);
  const details = entries.map((e) => JSON.parse(e.Detail!));
  expect(details.map((d) => d.rule.id).sort()).toEqual([BUDGET_RULE_ID, SEED_RULE_ID].sort());
  const budget = details.find((d) => d.rule.id === BUDGET_RULE_ID);
  expect(budget).toMatchObject({ rule: { level: 'high', title: 'Evaluation budget exceeded' }, skipped_rules: [{ id: REGEX_RULE_ID, title: 'Scripted user agent' }] });
  const subjects = snsMock.commandCalls(PublishCommand).map((c) => c.args[0].input.Subject);
  expect(subjects.some((s) => /Evaluation budget exceeded/.test(s ?? ''))).toBe(true);

  expect(telemetry.total('EvaluationBudgetExceeded')).toBe(1);
  expect(telemetry.counts).toContainEqual({ metric: 'RuleEvaluationFailures', value: 1, dimensions: { RuleId: REGEX_RULE_ID } });
  const line = telemetry.lines.find((l) => l.message === 'rule evaluation failed');
  expect(line).toMatchObject({ level: 'warn', extra: { rule_id: REGEX_RULE_ID, reason: 'evaluation budget exceeded' } });
  expect(JSON.stringify(telemetry.lines)).not.toContain('word word');
});

test('a rule whose evaluation throws is counted and logged without the event; the others deliver', async () => {
  const runtime = runtimeWith(modelWithBudget(10_000_000));
  const event = seedEvent();
  const data = (event.detail as { data: Record<string, unknown> }).data;
  // An engine defect on one field (a throwing getter stands in for it); its message holds event text.
  Object.defineProperty(data, 'scope', { enumerable: true, get: () => { throw new Error('leaked user@example.org'); } });
  const summary = await runInvocation(runtime, event);
  expect(summary).toMatchObject({ evaluated: 1, detections: 1 });
  expect(snsMock.commandCalls(PublishCommand)).toHaveLength(1);
  expect(telemetry.counts).toContainEqual({ metric: 'RuleEvaluationFailures', value: 1, dimensions: { RuleId: FIELD_RULE_ID } });
  const line = telemetry.lines.find((l) => l.message === 'rule evaluation failed');
  expect(line?.extra).toMatchObject({ rule_id: FIELD_RULE_ID, log_id: expect.any(String) });
  expect(String(line?.extra?.reason)).toMatch(/^Error( at |$)/);
  expect(JSON.stringify(telemetry.lines)).not.toContain('user@example.org');
  expect(telemetry.total('EvaluationBudgetExceeded')).toBe(0);
});

test('a delivery failure still throws (only delivery is retried)', async () => {
  const runtime = runtimeWith(modelWithBudget(50_000));
  snsMock.on(PublishCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
  await expect(runInvocation(runtime, seedEvent({ user_agent: 'word '.repeat(800) }))).rejects.toThrow(/not delivered/);
});

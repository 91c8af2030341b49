// The hostile-event corpus through the real Lambda handler runtime: correlation state on dynalite, SNS and
// EventBridge mocked by aws-sdk-client-mock. Each case must leave the unrelated canary rule firing and delivered,
// crash nothing, and put nothing attacker-written into a notification raw. Heavy cases: handler.long.test.ts.

import type { DetectorRuntime } from '../../lambda/handler';
import type { RuleSetModel } from '../../lambda/sigma/types';
import { startDynalite, type LocalDynamo } from '../helpers/dynalite';
import { RecordingTelemetry } from '../lambda/detector-fixtures';
import { HOSTILE_CASES } from './corpus';
import { expectCaseContained, hostileModel, hostileRuntime } from './handler-checks';
import { mockSinks } from '../helpers/sink-mocks';

const { sns, eb, reset: resetSinks } = mockSinks();

let local: LocalDynamo;
let model: RuleSetModel;
let runtime: DetectorRuntime;
let telemetry: RecordingTelemetry;

beforeAll(async () => {
  local = await startDynalite();
  model = hostileModel();
  telemetry = new RecordingTelemetry();
  runtime = await hostileRuntime(local, model, telemetry);
});

afterAll(async () => {
  await local?.stop();
});

beforeEach(() => {
  resetSinks();
});

const fast = HOSTILE_CASES.map((c, index) => ({ c, index })).filter(({ c }) => !c.heavy);

describe('hostile events through the Lambda handler', () => {
  test.each(fast.map(({ c, index }) => [c.name, c, index] as const))('%s: the canary still fires and is delivered; notifications stay clean', async (_name, c, index) => {
    await expectCaseContained(runtime, c, index, sns, eb);
  }, 60_000);

  test('no log line carries the attacker-controlled values (events are never logged whole)', () => {
    const logged = JSON.stringify(telemetry.lines);
    expect(logged).not.toContain('AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
    expect(logged).not.toContain('evil.example');
  });
});

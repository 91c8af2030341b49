// The heavy hostile cases through the real Lambda handler runtime (dynalite, mocked SNS and EventBridge), for
// `npm run test:long`. Same contract as handler.test.ts.

import type { DetectorRuntime } from '../../lambda/handler';
import { startDynalite, type LocalDynamo } from '../helpers/dynalite';
import { RecordingTelemetry } from '../lambda/detector-fixtures';
import { HOSTILE_CASES } from './corpus';
import { expectCaseContained, hostileModel, hostileRuntime } from './handler-checks';
import { mockSinks } from '../helpers/sink-mocks';

const { sns, eb, reset: resetSinks } = mockSinks();

let local: LocalDynamo;
let runtime: DetectorRuntime;

beforeAll(async () => {
  local = await startDynalite();
  runtime = await hostileRuntime(local, hostileModel(), new RecordingTelemetry());
});

afterAll(async () => {
  await local?.stop();
});

beforeEach(() => {
  resetSinks();
});

const heavy = HOSTILE_CASES.map((c, index) => ({ c, index })).filter(({ c }) => c.heavy);

describe('heavy hostile events through the Lambda handler', () => {
  test.each(heavy.map(({ c, index }) => [c.name, c, index] as const))('%s: the canary still fires and is delivered', async (_name, c, index) => {
    await expectCaseContained(runtime, c, index, sns, eb);
  }, 300_000);
});

// The heavy hostile cases through the real Lambda handler runtime (dynalite, mocked SNS and EventBridge), for
// `npm run test:long`. Same contract as handler.test.ts.

import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import type { DetectorRuntime } from '../../lambda/handler';
import { startDynalite, type LocalDynamo } from '../helpers/dynalite';
import { RecordingTelemetry } from '../lambda/detector-fixtures';
import { HOSTILE_CASES } from './corpus';
import { expectCaseContained, hostileModel, hostileRuntime } from './handler-checks';

const sns = mockClient(SNSClient);
const eb = mockClient(EventBridgeClient);

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
  sns.reset();
  eb.reset();
  sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
  eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
});

const heavy = HOSTILE_CASES.map((c, index) => ({ c, index })).filter(({ c }) => c.heavy);

describe('heavy hostile events through the Lambda handler', () => {
  test.each(heavy.map(({ c, index }) => [c.name, c, index] as const))('%s: the canary still fires and is delivered', async (_name, c, index) => {
    await expectCaseContained(runtime, c, index, sns, eb);
  }, 300_000);
});

// Fuzzing the Lambda handler: generated hostile events (1,000 in `npm test`, 100,000 in `npm run test:long`) through
// the real runtime (normalize → match → detections → SNS message building → EventBridge entries), AWS clients mocked. No invocation may throw when
// AWS accepts everything; every event is evaluated or counted as malformed, never both, never neither; log
// lines carry identifiers only (never a whole event); every publish stays within SNS's limits.

import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { createRuntime, runInvocation } from '../../lambda/handler';
import { fuzzModel } from './fuzz-arbitraries';
import { CheckingTelemetry, detectionOnly, fuzzHandler } from './fuzz-cases';
import { testScale } from '../helpers/scale';

const EVENTS = testScale(1_000, 100_000);

test(`${EVENTS.toLocaleString('en-US')} hostile events through the handler: no throw, every event accounted for, bounded logs and messages`, async () => {
  await fuzzHandler(EVENTS);
}, testScale(60_000, 1_200_000));

// Found by this fuzzing and fixed in lambda/pipeline.ts: the 'detection' log line copied log_id unbounded.
// Auth0 sets log_id, but a redriven or hand-made event could carry a 100 KB log_id into every log line.
test('a 100,000-character log_id is logged bounded', async () => {
  const snsMock = mockClient(SNSClient);
  const ebMock = mockClient(EventBridgeClient);
  snsMock.on(PublishCommand).resolves({ MessageId: 'm' });
  ebMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e' }] });
  const telemetry = new CheckingTelemetry();
  const runtime = createRuntime(
    { SIGMA_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:t' },
    { model: detectionOnly(fuzzModel()), telemetry, snsClient: new SNSClient({ region: 'eu-west-1' }) },
  );
  const summary = await runInvocation(runtime, { log_id: 'L'.repeat(100_000), data: { type: 's', user_name: 'a' } });
  expect(summary.detections).toBeGreaterThan(0);
  expect(telemetry.longestLogId).toBeLessThanOrEqual(300);
  snsMock.restore();
  ebMock.restore();
});

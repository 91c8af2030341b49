// The SNS and EventBridge clients of the handler tests, mocked (aws-sdk-client-mock) with the answers of a healthy
// AWS: every publish and every put succeeds. `reset()` restores those answers before each test; a test that
// needs a failure overrides one command after it.

import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';

export function mockSinks() {
  const sns = mockClient(SNSClient);
  const eb = mockClient(EventBridgeClient);
  return {
    sns,
    eb,
    reset(): void {
      sns.reset();
      eb.reset();
      sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
      eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
    },
  };
}

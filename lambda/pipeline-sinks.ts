// The delivery sinks the Lambda environment names (SNS topic, detection bus), shared by the detector and the
// correlation sweep so both deliver alike.

import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SNSClient } from '@aws-sdk/client-sns';
import { ENV_AUTH0_DOMAIN, ENV_DETECTION_BUS, ENV_TOPIC_ARN } from './notify/constants';
import { EventBridgeNotifier } from './notify/eventbridge-publisher';
import { SnsNotifier } from './notify/sns-publisher';
import type { DetectionSink } from './pipeline-types';
import type { RuleSetModel } from './sigma/types';

export interface SinkClients {
  snsClient?: SNSClient;
  eventBridgeClient?: EventBridgeClient;
}

/** Rule id → title of every rule in the set (a correlation's email names its rules by title). */
export function ruleTitles(model: RuleSetModel): Map<string, string> {
  return new Map(model.rules.map((r) => [r.id, r.title]));
}

/** The SNS and EventBridge sinks the environment names (the detector and the sweep deliver alike). */
export function createSinks(env: NodeJS.ProcessEnv, deps: SinkClients = {}, model?: RuleSetModel): DetectionSink[] {
  const sinks: DetectionSink[] = [];
  const topicArn = env[ENV_TOPIC_ARN];
  if (topicArn) {
    // The SDK retries throttling itself (standard mode); a few more attempts than the default ride out bursts.
    const client = deps.snsClient ?? new SNSClient({ maxAttempts: 5 });
    sinks.push(new SnsNotifier(client, { topicArn, auth0Domain: env[ENV_AUTH0_DOMAIN] || undefined, ruleTitles: model ? ruleTitles(model) : undefined }));
  }
  const bus = env[ENV_DETECTION_BUS];
  if (bus) {
    const client = deps.eventBridgeClient ?? new EventBridgeClient({ maxAttempts: 5 });
    sinks.push(new EventBridgeNotifier(client, { eventBusName: bus }));
  }
  return sinks;
}

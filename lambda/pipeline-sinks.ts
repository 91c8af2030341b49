// The delivery sinks the Lambda environment names (SNS topic, detection bus, Security Hub, chat topic), shared by
// the detector and the correlation sweep so both deliver alike.

import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { SecurityHubClient } from '@aws-sdk/client-securityhub';
import type { SNSClient } from '@aws-sdk/client-sns';
import { lazyEventBridgeClient, lazySecurityHubClient, lazySnsClient } from './aws-clients';
import { ENV_CHAT_MIN_LEVEL, ENV_CHAT_TOPIC_ARN, ENV_SECURITY_HUB_MIN_LEVEL, ENV_SECURITY_HUB_PRODUCT_ARN } from './notify/channel-constants';
import { ChatNotifier } from './notify/chat-publisher';
import { levelFromEnv } from './notify/detection-text';
import { SecurityHubNotifier } from './notify/securityhub-publisher';
import { ENV_AUTH0_DOMAIN, ENV_DETECTION_BUS, ENV_TOPIC_ARN } from './notify/constants';
import { EventBridgeNotifier } from './notify/eventbridge-publisher';
import { SnsNotifier } from './notify/sns-publisher';
import type { DetectionSink } from './pipeline-types';
import type { RuleSetModel } from './sigma/types';

export interface SinkClients {
  snsClient?: SNSClient;
  eventBridgeClient?: EventBridgeClient;
  securityHubClient?: SecurityHubClient;
}

/** Rule id → title of every rule in the set (a correlation's email names its rules by title). */
export function ruleTitles(model: RuleSetModel): Map<string, string> {
  return new Map(model.rules.map((r) => [r.id, r.title]));
}

/** The sinks the environment names (the detector and the sweep deliver alike). */
export function createSinks(env: NodeJS.ProcessEnv, deps: SinkClients = {}, model?: RuleSetModel): DetectionSink[] {
  const sinks: DetectionSink[] = [];
  // One SNS client for the detection and the chat topics. The clients made here load the SDK on their first
  // request (aws-clients.ts): a cold start that sends nothing never pays for it.
  const snsClient = deps.snsClient ?? lazySnsClient();
  const topicArn = env[ENV_TOPIC_ARN];
  if (topicArn) {
    sinks.push(new SnsNotifier(snsClient, { topicArn, auth0Domain: env[ENV_AUTH0_DOMAIN] || undefined, ruleTitles: model ? ruleTitles(model) : undefined }));
  }
  const bus = env[ENV_DETECTION_BUS];
  if (bus) {
    const client = deps.eventBridgeClient ?? lazyEventBridgeClient();
    sinks.push(new EventBridgeNotifier(client, { eventBusName: bus }));
  }
  const chatTopicArn = env[ENV_CHAT_TOPIC_ARN];
  if (chatTopicArn) {
    sinks.push(new ChatNotifier(snsClient, {
      topicArn: chatTopicArn,
      minLevel: levelFromEnv(env[ENV_CHAT_MIN_LEVEL], ENV_CHAT_MIN_LEVEL, 'medium'),
      auth0Domain: env[ENV_AUTH0_DOMAIN] || undefined,
    }));
  }
  const productArn = env[ENV_SECURITY_HUB_PRODUCT_ARN];
  if (productArn) {
    const client = deps.securityHubClient ?? lazySecurityHubClient();
    sinks.push(new SecurityHubNotifier(client, {
      productArn,
      minLevel: levelFromEnv(env[ENV_SECURITY_HUB_MIN_LEVEL], ENV_SECURITY_HUB_MIN_LEVEL, 'low'),
      auth0Domain: env[ENV_AUTH0_DOMAIN] || undefined,
    }));
  }
  return sinks;
}

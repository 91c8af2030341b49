// Posts detections at or above the chat minimum level to the chat topic, one SNS message per detection whose
// whole body is the custom notification JSON (chat-message.ts). AWS Chatbot subscribes to the topic itself, so
// SNS subscription filter policies cannot pick levels for it: the level filter is applied here.

import type { SNSClient } from '@aws-sdk/client-sns';
import { clientOf, snsSdk, type ClientSource } from '../aws-clients';
import type { DetectionItem, DetectionSink } from '../pipeline-types';
import type { Detection, Level } from '../sigma/types';
import { buildChatNotification } from './chat-message';
import { deliverEach } from './delivery-error';
import { levelAtLeast } from './detection-text';

export interface ChatNotifierOptions {
  topicArn: string;
  minLevel: Level;
  auth0Domain?: string;
}

export class ChatNotifier implements DetectionSink {
  readonly name = 'chat';

  constructor(
    private readonly client: ClientSource<SNSClient>,
    private readonly options: ChatNotifierOptions,
  ) {}

  accepts(detection: Detection): boolean {
    return levelAtLeast(detection.rule.level, this.options.minLevel);
  }

  async deliver(items: DetectionItem[]): Promise<void> {
    const selected = items.flatMap((item, index) => (this.accepts(item.detection) ? [index] : []));
    await deliverEach(this.name, items, selected, (item) => {
      const notification = buildChatNotification(item.detection, { event: item.event, auth0Domain: this.options.auth0Domain });
      return clientOf(this.client).send(new (snsSdk().PublishCommand)({ TopicArn: this.options.topicArn, Message: JSON.stringify(notification) }));
    });
  }
}

// Publishes one SNS message per detection (see sns-message.ts for the message and why it is shaped so).

import type { SNSClient } from '@aws-sdk/client-sns';
import { clientOf, snsSdk, type ClientSource } from '../aws-clients';
import type { DetectionItem, DetectionSink } from '../pipeline-types';
import { deliverEach } from './delivery-error';
import { buildSnsMessage } from './sns-message';

export interface SnsNotifierOptions {
  topicArn: string;
  auth0Domain?: string;
  /** Rule id → title, so a correlation's email names the rules involved by title too. */
  ruleTitles?: ReadonlyMap<string, string>;
}

export class SnsNotifier implements DetectionSink {
  readonly name = 'sns';

  constructor(
    private readonly client: ClientSource<SNSClient>,
    private readonly options: SnsNotifierOptions,
  ) {}

  async deliver(items: DetectionItem[]): Promise<void> {
    await deliverEach(this.name, items, items.map((_, i) => i), (item) => {
      const message = buildSnsMessage(item.detection, {
        event: item.event, auth0Domain: this.options.auth0Domain, ruleTitles: this.options.ruleTitles, channels: item.channels,
      });
      return clientOf(this.client).send(
        new (snsSdk().PublishCommand)({
          TopicArn: this.options.topicArn,
          Subject: message.subject,
          Message: message.message,
          MessageStructure: 'json',
          MessageAttributes: message.attributes,
        }),
      );
    });
  }
}

// Publishes one SNS message per detection (see sns-message.ts for the message and why it is shaped so).

import type { SNSClient } from '@aws-sdk/client-sns';
import { clientOf, snsSdk, type ClientSource } from '../aws-clients';
import type { DetectionItem, DetectionSink } from '../pipeline-types';
import { DeliveryError, errorText } from './delivery-error';
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
    // Every detection is attempted even when one fails, so one throttled publish does not hold back the others;
    // then the failure is thrown so Lambda retries the invocation (the SDK has already retried throttling).
    const results = await Promise.allSettled(
      items.map((item) => {
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
      }),
    );
    const failures = results.flatMap((result, i) =>
      result.status === 'rejected'
        ? [{ ruleId: items[i].detection.rule.id, logId: items[i].detection.log_id, error: errorText(result.reason), index: i }]
        : [],
    );
    if (failures.length > 0) throw new DeliveryError(this.name, failures);
  }
}

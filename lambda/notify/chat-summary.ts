// The storm-control summary as a chat card (docs/channels.md#storm-control-in-chat): when a rule ran past its
// chat budget in a window, the sweep posts one card "N more detections of <rule> between <start> and <end>" after
// the window, in the rule's thread, instead of the cards it held back. Same custom-notification format and bounds
// as a detection card (chat-message.ts); the rule title and tenant are cleaned like any other value.

import type { SNSClient } from '@aws-sdk/client-sns';
import { clientOf, snsSdk, type ClientSource } from '../aws-clients';
import type { Channel, StormSummary, SummarySender } from '../reliability/storm';
import { CHAT_EVENT_TYPE, CHAT_LIMITS, chatThreadId, fit, type ChatNotification } from './chat-message';
import { chatText } from './sanitize';

export function buildChatSummary(summary: StormSummary): ChatNotification {
  const level = summary.level.toUpperCase();
  const title = chatText(summary.title, 300, 'rule');
  const tenant = summary.tenant === undefined ? '' : chatText(summary.tenant, 100, 'rule');
  const ruleId = chatText(summary.ruleId, 300, 'rule');
  const held = summary.suppressed.chat ?? 0;
  const inTenant = tenant ? ` (${tenant})` : '';
  const lines = [
    `*Level:* ${level}`,
    ...(tenant ? [`*Tenant:* ${tenant}`] : []),
    `*Rule:* ${ruleId}`,
    `*Window:* ${summary.windowStart} to ${summary.windowEnd}`,
    `*Detections:* ${summary.total} in this window, ${held} not posted here (over the chat budget)`,
  ];
  return {
    version: '1.0',
    source: 'custom',
    id: `auth0-sigma-summary-${chatThreadId(tenant, summary.ruleId).slice('auth0-sigma-'.length)}-${Date.parse(summary.windowStart)}`,
    content: {
      textType: 'client-markdown',
      title: fit(`:warning: ${level}: ${held} more detection(s) of ${title}${inTenant}`, CHAT_LIMITS.title),
      description: fit(lines.join('\n'), CHAT_LIMITS.description),
      nextSteps: [
        fit(`Every detection is on EventBridge (source auth0-sigma) and in the function logs: search by rule id ${ruleId}.`, CHAT_LIMITS.nextStep),
        'If the rule is noisy, tune it, or raise chatMinLevel or its chat budget (notificationBudgets).',
      ],
      keywords: [summary.level, ...(tenant ? [fit(tenant, CHAT_LIMITS.keyword)] : []), 'storm-control'],
    },
    metadata: {
      threadId: chatThreadId(tenant, summary.ruleId),
      summary: fit(`${level}: ${held} more of ${title}${inTenant}`, CHAT_LIMITS.summary),
      eventType: `${CHAT_EVENT_TYPE}-summary`,
      relatedResources: [],
      additionalContext: { level: summary.level, ruleId: fit(ruleId, CHAT_LIMITS.contextValue), ...(tenant ? { tenant } : {}) },
    },
  };
}

/** Posts storm summaries to the chat topic (the sweep's StormControl of the chat scope). */
export class ChatSummarySender implements SummarySender {
  constructor(
    private readonly client: ClientSource<SNSClient>,
    private readonly topicArn: string,
  ) {}

  async sendSummary(summary: StormSummary, _channels: Channel[]): Promise<void> {
    await clientOf(this.client).send(new (snsSdk().PublishCommand)({ TopicArn: this.topicArn, Message: JSON.stringify(buildChatSummary(summary)) }));
  }
}

// The storm-control summary: "N more detections of <rule> between <start> and <end>", one SNS message per rule
// and window, shaped like a detection message (MessageStructure json; `level`, `rule_id` and `channels`
// attributes, so the same subscription filter policies route it).

import type { MessageAttributeValue, SNSClient } from '@aws-sdk/client-sns';
import { clientOf, snsSdk, type ClientSource } from '../aws-clients';
import { SNS_ATTRIBUTE_CHANNELS, SNS_ATTRIBUTE_LEVEL, SNS_ATTRIBUTE_RULE_ID } from '../notify/constants';
import { safeLabel, toAscii, truncate } from '../notify/sanitize';
import { SMS_MAX, snsSubject } from '../notify/sns-message';
import type { Channel, StormSummary, SummarySender } from './storm';

export interface SummaryMessage {
  subject: string;
  message: string;
  attributes: Record<string, MessageAttributeValue>;
  email: string;
  sms: string;
}

export function buildSummaryMessage(summary: StormSummary, channels: Channel[]): SummaryMessage {
  const level = summary.level.toUpperCase();
  const emailCount = summary.suppressed.email ?? 0;
  const smsCount = summary.suppressed.sms ?? 0;
  const title = safeLabel(summary.title, 300);
  const email = [
    `Auth0 Sigma: ${emailCount} more detection(s) of "${title}" between ${summary.windowStart} and ${summary.windowEnd}.`,
    '',
    `Level:        ${level}`,
    ...(summary.tenant === undefined ? [] : [`Tenant:       ${safeLabel(summary.tenant, 100)}`]),
    `Rule id:      ${safeLabel(summary.ruleId, 300)}`,
    `Detections:   ${summary.total} in this window`,
    `Not emailed:  ${emailCount}`,
    `Not texted:   ${smsCount}`,
    '',
    'This rule reached its notification budget for the window. Every detection was still put on EventBridge',
    '(source auth0-sigma, detail-type "Sigma detection"); search them there or in the function logs by rule id.',
  ].join('\n');
  const head = `${level}: ${smsCount} more `;
  const tenant = summary.tenant === undefined ? '' : ` t=${toAscii(summary.tenant, 63)}`;
  const tail = ` ${summary.windowStart.slice(11, 16)}-${summary.windowEnd.slice(11, 16)}Z${tenant}`;
  const sms = truncate(head + toAscii(summary.title, Math.max(10, SMS_MAX - head.length - tail.length)) + tail, SMS_MAX);
  // SNS refuses a subject of 100 characters or more: the summary would stay due and fail every sweep.
  const subject = snsSubject(`[auth0-sigma] ${level}: ${emailCount} more: `, [summary.title, summary.ruleId], 'detections');
  const attributes: Record<string, MessageAttributeValue> = {
    [SNS_ATTRIBUTE_LEVEL]: { DataType: 'String', StringValue: summary.level },
    [SNS_ATTRIBUTE_RULE_ID]: { DataType: 'String', StringValue: summary.ruleId },
    [SNS_ATTRIBUTE_CHANNELS]: { DataType: 'String.Array', StringValue: JSON.stringify(channels) },
    'AWS.SNS.SMS.SMSType': { DataType: 'String', StringValue: 'Transactional' },
  };
  const json = JSON.stringify({ summary: { rule: { id: summary.ruleId, title: summary.title, level: summary.level }, ...(summary.tenant === undefined ? {} : { tenant: summary.tenant }), window: { start: summary.windowStart, end: summary.windowEnd }, total: summary.total, suppressed: summary.suppressed } });
  return { subject, message: JSON.stringify({ default: json, email, sms }), attributes, email, sms };
}

export class SnsSummarySender implements SummarySender {
  constructor(
    private readonly client: ClientSource<SNSClient>,
    private readonly topicArn: string,
  ) {}

  async sendSummary(summary: StormSummary, channels: Channel[]): Promise<void> {
    const m = buildSummaryMessage(summary, channels);
    await clientOf(this.client).send(new (snsSdk().PublishCommand)({
      TopicArn: this.topicArn,
      Subject: m.subject,
      Message: m.message,
      MessageStructure: 'json',
      MessageAttributes: m.attributes,
    }));
  }
}

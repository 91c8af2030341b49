// One SNS message per detection, published with MessageStructure 'json': SNS delivers the `email` text to email
// subscriptions, the `sms` text to SMS subscriptions and `default` (the detection JSON) to every other protocol
// (SQS, Lambda, HTTPS) a user may add later.
//
// Why per-level filtering still works with MessageStructure 'json': subscription filter policies with the default
// FilterPolicyScope (MessageAttributes) are evaluated by SNS against the attributes given to the Publish call,
// before delivery, whatever the message structure and whatever the protocol (email and SMS included). The SNS
// documentation notes that attributes are *delivered* to endpoints only with the String structure; that concerns
// the copy an SQS/HTTP subscriber receives, not filtering, and email/SMS recipients never see attributes anyway.
// FilterPolicyScope MessageBody would not work here: with 'json' each protocol gets a different body, and the
// email body is plain text. So the level goes in a message attribute, and each email/SMS subscription carries
// `{"level": [<levels at or above its minimum>]}` (see lib/sigma-detector.ts).

import type { MessageAttributeValue } from '@aws-sdk/client-sns';
import type { Detection, NormalizedEvent } from '../sigma/types';
import { SNS_ATTRIBUTE_CHANNELS, SNS_ATTRIBUTE_LEVEL, SNS_ATTRIBUTE_RULE_ID, SNS_ATTRIBUTE_TAGS } from './constants';
import { dashboardLogUrl } from './dashboard-link';
import { detectionJson } from './fit-detection';
import { CUT_MARK, safeBlock, safeLabel, safeLine, toAscii, truncate } from './sanitize';

// SNS: "must be less than 100 characters long".
export const SUBJECT_MAX = 99;
export const TAGS_MAX = 32;
export const TAG_MAX_LENGTH = 128;
export const SMS_MAX = 140;
/** Room left for `default` inside SNS's 256 KB message limit, after email text, SMS text and JSON escaping. */
const DEFAULT_JSON_MAX_BYTES = 96 * 1024;
const FIELD_MAX = 300;
const LIST_MAX_ITEMS = 20;
/** What a correlation's value measures, per type, as the email labels it. */
const CORRELATION_MEASURE: Record<string, string> = {
  event_count: 'Event count',
  value_count: 'Distinct values',
  temporal: 'Rules matched',
  temporal_ordered: 'Rules matched in order',
  value_sum: 'Sum',
  value_avg: 'Average',
  value_percentile: 'Percentile value',
};

export interface MessageContext {
  /** The event the detection came from, for fields the detection does not carry (user agent, tenant). */
  event?: NormalizedEvent;
  /** The tenant's canonical domain, for the dashboard link. */
  auth0Domain?: string;
  /** Rule id → title, to name a correlation's rules (ids alone mean little to a reader). */
  ruleTitles?: ReadonlyMap<string, string>;
  /**
   * Storm control's channels for this detection (lambda/reliability/storm.ts). When given, the `channels`
   * attribute lists them and each email/SMS subscription's filter policy requires its own channel.
   */
  channels?: readonly string[];
}

export interface SnsMessage {
  subject: string;
  /** The MessageStructure 'json' body: `{"default", "email", "sms"}`. */
  message: string;
  attributes: Record<string, MessageAttributeValue>;
  /** The parts, for tests and logs. */
  email: string;
  sms: string;
  default: string;
}

export function buildSnsMessage(detection: Detection, context: MessageContext = {}): SnsMessage {
  const email = emailText(detection, context);
  const sms = smsText(detection);
  const def = detectionJson(detection, DEFAULT_JSON_MAX_BYTES);
  const attributes: Record<string, MessageAttributeValue> = {
    [SNS_ATTRIBUTE_LEVEL]: { DataType: 'String', StringValue: detection.rule.level },
    [SNS_ATTRIBUTE_RULE_ID]: { DataType: 'String', StringValue: detection.rule.id },
    // Security alerts are time-critical: transactional SMS get the higher delivery priority.
    'AWS.SNS.SMS.SMSType': { DataType: 'String', StringValue: 'Transactional' },
  };
  // Bounded so a rule with a huge tag list cannot push the publish over SNS's attribute limits; a tag is dropped,
  // never cut, since subscription filter policies match whole tags.
  const tags = detection.rule.tags.filter((t) => t !== '' && t.length <= TAG_MAX_LENGTH).slice(0, TAGS_MAX);
  // SNS rejects an empty String.Array value, so a rule without tags sends no `tags` attribute.
  if (tags.length > 0) attributes[SNS_ATTRIBUTE_TAGS] = { DataType: 'String.Array', StringValue: JSON.stringify(tags) };
  if (context.channels && context.channels.length > 0) {
    attributes[SNS_ATTRIBUTE_CHANNELS] = { DataType: 'String.Array', StringValue: JSON.stringify([...context.channels]) };
  }
  return {
    subject: subjectText(detection),
    message: JSON.stringify({ default: def, email, sms }),
    attributes,
    email,
    sms,
    default: def,
  };
}

/** Fewer than 100 printable ASCII characters, as SNS requires of subjects. */
export function subjectText(detection: Detection): string {
  return snsSubject(`[auth0-sigma] ${detection.rule.level.toUpperCase()}: `, [detection.rule.title, detection.rule.id], 'detection');
}

/**
 * An SNS subject for any message kind: `head` (our own text) then the first of `texts` that has something left
 * after `toAscii`, else `fallback`; 1 to SUBJECT_MAX (99) printable ASCII characters, never a line break.
 */
export function snsSubject(head: string, texts: readonly unknown[], fallback: string): string {
  const safeHead = truncate(head.replace(/[^\x20-\x7e]/g, '?'), SUBJECT_MAX - 1, '');
  const room = SUBJECT_MAX - safeHead.length;
  let body = '';
  for (const text of texts) if (!body) body = toAscii(text, room);
  const subject = truncate(safeHead + (body || fallback), SUBJECT_MAX, '').trim();
  return subject === '' ? fallback.slice(0, SUBJECT_MAX) : subject;
}

/** Level, title, user and IP in at most 140 plain ASCII characters. */
export function smsText(detection: Detection): string {
  const group = detection.correlation?.group ?? {};
  const user = toAscii(detection.user_name ?? detection.user_id ?? group['data.user_name'] ?? group['data.user_id'] ?? '', 40);
  const ip = toAscii(detection.ip ?? group['data.ip'] ?? '', 45);
  // With several tenants the SMS names the one it is about (a single-tenant SMS is unchanged).
  const tenant = toAscii((detection as Detection & { tenant?: string }).tenant ?? '', 24);
  const tail = (user ? ` user ${user}` : '') + (ip ? ` ip ${ip}` : '') + (detection.correlation ? ` n=${detection.correlation.value}` : '') + (tenant ? ` t=${tenant}` : '');
  const head = `${detection.rule.level.toUpperCase()}: `;
  const titleRoom = SMS_MAX - head.length - tail.length;
  return truncate(head + toAscii(detection.rule.title, Math.max(titleRoom, 10)) + tail, SMS_MAX, CUT_MARK);
}

function emailText(detection: Detection, context: MessageContext): string {
  const meta = detection.rule.meta ?? {};
  const data = context.event?.data ?? {};
  const lines: string[] = [];
  const row = (label: string, value: string): void => {
    if (value !== '') lines.push(`${(label + ':').padEnd(14)}${value}`);
  };
  const pair = (name: unknown, id: unknown): string => {
    const n = safeLine(name, FIELD_MAX);
    const i = safeLine(id, FIELD_MAX);
    return n && i ? `${n} (${i})` : n || i;
  };

  lines.push(`Auth0 Sigma detection: ${safeLabel(detection.rule.title, FIELD_MAX)}`, '');
  row('Level', detection.rule.level.toUpperCase());
  row('Rule', safeLabel(detection.rule.title, FIELD_MAX));
  row('Rule id', safeLabel(detection.rule.id, FIELD_MAX));
  const description = safeBlock(meta.description, 2000);
  if (description) lines.push('', 'Description:', indent(description));

  lines.push('');
  row('When', safeLine(detection.date ?? data.date, 64));
  row('Who', pair(detection.user_name, detection.user_id));
  const where = [
    detection.ip ? `IP ${safeLine(detection.ip, 64)}` : '',
    data.user_agent ? `user agent ${safeLine(data.user_agent, FIELD_MAX)}` : '',
  ].filter(Boolean).join(', ');
  row('From where', where);
  row('Application', pair(detection.client_name, detection.client_id));
  // The tenant recorded on the detection (several tenants in one stack: lambda/tenants.ts) comes first.
  row('Tenant', safeLine((detection as Detection & { tenant?: string }).tenant ?? data.tenant_name ?? data.hostname ?? context.auth0Domain, FIELD_MAX));
  row('Event type', safeLine(detection.type, 64));
  row('Log id', safeLine(detection.log_id, 128));
  row('Dashboard', dashboardLogUrl(context.auth0Domain, detection.log_id) ?? '');
  if (detection.matched && detection.matched.length > 0) row('Matched', safeLabel(detection.matched.join(', '), FIELD_MAX));

  const fieldValues = Object.entries(detection.field_values ?? {}).slice(0, LIST_MAX_ITEMS);
  if (fieldValues.length > 0) {
    lines.push('', 'Rule fields:');
    for (const [path, value] of fieldValues) lines.push(`  ${safeLabel(path, 100)}: ${safeLine(value, FIELD_MAX)}`);
  }

  const c = detection.correlation;
  if (c) {
    lines.push('', 'Correlation:');
    lines.push(`  Type: ${safeLine(c.type, 40)}`);
    lines.push(`  ${CORRELATION_MEASURE[c.type] ?? 'Value'}: ${safeLine(c.value, 40)}`);
    lines.push(`  Window: ${safeLine(c.window.start, 64)} to ${safeLine(c.window.end, 64)}`);
    for (const [k, v] of Object.entries(c.group).slice(0, LIST_MAX_ITEMS)) lines.push(`  Group ${safeLabel(k, 100)}: ${safeLine(v, FIELD_MAX)}`);
    if (c.rules.length > 0) {
      const named = c.rules.slice(0, LIST_MAX_ITEMS).map((id) => {
        const title = context.ruleTitles?.get(id);
        return title ? `${safeLabel(title, 120)} (${safeLabel(id, 128)})` : safeLabel(id, 128);
      });
      lines.push(`  Rules: ${named.join(', ')}`);
    }
    if (c.log_ids.length > 0) {
      lines.push(`  Log ids: ${c.log_ids.slice(0, 10).map((id) => safeLine(id, 128)).join(', ')}`);
      const first = dashboardLogUrl(context.auth0Domain, c.log_ids[0]);
      if (first) lines.push(`  First log: ${first}`);
    }
  }

  listSection(lines, 'False positives', meta.falsepositives);
  listSection(lines, 'Prevention', meta.prevention);
  listSection(lines, 'References', meta.references);
  if (detection.rule.tags.length > 0) lines.push('', `Tags: ${safeLabel(detection.rule.tags.join(', '), FIELD_MAX * 2)}`);

  lines.push(
    '',
    '--',
    'Sent by auth0-sigma. Values from the log are shown as received, except that invisible characters are removed,',
    'Unicode is normalised, links and domains are defanged (hxxps[://]example[.]com), angle brackets are replaced',
    'and long values are cut.',
  );
  return lines.join('\n');
}

function listSection(lines: string[], title: string, value: unknown): void {
  const items = (Array.isArray(value) ? value : value === undefined || value === null || value === '' ? [] : [value])
    .slice(0, LIST_MAX_ITEMS)
    .map((item) => safeBlock(item, 1000))
    .filter((item) => item !== '');
  if (items.length === 0) return;
  lines.push('', `${title}:`);
  for (const item of items) lines.push(`  - ${item.replace(/\n/g, '\n    ')}`);
}

function indent(text: string): string {
  return text.split('\n').map((l) => `  ${l}`).join('\n');
}

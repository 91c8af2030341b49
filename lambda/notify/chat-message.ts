// The chat card of a detection: an AWS Chatbot ("Amazon Q Developer in chat applications") custom notification,
// published as the whole SNS message to the chat topic, which Chatbot relays to Slack or Microsoft Teams.
//
// Documented event schema (custom notifications, docs.aws.amazon.com/chatbot/latest/adminguide/custom-notifs.html):
// `version` "1.0" and `source` "custom" are required; `id`, `content` {textType ("client-markdown", the only one
// supported), title, description, nextSteps[], keywords[]} and `metadata` {threadId, summary, eventType,
// relatedResources[], additionalContext{}} are optional. We found no length limit for any field there, so the
// field bounds are ours, set under the documented limits of where the card goes (sources in docs/channels.md):
// - SNS: a message of at most 262,144 bytes of UTF-8 (the topic's default maximum);
// - Slack: a section block's text at most 3000 characters, a header block's at most 150, a message at most 40,000;
// - Microsoft Teams: a bot message at most 40 KB, counted in UTF-16 (Microsoft's older, stricter figure).
// Title and summary 150 (a header block, should Chatbot render them as one), description 2900 (one section block,
// with room for Chatbot's own markup), 5 next steps of 500 (2500: one section block together), 10 keywords of 50,
// 3 related resources and 5 context values of 256 (what we fill). Bounds count UTF-16 code units (`fit`), so a card
// at every bound stays under 40 KB of UTF-16 whatever its characters (test/lambda/chat.test.ts checks it).
//
// Every value from the log or the rule goes through the sanitiser's `chatText` (sanitize.ts): invisible
// characters and line breaks removed, links defanged, `<` `>` `&` neutralised, broadcast mentions (@here,
// @channel) broken. The only live link is the Auth0 Dashboard link this code builds from the validated domain
// and log id.

import { createHash } from 'node:crypto';
import type { Detection, Level, NormalizedEvent } from '../sigma/types';
import { dashboardLogUrl } from './dashboard-link';
import { detectionFacts, type Clean } from './detection-text';
import { chatText } from './sanitize';

export const CHAT_LIMITS = {
  title: 150,
  description: 2900,
  nextSteps: 5,
  nextStep: 500,
  keywords: 10,
  keyword: 50,
  summary: 150,
  relatedResources: 3,
  relatedResource: 256,
  contextValues: 5,
  contextValue: 256,
  /** SNS: UTF-8 bytes of the whole message (documented). */
  messageBytes: 262_144,
} as const;

/** Documented limits of the chat platforms the card is posted to (docs/channels.md#chat-card-limits). */
export const CHAT_PLATFORM_LIMITS = {
  /** Slack: one section block's text. */
  slackSectionChars: 3000,
  /** Slack: a header block's text. */
  slackHeaderChars: 150,
  /** Slack: a message's text (longer is truncated). */
  slackMessageChars: 40_000,
  /** Microsoft Teams: a bot message, counted as UTF-16 (40 KB, taken as 40,000 bytes). */
  teamsMessageUtf16Bytes: 40_000,
} as const;
export const CHAT_EVENT_TYPE = 'auth0-sigma-detection';

export interface ChatNotification {
  version: '1.0';
  source: 'custom';
  id: string;
  content: {
    textType: 'client-markdown';
    title: string;
    description: string;
    nextSteps: string[];
    keywords: string[];
  };
  metadata: {
    threadId: string;
    summary: string;
    eventType: string;
    relatedResources: string[];
    additionalContext: Record<string, string>;
  };
}

const LEVEL_MARK: Record<Level, string> = {
  critical: ':red_circle:',
  high: ':red_circle:',
  medium: ':large_orange_circle:',
  low: ':large_yellow_circle:',
  informational: ':information_source:',
};

const clean: Clean = (value, max, origin) => chatText(value, max, origin);

export function buildChatNotification(detection: Detection, context: { event?: NormalizedEvent; auth0Domain?: string } = {}): ChatNotification {
  const facts = detectionFacts(detection, context.event, context.auth0Domain, clean);
  const level = facts.level.toUpperCase();
  const tenant = facts.tenant ? ` (${facts.tenant})` : '';
  const link = dashboardLogUrl(context.auth0Domain, detection.log_id ?? detection.correlation?.log_ids[0]);

  const lines: string[] = [];
  const line = (label: string, value: string): void => {
    if (value) lines.push(`*${label}:* ${value}`);
  };
  line('Level', level);
  line('Tenant', facts.tenant);
  line('What happened', facts.whatHappened);
  line('Correlation', facts.correlation);
  line('Who', facts.user);
  line('From', [facts.ip && `IP ${facts.ip}`, facts.client && `application ${facts.client}`].filter(Boolean).join(', '));
  line('User agent', facts.userAgent);
  line('When', facts.when);
  line('Rule', facts.ruleId);
  line('Log id', facts.logId);
  if (link) lines.push(`*Auth0 Dashboard:* ${link}`);

  const nextSteps = facts.whatToDo.slice(0, link ? CHAT_LIMITS.nextSteps - 1 : CHAT_LIMITS.nextSteps).map((step) => fit(step, CHAT_LIMITS.nextStep));
  if (link) nextSteps.push(`Open the log entry in the Auth0 Dashboard: ${link}`);

  const keywords = [facts.level, ...(facts.tenant ? [facts.tenant] : []), ...detection.rule.tags.filter((t) => t.startsWith('attack.'))]
    .map((k) => fit(clean(k, CHAT_LIMITS.keyword, 'rule'), CHAT_LIMITS.keyword))
    .filter((k) => k !== '');
  const context_: Record<string, string> = {};
  const add = (key: string, value: string): void => {
    if (value && Object.keys(context_).length < CHAT_LIMITS.contextValues) context_[key] = fit(value, CHAT_LIMITS.contextValue);
  };
  add('level', facts.level);
  add('tenant', facts.tenant);
  add('ruleId', facts.ruleId);
  add('logId', facts.logId);
  add('eventType', facts.eventType);

  const threadId = chatThreadId(facts.tenant, detection.rule.id);
  return {
    version: '1.0',
    source: 'custom',
    id: `auth0-sigma-${hash(`${facts.tenant}\u0000${detection.rule.id}\u0000${detection.log_id ?? JSON.stringify(detection.correlation?.window ?? detection.date ?? '')}`)}`,
    content: {
      textType: 'client-markdown',
      title: fit(`${LEVEL_MARK[facts.level] ?? ''} ${level}: ${facts.title}${tenant}`.trim(), CHAT_LIMITS.title),
      description: fit(lines.join('\n'), CHAT_LIMITS.description),
      nextSteps,
      keywords: [...new Set(keywords)].slice(0, CHAT_LIMITS.keywords),
    },
    metadata: {
      threadId,
      summary: fit(`${level}: ${facts.title}${tenant}`, CHAT_LIMITS.summary),
      eventType: CHAT_EVENT_TYPE,
      relatedResources: [facts.user, facts.client, facts.ip].filter(Boolean).map((r) => fit(r, CHAT_LIMITS.relatedResource)).slice(0, CHAT_LIMITS.relatedResources),
      additionalContext: context_,
    },
  };
}

/**
 * `text` in at most `max` UTF-16 code units (JavaScript's length, an emoji counts two: the stricter reading of a
 * platform's "characters"), cut with a marker, never inside a surrogate pair.
 */
export function fit(text: string, max: number, marker = '...'): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max - marker.length);
  const last = text.charCodeAt(end - 1);
  if (end > 0 && last >= 0xd800 && last <= 0xdbff) end--;
  return text.slice(0, end) + marker.slice(0, max - end);
}

/**
 * A thread per tenant and rule (when the channel allows threads): a burst of one rule stays in one thread, and
 * the storm-control summary of that rule (chat-summary.ts) joins it.
 */
export function chatThreadId(tenant: string, ruleId: string): string {
  return `auth0-sigma-${hash(`${tenant}\u0000${ruleId}`)}`;
}

function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 24);
}

// The chat card of a detection: an AWS Chatbot ("Amazon Q Developer in chat applications") custom notification,
// published as the whole SNS message to the chat topic, which Chatbot relays to Slack or Microsoft Teams.
//
// Documented event schema (custom notifications): `version` "1.0" and `source` "custom" are required; `id`,
// `content` {textType ("client-markdown", the only one supported), title, description, nextSteps[], keywords[]}
// and `metadata` {threadId, summary, eventType, relatedResources[], additionalContext{}} are optional.
// The bounds below are ours, chosen under the limits of the chat platforms the card ends up in (a Slack section
// block takes 3000 characters) and far under SNS's 256 KB: title 250, description 2900, 5 next steps of 500,
// 10 keywords of 50, summary 250, 10 related resources of 256, 10 context values of 256.
//
// Every value from the log or the rule goes through the sanitiser's `chatText` (sanitize.ts): invisible
// characters and line breaks removed, links defanged, `<` `>` `&` neutralised, broadcast mentions (@here,
// @channel) broken. The only live link is the Auth0 Dashboard link this code builds from the validated domain
// and log id.

import { createHash } from 'node:crypto';
import type { Detection, Level, NormalizedEvent } from '../sigma/types';
import { dashboardLogUrl } from './dashboard-link';
import { detectionFacts, type Clean } from './detection-text';
import { chatText, truncate } from './sanitize';

export const CHAT_LIMITS = {
  title: 250,
  description: 2900,
  nextSteps: 5,
  nextStep: 500,
  keywords: 10,
  keyword: 50,
  summary: 250,
  relatedResources: 10,
  relatedResource: 256,
  contextValues: 10,
  contextValue: 256,
  messageBytes: 256 * 1024,
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

  const nextSteps = facts.whatToDo.slice(0, link ? CHAT_LIMITS.nextSteps - 1 : CHAT_LIMITS.nextSteps).map((step) => truncate(step, CHAT_LIMITS.nextStep));
  if (link) nextSteps.push(`Open the log entry in the Auth0 Dashboard: ${link}`);

  const keywords = [facts.level, ...(facts.tenant ? [facts.tenant] : []), ...detection.rule.tags.filter((t) => t.startsWith('attack.'))]
    .map((k) => clean(k, CHAT_LIMITS.keyword, 'rule'))
    .filter((k) => k !== '');
  const context_: Record<string, string> = {};
  const add = (key: string, value: string): void => {
    if (value && Object.keys(context_).length < CHAT_LIMITS.contextValues) context_[key] = truncate(value, CHAT_LIMITS.contextValue);
  };
  add('level', facts.level);
  add('tenant', facts.tenant);
  add('ruleId', facts.ruleId);
  add('logId', facts.logId);
  add('eventType', facts.eventType);

  // A thread per tenant and rule (when the channel allows threads): a burst of one rule stays in one thread.
  const threadId = `auth0-sigma-${hash(`${facts.tenant}\u0000${detection.rule.id}`)}`;
  return {
    version: '1.0',
    source: 'custom',
    id: `auth0-sigma-${hash(`${facts.tenant}\u0000${detection.rule.id}\u0000${detection.log_id ?? JSON.stringify(detection.correlation?.window ?? detection.date ?? '')}`)}`,
    content: {
      textType: 'client-markdown',
      title: truncate(`${LEVEL_MARK[facts.level] ?? ''} ${level}: ${facts.title}${tenant}`.trim(), CHAT_LIMITS.title),
      description: truncate(lines.join('\n'), CHAT_LIMITS.description),
      nextSteps,
      keywords: [...new Set(keywords)].slice(0, CHAT_LIMITS.keywords),
    },
    metadata: {
      threadId,
      summary: truncate(`${level}: ${facts.title}${tenant}`, CHAT_LIMITS.summary),
      eventType: CHAT_EVENT_TYPE,
      relatedResources: [facts.user, facts.client, facts.ip].filter(Boolean).map((r) => truncate(r, CHAT_LIMITS.relatedResource)).slice(0, CHAT_LIMITS.relatedResources),
      additionalContext: context_,
    },
  };
}

function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 24);
}

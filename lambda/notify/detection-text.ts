// What every channel says about a detection, in the same words: the tenant, who and from where, what happened
// and what to do. Channels differ in format and limits (chat card, Security Hub finding); the facts are picked
// here once. Every value is made safe with the sanitiser (sanitize.ts) before a channel sees it.

import { SIGMA_LEVELS, type Detection, type Level, type NormalizedEvent } from '../sigma/types';
import { safeBlock, safeLabel, safeLine } from './sanitize';

/**
 * How a channel makes one value safe: `origin` 'event' for log values (attacker text), 'rule' for rule-authored
 * labels and text. The default is the sanitiser's plain text; chat passes `chatText` (Slack/Teams escaping).
 */
export type Clean = (value: unknown, max: number, origin: 'event' | 'rule') => string;
export const plainText: Clean = (value, max, origin) => (origin === 'rule' ? safeLabel(value, max) : safeLine(value, max));

const FIELD_MAX = 300;

/** At or above `min` (an unknown level counts as the lowest). */
export function levelAtLeast(level: string, min: Level): boolean {
  return SIGMA_LEVELS.indexOf(level as Level) >= SIGMA_LEVELS.indexOf(min);
}

/** The Sigma level from an environment variable, or `fallback` when unset; a bad value fails the cold start. */
export function levelFromEnv(value: string | undefined, variable: string, fallback: Level): Level {
  if (value === undefined || value === '') return fallback;
  if ((SIGMA_LEVELS as readonly string[]).includes(value)) return value as Level;
  throw new Error(`${variable} must be one of ${SIGMA_LEVELS.join(', ')} (got '${value.slice(0, 40)}')`);
}

/**
 * The Auth0 tenant a detection is about: the one recorded on it (several tenants in one stack), else the log's
 * `tenant_name`, else the configured domain's tenant part. '' when nothing names it.
 */
export function tenantOf(detection: Detection, event: NormalizedEvent | undefined, auth0Domain: string | undefined, clean: Clean = plainText): string {
  const recorded = (detection as Detection & { tenant?: unknown }).tenant;
  const fromLog = event?.data?.tenant_name;
  const fromDomain = auth0Domain ? auth0Domain.split('.')[0] : undefined;
  // A tenant name is a label (`acme-prod`), never a link: shown as the log has it, only cleaned.
  return clean(recorded ?? fromLog ?? fromDomain ?? '', 100, 'rule');
}

/** "name (id)", either alone, or ''. */
function pair(name: unknown, id: unknown, clean: Clean): string {
  const n = clean(name, FIELD_MAX, 'event');
  const i = clean(id, FIELD_MAX, 'event');
  return n && i && n !== i ? `${n} (${i})` : n || i;
}

export interface DetectionFacts {
  title: string;
  level: Level;
  ruleId: string;
  tenant: string;
  /** The rule's `explanation`, else its `description`. */
  whatHappened: string;
  user: string;
  ip: string;
  client: string;
  userAgent: string;
  /** The rule's `prevention` items. */
  whatToDo: string[];
  when: string;
  logId: string;
  eventType: string;
  /** One line about a correlation (type, value, window), '' for a single-event detection. */
  correlation: string;
}

export function detectionFacts(detection: Detection, event: NormalizedEvent | undefined, auth0Domain: string | undefined, clean: Clean = plainText): DetectionFacts {
  const meta = detection.rule.meta ?? {};
  const group = detection.correlation?.group ?? {};
  const data = event?.data ?? {};
  const c = detection.correlation;
  return {
    title: clean(detection.rule.title, 256, 'rule') || clean(detection.rule.id, 256, 'rule') || 'Sigma detection',
    level: detection.rule.level,
    ruleId: clean(detection.rule.id, 128, 'rule'),
    tenant: tenantOf(detection, event, auth0Domain, clean),
    whatHappened: ruleText(meta.explanation ?? meta.description, 2000, clean),
    user: pair(detection.user_name ?? group['data.user_name'], detection.user_id ?? group['data.user_id'], clean),
    ip: clean(detection.ip ?? group['data.ip'], 64, 'event'),
    client: pair(detection.client_name ?? group['data.client_name'], detection.client_id ?? group['data.client_id'], clean),
    userAgent: clean(data.user_agent, FIELD_MAX, 'event'),
    whatToDo: listOf(meta.prevention).map((item) => ruleText(item, 1000, clean)).filter((item) => item !== ''),
    when: clean(detection.date ?? (c ? c.window.end : undefined) ?? data.date, 64, 'event'),
    logId: clean(detection.log_id, 128, 'event'),
    eventType: clean(detection.type, 64, 'event'),
    correlation: c ? clean(`${c.type} = ${c.value} between ${c.window.start} and ${c.window.end}`, FIELD_MAX, 'event') : '',
  };
}

/** Rule-authored prose (explanation, prevention): multi-line plain text, or one cleaned line for other channels. */
function ruleText(value: unknown, max: number, clean: Clean): string {
  return clean === plainText ? safeBlock(value, max) : clean(value, max, 'rule');
}

function listOf(value: unknown): unknown[] {
  if (Array.isArray(value)) return value.slice(0, 20);
  return value === undefined || value === null || value === '' ? [] : [value];
}

// Deployment configuration: read from cdk.json context (overridable with `-c key=value`) and validated at synth.
// Every problem is reported at once, each saying which key is wrong and how to fix it, because a failed
// `cdk synth` round trip is slow and users should not have to fix their config one error at a time.

import { parseStormConfig } from '../lambda/reliability/storm';
import { SIGMA_LEVELS, type Level } from '../lambda/sigma/types';
import { closestName } from '../lambda/sigma/edit-distance';
import { CHANNEL_CONTEXT_KEYS, readChannelConfig, type ChannelConfig } from './channel-config';
import { readTenants, TENANT_CONTEXT_KEYS, type TenantConfig } from './tenant-config';

/** Where the Auth0 log events arrive. */
export type EventSourceConfig =
  | { kind: 'partner'; eventSourceName: string }
  | { kind: 'busName'; eventBusName: string }
  | { kind: 'busArn'; eventBusArn: string };

export interface DeployConfig {
  source: EventSourceConfig;
  alertEmails: string[];
  alertPhoneNumbers: string[];
  emailMinLevel: Level;
  smsMinLevel: Level;
  /** Rules below this level are not deployed. */
  minLevel: Level;
  placeholders: Record<string, string | string[]>;
  /** Rule folders (or files), in order: the first one holding a duplicated rule wins (see docs/catalog.md). */
  rulesDir: string[];
  /** The detection config file (`-c config=auth0-sigma.yml`): rule sources, placeholders, overrides, filters. */
  configFile?: string;
  /** Name or ARN of the bus detection events go to; null when turned off (`none`). */
  detectionBus: string | null;
  /** The tenant's canonical domain, for dashboard links. */
  auth0Domain?: string;
  logRetentionDays: number;
  alarmEmails: string[];
  /** Caps the detector's concurrency (and so its SNS/SMS spend during a storm); unset = unreserved. */
  reservedConcurrency?: number;
  /** The bus rule only passes events some rule could match (the EventBridge prefilter compiled from the rules). */
  prefilter: boolean;
  /** Storm control (notification budgets and window summaries); unset = on when the rules have correlations. */
  stormControl?: boolean;
  /** Budget overrides (JSON text, validated), e.g. {"budgets": {"high": {"sms": 2}}}; unset = the defaults. */
  notificationBudgets?: string;
  /** Longest value a `|re` regex runs on; unset = the engine's default (4096). */
  regexValueCap?: number;
  /** Regex steps one event may use (the engine's regexBudget); unset = the engine's default (5,000,000). */
  regexBudget?: number;
  /** Dashboard, Security Hub and chat (lib/channel-config.ts, docs/channels.md); unset = none of their keys given (the defaults). */
  channels?: ChannelConfig;
  /** Several tenants (lib/tenant-config.ts); `source` is then the first tenant's partner event source. */
  tenants?: TenantConfig[];
}

/** Every context key this app reads: a key given that is a near miss of one of these is reported as a typo. */
export const CONTEXT_KEYS = [
  'auth0EventSourceName', 'eventBusName', 'eventBusArn', 'alertEmails', 'alertPhoneNumbers', 'emailMinLevel',
  'smsMinLevel', 'minLevel', 'placeholders', 'rulesDir', 'detectionBus', 'auth0Domain', 'logRetentionDays',
  'alarmEmails', 'reservedConcurrency', 'stackName', 'prefilter', 'stormControl', 'notificationBudgets', 'regexValueCap',
  'regexBudget', 'config', 'notify',
  ...CHANNEL_CONTEXT_KEYS,
  ...TENANT_CONTEXT_KEYS,
] as const;

export const CONFIG_DEFAULTS = {
  emailMinLevel: 'low' as Level,
  smsMinLevel: 'high' as Level,
  minLevel: 'informational' as Level,
  rulesDir: 'rules',
  detectionBus: 'default',
  logRetentionDays: 90,
  prefilter: true,
};

/** The retention values CloudWatch Logs accepts. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid deployment configuration (cdk.json "context" or -c key=value):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const PARTNER_SOURCE = /^aws\.partner\/auth0\.com\/[^/\s]+\/auth0\.logs$/;
const E164 = /^\+[1-9]\d{1,14}$/;
// Deliberately simple: SNS does the real check when it sends the confirmation mail; this catches typos.
const EMAIL = /^[^\s@,;<>"]+@[^\s@,;<>"]+\.[^\s@,;<>"]+$/;
const BUS_NAME = /^[A-Za-z0-9._\-/]{1,256}$/;
const BUS_ARN = /^arn:aws[a-z-]*:events:[a-z0-9-]+:\d{12}:event-bus\/[A-Za-z0-9._\-/]{1,256}$/;
const PLACEHOLDER_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
/** `<tenant>.<region>.auth0.com` or the legacy US form `<tenant>.auth0.com`. */
export const AUTH0_DOMAIN = /^([a-z0-9][a-z0-9-]*)(?:\.([a-z0-9][a-z0-9-]*))?\.auth0\.com$/;

const FIND_SOURCE_HINT =
  'the partner event source name appears in the EventBridge console under "Partner event sources" once the Auth0 ' +
  'log stream exists, or run: aws events list-event-sources --name-prefix aws.partner/auth0.com';

/**
 * Reads and validates every key. `get` returns the raw context value (string from -c, any JSON from cdk.json);
 * `givenKeys` (all context keys present) lets a misspelt key (`alertEmail`) fail instead of being ignored.
 */
export function readConfig(get: (key: string) => unknown, givenKeys: readonly string[] = []): DeployConfig {
  const problems: string[] = [];
  for (const key of givenKeys) {
    if ((CONTEXT_KEYS as readonly string[]).includes(key)) continue;
    const near = closestName(key, CONTEXT_KEYS);
    if (near) problems.push(`unknown key '${key}': did you mean '${near}'?`);
  }
  const str = (key: string): string | undefined => {
    const value = get(key);
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string' && typeof value !== 'number') {
      problems.push(`'${key}' must be a string, got ${JSON.stringify(value)}`);
      return undefined;
    }
    const text = String(value).trim();
    return text === '' ? undefined : text;
  };

  const tenants = readTenants(get('tenants'), problems);
  // With `tenants`, each tenant names its event source; the single-source keys must then stay unset.
  const singleSourceKeys = ['auth0EventSourceName', 'eventBusName', 'eventBusArn'].filter((key) => str(key) !== undefined);
  if (tenants !== undefined && singleSourceKeys.length > 0) {
    problems.push(`set either 'tenants' or ${singleSourceKeys.map((k) => `'${k}'`).join(', ')}, not both: with several tenants, each entry of 'tenants' has its "eventSourceName"`);
  }
  const source: EventSourceConfig | undefined = tenants !== undefined
    ? (tenants[0] ? { kind: 'partner', eventSourceName: tenants[0].eventSourceName } : undefined)
    : readSource(str, problems);
  const alertEmails = readList(get, 'alertEmails', problems).filter((e) => checkEmail('alertEmails', e, problems));
  const alarmEmails = readList(get, 'alarmEmails', problems).filter((e) => checkEmail('alarmEmails', e, problems));
  const alertPhoneNumbers = readList(get, 'alertPhoneNumbers', problems).filter((p) => {
    if (E164.test(p)) return true;
    const digits = p.replace(/[\s().-]/g, '');
    const suggestion = E164.test(digits) ? ` (did you mean ${digits}?)` : '';
    problems.push(
      `'alertPhoneNumbers': '${p}' is not an E.164 phone number${suggestion}: write '+', the country code and the ` +
        'number, without spaces or punctuation, e.g. +14155550100',
    );
    return false;
  });

  const emailMinLevel = readLevel(str, 'emailMinLevel', CONFIG_DEFAULTS.emailMinLevel, problems);
  const smsMinLevel = readLevel(str, 'smsMinLevel', CONFIG_DEFAULTS.smsMinLevel, problems);
  const minLevel = readLevel(str, 'minLevel', CONFIG_DEFAULTS.minLevel, problems);
  const placeholders = readPlaceholders(get('placeholders'), problems);
  // Several folders: a JSON list in cdk.json, or `-c rulesDir=rules,../auth0-customer-detections/detections`.
  const rulesDirList = readList(get, 'rulesDir', problems);
  const rulesDir = rulesDirList.length > 0 ? dedupe(rulesDirList) : [CONFIG_DEFAULTS.rulesDir];
  const configFile = str('config');

  let detectionBus: string | null = str('detectionBus') ?? CONFIG_DEFAULTS.detectionBus;
  if (detectionBus.toLowerCase() === 'none') detectionBus = null;
  else if (!BUS_NAME.test(detectionBus) && !BUS_ARN.test(detectionBus)) {
    problems.push(
      `'detectionBus': '${detectionBus}' is neither an event bus name nor an event bus ARN: use 'default', a bus ` +
        "name such as 'security-detections', an ARN arn:aws:events:<region>:<account>:event-bus/<name>, or 'none' to turn detection events off",
    );
  }

  let auth0Domain = str('auth0Domain');
  if (auth0Domain !== undefined) {
    auth0Domain = auth0Domain.toLowerCase().replace(/^https?:\/\//, '').replace(/\/+$/, '');
    if (!AUTH0_DOMAIN.test(auth0Domain)) {
      problems.push(
        `'auth0Domain': '${auth0Domain}' is not an Auth0 tenant domain: use the tenant's canonical domain ` +
          '<tenant>.<region>.auth0.com (e.g. acme.eu.auth0.com; Dashboard > Settings shows it), not a custom domain, ' +
          'so the dashboard links can name the tenant and region',
      );
      auth0Domain = undefined;
    }
  }

  const logRetentionDays = readInteger(str, 'logRetentionDays', problems) ?? CONFIG_DEFAULTS.logRetentionDays;
  if (!LOG_RETENTION_DAYS.includes(logRetentionDays)) {
    problems.push(
      `'logRetentionDays': ${logRetentionDays} is not a retention CloudWatch Logs accepts: use one of ${LOG_RETENTION_DAYS.join(', ')}`,
    );
  }
  const reservedConcurrency = readInteger(str, 'reservedConcurrency', problems);
  if (reservedConcurrency !== undefined && (reservedConcurrency < 1 || reservedConcurrency > 1000)) {
    problems.push(`'reservedConcurrency': ${reservedConcurrency} must be between 1 and 1000, or left unset`);
  }

  const regexValueCap = readInteger(str, 'regexValueCap', problems);
  if (regexValueCap !== undefined && (regexValueCap < 16 || regexValueCap > 1_048_576)) {
    problems.push(`'regexValueCap': ${regexValueCap} must be between 16 and 1048576 characters, or left unset (default 4096)`);
  }
  const regexBudget = readInteger(str, 'regexBudget', problems);
  if (regexBudget !== undefined && (regexBudget < 1000 || regexBudget > 1_000_000_000)) {
    problems.push(`'regexBudget': ${regexBudget} must be between 1000 and 1000000000 regex steps per event, or left unset (default 5000000)`);
  }
  const prefilter = readBoolean(get, 'prefilter', problems) ?? CONFIG_DEFAULTS.prefilter;
  const stormControl = readBoolean(get, 'stormControl', problems);
  const notificationBudgets = readBudgets(get('notificationBudgets'), problems);
  const channels = readChannelConfig(get, problems);

  if (alertEmails.length === 0 && alertPhoneNumbers.length === 0 && detectionBus === null && !channels.securityHub && !channels.slack && !channels.teams) {
    problems.push(
      "no destination: set 'alertEmails' or 'alertPhoneNumbers', or leave 'detectionBus' on (it is 'none'), " +
        "or turn on 'securityHub' or a chat channel, otherwise detections go nowhere",
    );
  }

  checkSomeoneIsNotified(str('notify'), { alertEmails, alertPhoneNumbers, alarmEmails, chat: Boolean(channels.slack || channels.teams) }, problems);

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    source: source!,
    alertEmails: dedupe(alertEmails),
    alertPhoneNumbers: dedupe(alertPhoneNumbers),
    emailMinLevel,
    smsMinLevel,
    minLevel,
    placeholders,
    rulesDir,
    ...(configFile !== undefined ? { configFile } : {}),
    detectionBus,
    auth0Domain,
    logRetentionDays,
    alarmEmails: dedupe(alarmEmails),
    reservedConcurrency,
    prefilter,
    stormControl,
    notificationBudgets,
    regexValueCap,
    regexBudget,
    ...(CHANNEL_CONTEXT_KEYS.some((key) => get(key) !== undefined) ? { channels } : {}),
    ...(tenants !== undefined ? { tenants } : {}),
  };
}

/** `notificationBudgets`: an object in cdk.json, JSON text with -c; checked as the detector will read it. */
function readBudgets(value: unknown, problems: string[]): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  try {
    parseStormConfig(text, 'notificationBudgets');
  } catch (err) {
    problems.push(`'${(err as Error).message.replace(/^notificationBudgets: /, "notificationBudgets': ")}`);
    return undefined;
  }
  return text;
}

/**
 * Detections and alarms must reach a person unless the deployer says otherwise (`notify=none`, for teams that
 * consume only the EventBridge detection events): a stack that notifies nobody looks healthy and is not.
 */
function checkSomeoneIsNotified(
  notify: string | undefined,
  recipients: { alertEmails: string[]; alertPhoneNumbers: string[]; alarmEmails: string[]; chat: boolean },
  problems: string[],
): void {
  if (notify !== undefined && notify.toLowerCase() !== 'none') {
    problems.push(`'notify': '${notify}' is not understood: the only value is 'none' (deploy with no email, SMS or alarm recipient on purpose); leave it unset otherwise`);
    return;
  }
  const nobody = recipients.alertEmails.length === 0 && recipients.alertPhoneNumbers.length === 0 && recipients.alarmEmails.length === 0 && !recipients.chat;
  // With no destination at all (reported above) this would say the same thing twice.
  const reported = problems.some((p) => p.startsWith('no destination:'));
  if (nobody && notify === undefined && !reported) {
    problems.push(
      "nobody is notified: no 'alertEmails', 'alertPhoneNumbers' or 'alarmEmails', so detections and alarms would reach no one. " +
        'Add recipients in cdk.json "context" (e.g. "alertEmails": ["secops@example.com"], "alarmEmails": ["platform@example.com"]) ' +
        'or with -c alertEmails=secops@example.com -c alarmEmails=platform@example.com; or, if you consume only the ' +
        'EventBridge detection events, say so with -c notify=none',
    );
  }
}

/** The Sigma levels at or above `min`, the allowlist of a subscription filter policy. */
export function levelsAtOrAbove(min: Level): Level[] {
  return SIGMA_LEVELS.slice(SIGMA_LEVELS.indexOf(min));
}

function readSource(str: (key: string) => string | undefined, problems: string[]): EventSourceConfig | undefined {
  const eventSourceName = str('auth0EventSourceName');
  const eventBusName = str('eventBusName');
  const eventBusArn = str('eventBusArn');
  const given = [eventSourceName, eventBusName, eventBusArn].filter((v) => v !== undefined).length;
  if (given === 0) {
    problems.push(
      "'auth0EventSourceName' is missing: pass -c auth0EventSourceName=aws.partner/auth0.com/<tenant>-<id>/auth0.logs " +
        `(${FIND_SOURCE_HINT}), or give an existing bus with -c eventBusName=<name> or -c eventBusArn=<arn>`,
    );
    return undefined;
  }
  if (given > 1) {
    problems.push("set only one of 'auth0EventSourceName', 'eventBusName' and 'eventBusArn'");
    return undefined;
  }
  if (eventSourceName !== undefined) {
    if (!PARTNER_SOURCE.test(eventSourceName)) {
      problems.push(
        `'auth0EventSourceName': '${eventSourceName}' is not an Auth0 partner event source name; it looks like ` +
          `aws.partner/auth0.com/<tenant>-<id>/auth0.logs (${FIND_SOURCE_HINT})`,
      );
      return undefined;
    }
    return { kind: 'partner', eventSourceName };
  }
  if (eventBusName !== undefined) {
    if (!BUS_NAME.test(eventBusName)) {
      problems.push(`'eventBusName': '${eventBusName}' is not a valid event bus name (letters, digits, . _ - / only)`);
      return undefined;
    }
    return { kind: 'busName', eventBusName };
  }
  if (!BUS_ARN.test(eventBusArn!)) {
    problems.push(`'eventBusArn': '${eventBusArn}' is not an event bus ARN (arn:aws:events:<region>:<account>:event-bus/<name>)`);
    return undefined;
  }
  return { kind: 'busArn', eventBusArn: eventBusArn! };
}

/** A list given as a JSON array (cdk.json), a JSON array string, or a comma/semicolon-separated string (-c). */
function readList(get: (key: string) => unknown, key: string, problems: string[]): string[] {
  let value = get(key);
  if (value === undefined || value === null || value === '') return [];
  if (typeof value === 'string' && value.trim().startsWith('[')) {
    try {
      value = JSON.parse(value);
    } catch (err) {
      problems.push(`'${key}': the value starts with '[' but is not valid JSON (${(err as Error).message}); write a JSON array or a comma-separated list`);
      return [];
    }
  }
  if (typeof value === 'string') return value.split(/[,;]/).map((s) => s.trim()).filter((s) => s !== '');
  if (Array.isArray(value)) {
    const out: string[] = [];
    for (const item of value) {
      if (typeof item === 'string' && item.trim() !== '') out.push(item.trim());
      else problems.push(`'${key}': every entry must be a non-empty string, got ${JSON.stringify(item)}`);
    }
    return out;
  }
  problems.push(`'${key}' must be a list or a comma-separated string, got ${JSON.stringify(value)}`);
  return [];
}

function checkEmail(key: string, email: string, problems: string[]): boolean {
  if (EMAIL.test(email)) return true;
  problems.push(`'${key}': '${email}' is not an email address (expected name@example.com; separate several with commas)`);
  return false;
}

function readLevel(str: (key: string) => string | undefined, key: string, fallback: Level, problems: string[]): Level {
  const value = str(key);
  if (value === undefined) return fallback;
  const level = value.toLowerCase();
  if ((SIGMA_LEVELS as readonly string[]).includes(level)) return level as Level;
  problems.push(`'${key}': '${value}' is not a Sigma level: use one of ${SIGMA_LEVELS.join(', ')}`);
  return fallback;
}

/** true/false (JSON booleans from cdk.json, strings from -c). */
function readBoolean(get: (key: string) => unknown, key: string, problems: string[]): boolean | undefined {
  const value = get(key);
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'boolean') return value;
  const text = String(value).trim().toLowerCase();
  if (text === 'true') return true;
  if (text === 'false') return false;
  problems.push(`'${key}': '${String(value)}' is not a boolean: write true or false`);
  return undefined;
}

function readInteger(str: (key: string) => string | undefined, key: string, problems: string[]): number | undefined {
  const value = str(key);
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) {
    problems.push(`'${key}': '${value}' is not a whole number`);
    return undefined;
  }
  return Number(value);
}

function readPlaceholders(raw: unknown, problems: string[]): Record<string, string | string[]> {
  if (raw === undefined || raw === null || raw === '') return {};
  let value = raw;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch (err) {
      problems.push(
        `'placeholders' is not valid JSON (${(err as Error).message}): pass a JSON object, quoted for the shell, e.g. ` +
          `-c placeholders='{"api_explorer_client_id":"AbC123"}'`,
      );
      return {};
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problems.push(`'placeholders' must be a JSON object mapping a placeholder name to a string or a list of strings, got ${JSON.stringify(value)}`);
    return {};
  }
  const out: Record<string, string | string[]> = {};
  for (const [name, v] of Object.entries(value as Record<string, unknown>)) {
    if (!PLACEHOLDER_NAME.test(name)) {
      problems.push(`'placeholders': '${name}' is not a placeholder name (a letter or _ followed by letters, digits, _ . -)`);
      continue;
    }
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[name] = String(v);
    else if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string' || typeof x === 'number')) {
      out[name] = v.map(String);
    } else {
      problems.push(`'placeholders': the value of '${name}' must be a string or a non-empty list of strings, got ${JSON.stringify(v)}`);
    }
  }
  return out;
}

function dedupe(values: string[]): string[] {
  return [...new Set(values)];
}


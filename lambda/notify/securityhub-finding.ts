// One AWS Security Hub finding (AWS Security Finding Format, ASFF) per detection, imported through the custom
// integration's product ARN `arn:aws:securityhub:<region>:<account>:product/<account>/default`.
//
// - Id is the delivery ledger's detection key (plus the tenant): the same detection imported again (a retry, a
//   redrive, a duplicate event) updates the finding instead of creating another one.
// - Severity.Label is the Sigma level (the five labels are the same words).
// - Types: the rule's MITRE ATT&CK tactic tags as `TTPs/<category>`, with its technique ids as classifiers
//   (`TTPs/Credential Access/T1110.003`); tactics ASFF has no category for are left out; a rule with none gets
//   `Unusual Behaviors/User`, since Types is required.
// - The rule's `prevention` is the remediation text; tenant and rule id are in ProductFields.
// Field limits (ASFF): Title 256, Description 1024, Remediation.Recommendation.Text 512, Id and GeneratorId 512,
// at most 50 Types and 50 ProductFields (keys 128, values 2048 characters).

import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import type { AwsSecurityFinding } from '@aws-sdk/client-securityhub';
import { detectionKey } from '../reliability/ledger';
import type { Detection, NormalizedEvent } from '../sigma/types';
import { dashboardLogUrl } from './dashboard-link';
import { detectionFacts } from './detection-text';
import { safeLine, truncate } from './sanitize';

export const ASFF_SCHEMA_VERSION = '2018-10-08';
export const FINDING_LIMITS = {
  id: 512,
  title: 256,
  description: 1024,
  remediationText: 512,
  types: 50,
  typeLength: 128,
  productFields: 50,
  productFieldKey: 128,
  productFieldValue: 2048,
} as const;
const PRODUCT_NAME = 'auth0-sigma';
const FALLBACK_TYPE = 'Unusual Behaviors/User';

/** Sigma `attack.<tactic>` tags → the ASFF `TTPs` category (ASFF types taxonomy). */
const TACTIC_CATEGORY: Record<string, string> = {
  initial_access: 'Initial Access',
  execution: 'Execution',
  persistence: 'Persistence',
  privilege_escalation: 'Privilege Escalation',
  defense_evasion: 'Defense Evasion',
  credential_access: 'Credential Access',
  discovery: 'Discovery',
  lateral_movement: 'Lateral Movement',
  collection: 'Collection',
  command_and_control: 'Command and Control',
  exfiltration: 'Data Exfiltration',
};
const TECHNIQUE = /^attack\.(t\d{4}(?:\.\d{3})?)$/i;

/** `arn:aws:securityhub:<region>:<account>:product/<account>/default`, parsed (null when it is not one). */
export function parseProductArn(arn: string): { partition: string; region: string; account: string } | null {
  const m = /^arn:(aws[a-z-]*):securityhub:([a-z0-9-]+):(\d{12}):product\/(\d{12})\/default$/.exec(arn);
  return m && m[3] === m[4] ? { partition: m[1], region: m[2], account: m[3] } : null;
}

/** The ASFF finding types of a rule's tags. */
export function findingTypes(tags: readonly string[]): string[] {
  const categories: string[] = [];
  const techniques: string[] = [];
  for (const tag of tags) {
    const lower = tag.toLowerCase();
    const category = lower.startsWith('attack.') ? TACTIC_CATEGORY[lower.slice('attack.'.length)] : undefined;
    if (category && !categories.includes(category)) categories.push(category);
    const technique = TECHNIQUE.exec(tag);
    if (technique && !techniques.includes(technique[1].toUpperCase())) techniques.push(technique[1].toUpperCase());
  }
  const types = categories.flatMap((category) => [`TTPs/${category}`, ...techniques.map((t) => `TTPs/${category}/${t}`)]);
  return types.length === 0 ? [FALLBACK_TYPE] : types.slice(0, FINDING_LIMITS.types);
}

export interface FindingContext {
  productArn: string;
  event?: NormalizedEvent;
  auth0Domain?: string;
  /** Import time (UpdatedAt). */
  now: Date;
}

export function buildFinding(detection: Detection, context: FindingContext): AwsSecurityFinding {
  const target = parseProductArn(context.productArn);
  if (!target) throw new Error(`not a Security Hub custom-integration product ARN: ${safeLine(context.productArn, 200)}`);
  const facts = detectionFacts(detection, context.event, context.auth0Domain);
  const nowIso = context.now.toISOString();
  const observed = isoDate(detection.correlation?.window.start ?? detection.date);
  const lastObserved = isoDate(detection.correlation?.window.end ?? detection.date);
  const id = `${PRODUCT_NAME}/${facts.tenant ? `${idPart(facts.tenant)}/` : ''}${detectionKey(detection)}`;

  const description = [
    facts.whatHappened,
    facts.correlation ? `Correlation: ${facts.correlation}.` : '',
    facts.user ? `User: ${facts.user}.` : '',
    facts.ip ? `IP: ${facts.ip}.` : '',
    facts.client ? `Application: ${facts.client}.` : '',
    facts.tenant ? `Tenant: ${facts.tenant}.` : '',
  ].filter(Boolean).join(' ');
  const remediation = facts.whatToDo.join(' ');
  const sourceUrl = dashboardLogUrl(context.auth0Domain, detection.log_id ?? detection.correlation?.log_ids[0]);

  const productFields: Record<string, string> = {
    'auth0-sigma/RuleId': detection.rule.id,
    'auth0-sigma/Level': detection.rule.level,
    ...(facts.tenant ? { 'auth0-sigma/Tenant': facts.tenant } : {}),
    ...(detection.log_id ? { 'auth0-sigma/LogId': detection.log_id } : {}),
    ...(detection.type ? { 'auth0-sigma/EventType': detection.type } : {}),
    ...(detection.correlation ? { 'auth0-sigma/CorrelationType': detection.correlation.type, 'auth0-sigma/CorrelationValue': String(detection.correlation.value) } : {}),
  };
  const details: Record<string, string> = {};
  const detail = (key: string, value: string): void => {
    if (value) details[key] = truncate(value, 1024);
  };
  detail('tenant', facts.tenant);
  detail('user', facts.user);
  detail('ip', facts.ip);
  detail('client', facts.client);
  detail('userAgent', facts.userAgent);
  detail('logId', facts.logId);
  detail('eventType', facts.eventType);

  const finding: AwsSecurityFinding = {
    SchemaVersion: ASFF_SCHEMA_VERSION,
    Id: id.length <= FINDING_LIMITS.id ? id : `${PRODUCT_NAME}/h:${createHash('sha256').update(id).digest('base64url')}`,
    ProductArn: context.productArn,
    ProductName: PRODUCT_NAME,
    GeneratorId: truncateId(`${PRODUCT_NAME}/rule/${safeLine(detection.rule.id, 400)}`),
    AwsAccountId: target.account,
    Region: target.region,
    Types: findingTypes(detection.rule.tags),
    CreatedAt: observed ?? nowIso,
    UpdatedAt: nowIso,
    ...(observed ? { FirstObservedAt: observed } : {}),
    ...(lastObserved ? { LastObservedAt: lastObserved } : {}),
    Severity: { Label: detection.rule.level.toUpperCase() as 'LOW' },
    Title: truncate(`[${facts.tenant || 'auth0'}] ${facts.title}`, FINDING_LIMITS.title),
    Description: truncate(description || facts.title, FINDING_LIMITS.description),
    ...(remediation ? { Remediation: { Recommendation: { Text: truncate(remediation, FINDING_LIMITS.remediationText) } } } : {}),
    ...(sourceUrl ? { SourceUrl: sourceUrl } : {}),
    ProductFields: boundedFields(productFields),
    Resources: [{
      Type: 'Other',
      Id: truncateId(`auth0:${facts.tenant || 'tenant'}:${detection.user_id ? `user/${safeLine(detection.user_id, 300)}` : detection.client_id ? `client/${safeLine(detection.client_id, 300)}` : 'tenant'}`),
      Partition: target.partition as 'aws',
      Region: target.region,
      ...(Object.keys(details).length > 0 ? { Details: { Other: details } } : {}),
    }],
    ...(isIP(facts.ip) === 4 ? { Network: { Direction: 'IN', SourceIpV4: facts.ip } } : isIP(facts.ip) === 6 ? { Network: { Direction: 'IN', SourceIpV6: facts.ip } } : {}),
    RecordState: 'ACTIVE',
  };
  return finding;
}

/** A valid date as ISO 8601 UTC, or undefined. */
function isoDate(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const time = Date.parse(value);
  return Number.isNaN(time) ? undefined : new Date(time).toISOString();
}

/** Finding ids: printable, no spaces, within the limit (the detection key is already bounded and hashed). */
function idPart(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 100);
}

function truncateId(id: string): string {
  return truncate(id, FINDING_LIMITS.id, '');
}

function boundedFields(fields: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(fields).slice(0, FINDING_LIMITS.productFields)) {
    out[truncate(key, FINDING_LIMITS.productFieldKey, '')] = truncate(safeLine(value, FINDING_LIMITS.productFieldValue), FINDING_LIMITS.productFieldValue);
  }
  return out;
}

// The hostile detections of notification-hardening.test.ts (150 cases in `npm test`, 1,500 in `npm run test:long`:
// test/helpers/scale.ts), and the check each case must pass.

import fc from 'fast-check';
import { buildSnsMessage } from '../../lambda/notify/sns-message';
import type { Detection, NormalizedEvent } from '../../lambda/sigma/types';
import { hostileString, hostileValue, jsonObject } from './fuzz-arbitraries';

// C0/C1 controls except newline, DEL, zero-width, bidi controls, line/paragraph separators, BOM.
export const FORBIDDEN_IN_EMAIL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/;
export const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
const SNS_MAX_BYTES = 256 * 1024;

const level = fc.constantFrom('informational', 'low', 'medium', 'high', 'critical') as fc.Arbitrary<Detection['rule']['level']>;
const maybe = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(arb, { nil: undefined });

const correlationInfo = fc.record({
  type: fc.constant('event_count' as const),
  group: fc.array(fc.tuple(fc.constantFrom('data.ip', 'data.user_name', 'data.user_id', '__proto__', 'x'), fc.oneof(hostileString, fc.integer(), fc.constant(null))), { maxLength: 4 })
    .map((entries) => jsonObject(entries) as Record<string, string | number | null>),
  value: fc.oneof(fc.integer(), fc.double()),
  window: fc.record({ start: hostileString, end: hostileString }),
  rules: fc.array(hostileString, { maxLength: 3 }),
  log_ids: fc.array(hostileString, { maxLength: 12 }),
});

/**
 * Everything a detection carries from the log is hostile. The rule's own text (id, title, tags) is written by
 * whoever may deploy rules; it gets nasty characters too, within a sane length (rule fields are not the
 * attacker's, and the loader is where their length would be bounded).
 */
const ruleText = fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.constantFrom('<b>x</b>', '\u202e', 'https://evil.example', '\r\nX'));
export const hostileDetection: fc.Arbitrary<Detection> = fc.record(
  {
    rule: fc.record({ id: ruleText, title: ruleText, level, tags: fc.array(ruleText, { maxLength: 4 }) }),
    log_id: maybe(hostileString),
    date: maybe(hostileString),
    type: maybe(hostileString),
    user_id: maybe(hostileString),
    user_name: maybe(hostileString),
    ip: maybe(hostileString),
    client_id: maybe(hostileString),
    client_name: maybe(hostileString),
    matched: maybe(fc.array(fc.constantFrom('selection', 'filter'), { maxLength: 2 })),
    field_values: maybe(fc.array(fc.tuple(hostileString, hostileValue), { maxLength: 25 }).map(jsonObject)),
    correlation: maybe(correlationInfo),
  },
  { requiredKeys: ['rule'] },
) as fc.Arbitrary<Detection>;

export const hostileEvent: fc.Arbitrary<NormalizedEvent> = fc
  .record({ user_agent: hostileValue, tenant_name: hostileValue, hostname: hostileValue, date: hostileValue })
  .map((data) => ({ data: data as Record<string, unknown> }));

export const domain = fc.constantFrom(undefined, 'acme.eu.auth0.com', 'acme.auth0.com');

export function checkMessage(detection: Detection, event: NormalizedEvent, auth0Domain: string | undefined): void {
  const m = buildSnsMessage(detection, { event, auth0Domain });

  // Subject: 1 to 99 printable ASCII characters (SNS: "less than 100 characters").
  expect(m.subject.length).toBeGreaterThan(0);
  expect(m.subject.length).toBeLessThan(100);
  expect(m.subject).toMatch(PRINTABLE_ASCII);

  // SMS: at most 140 plain ASCII characters (one GSM segment with room to spare), nothing invisible.
  expect(m.sms.length).toBeLessThanOrEqual(140);
  expect(m.sms).toMatch(PRINTABLE_ASCII);

  // Email: no control/invisible characters, no markup, no live link except the dashboard's own.
  expect(m.email).not.toMatch(FORBIDDEN_IN_EMAIL);
  expect(m.email).not.toMatch(/[<>]/);
  expect(m.email).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/);
  for (const link of m.email.match(/https?:\/\/\S*/gi) ?? []) expect(link.startsWith('https://manage.auth0.com/dashboard/')).toBe(true);
  // Every line bounded: values are cut to 300 code points, lists (rules, log ids, tags) to 600.
  for (const line of m.email.split('\n')) expect(Array.from(line).length).toBeLessThanOrEqual(700);
  expect(m.email.split('\n').length).toBeLessThanOrEqual(200);

  // The whole publish fits SNS's limit.
  const bytes = Buffer.byteLength(m.message, 'utf8') + Buffer.byteLength(m.subject, 'utf8') +
    Object.entries(m.attributes).reduce((sum, [k, v]) => sum + Buffer.byteLength(k) + Buffer.byteLength(v.StringValue ?? ''), 0);
  expect(bytes).toBeLessThanOrEqual(SNS_MAX_BYTES);
  // Attributes are what subscribers filter on: level must be the rule's level, verbatim.
  expect(m.attributes.level.StringValue).toBe(detection.rule.level);
  // `default` is valid JSON of a detection.
  expect(JSON.parse(m.default)).toHaveProperty('rule.level', detection.rule.level);
}

/** One property run over `numRuns` hostile detections (same seed in both suites: the short run is a prefix). */
export function assertHostileDetections(numRuns: number): void {
  fc.assert(fc.property(hostileDetection, hostileEvent, domain, (d, e, dom) => checkMessage(d, e, dom)), { numRuns, seed: 42, endOnFailure: true });
}

// Notification text is built from log fields an attacker controls (user names, user agents, client names,
// IPs as sent, group values of correlations). Property tests over hostile detections: no control or invisible
// characters, no HTML, no live attacker links, every field bounded, SMS within 140 ASCII characters, subject
// within 100 printable ASCII characters, the whole SNS message within SNS's 256 KB.

import fc from 'fast-check';
import { buildSnsMessage } from '../../lambda/notify/sns-message';
import { safeBlock, safeLine, toAscii } from '../../lambda/notify/sanitize';
import type { Detection, NormalizedEvent } from '../../lambda/sigma/types';
import { hostileString, hostileValue, jsonObject } from './fuzz-arbitraries';

// C0/C1 controls except newline, DEL, zero-width, bidi controls, line/paragraph separators, BOM.
const FORBIDDEN_IN_EMAIL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
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
const hostileDetection: fc.Arbitrary<Detection> = fc.record(
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

const hostileEvent: fc.Arbitrary<NormalizedEvent> = fc
  .record({ user_agent: hostileValue, tenant_name: hostileValue, hostname: hostileValue, date: hostileValue })
  .map((data) => ({ data: data as Record<string, unknown> }));

const domain = fc.constantFrom(undefined, 'acme.eu.auth0.com', 'acme.auth0.com');

function checkMessage(detection: Detection, event: NormalizedEvent, auth0Domain: string | undefined): void {
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

test('hostile detections: subject, SMS, email and size bounds hold (1,500 cases)', () => {
  fc.assert(fc.property(hostileDetection, hostileEvent, domain, (d, e, dom) => checkMessage(d, e, dom)), { numRuns: 1_500, seed: 42, endOnFailure: true });
});

test('forged lines: a CR/LF or U+2028 in a value never starts a new line of the email', () => {
  fc.assert(
    fc.property(fc.constantFrom('\r\n', '\n', '\r', '\u2028', '\u2029', '\u0085', '\u000b', '\u000c'), hostileString, (sep, tail) => {
      const detection: Detection = {
        rule: { id: 'r', title: 't', level: 'high', tags: [] },
        user_name: `victim${sep}Level:        INFORMATIONAL${sep}${tail}`,
      };
      const m = buildSnsMessage(detection);
      const forged = m.email.split('\n').filter((l) => l.startsWith('Level:'));
      expect(forged).toEqual(['Level:        HIGH']);
    }),
    { numRuns: 500, seed: 7 },
  );
});

test('markup and links in any field are neutralised', () => {
  const payload = '<img src=x onerror=alert(1)> <a href="https://evil.example/p">click</a> HTTPS://evil.example http://x';
  const detection: Detection = {
    rule: { id: 'r', title: payload, level: 'critical', tags: [payload] },
    user_name: payload, user_id: payload, ip: payload, client_name: payload, client_id: payload, log_id: payload, type: payload,
    field_values: { [payload]: payload },
    correlation: { type: 'event_count', group: { 'data.ip': payload }, value: 1, window: { start: payload, end: payload }, rules: [payload], log_ids: [payload] },
  };
  const m = buildSnsMessage(detection, { event: { data: { user_agent: payload, tenant_name: payload } }, auth0Domain: 'acme.eu.auth0.com' });
  expect(m.email).not.toMatch(/[<>]/);
  expect(m.email).not.toMatch(/https?:\/\//i);
  expect(m.email).toContain('hxxps[://]evil[.]example');
  expect(m.sms).toMatch(PRINTABLE_ASCII);
});

test('sanitizers: bounded output for any input, even megabytes', () => {
  fc.assert(
    fc.property(hostileValue, fc.integer({ min: 1, max: 400 }), (value, max) => {
      const line = safeLine(value, max);
      expect(Array.from(line).length).toBeLessThanOrEqual(max);
      expect(line).not.toMatch(/[\n\r]/);
      expect(line).not.toMatch(FORBIDDEN_IN_EMAIL);
      const block = safeBlock(value, max);
      expect(Array.from(block).length).toBeLessThanOrEqual(max);
      expect(block).not.toMatch(FORBIDDEN_IN_EMAIL);
      const ascii = toAscii(value, max);
      expect(ascii.length).toBeLessThanOrEqual(max);
      expect(ascii).toMatch(PRINTABLE_ASCII);
    }),
    { numRuns: 3_000, seed: 3 },
  );
  const huge = 'A'.repeat(5_000_000);
  const start = Date.now();
  expect(safeLine(huge, 300)).toHaveLength(300);
  expect(Date.now() - start).toBeLessThan(1_000);
});

// Found by these tests and fixed in lambda/notify/sanitize.ts: a lone UTF-16 surrogate in a log value reached
// the email text, which then was not well-formed Unicode. Lone surrogates now become U+FFFD.
test('lone surrogates from the log never reach the email text', () => {
  const m = buildSnsMessage({ rule: { id: 'r', title: 't', level: 'high', tags: [] }, user_name: 'a\ud800b' });
  expect(m.email).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/);
});

// Found by these tests and fixed in lambda/notify/fit-detection.ts: a value nested deeper than JSON.stringify's
// recursion limit (a 256 KB event can nest ~128k arrays) made buildSnsMessage throw RangeError on every retry.
test('a field value nested 100,000 deep still gives a message', () => {
  let deep: unknown = 'x';
  for (let i = 0; i < 100_000; i++) deep = [deep];
  const detection: Detection = { rule: { id: 'r', title: 't', level: 'high', tags: [] }, field_values: { 'data.details': deep } };
  const m = buildSnsMessage(detection);
  expect(JSON.parse(m.default)).toMatchObject({ rule: { id: 'r' } });
});

// Notification text is built from log fields an attacker controls (user names, user agents, client names,
// IPs as sent, group values of correlations). Property tests over hostile detections: no control or invisible
// characters, no HTML, no live attacker links, every field bounded, SMS within 140 ASCII characters, subject
// within 100 printable ASCII characters, the whole SNS message within SNS's 256 KB. The detections and the
// check are in notification-hardening-cases.ts; `npm test` runs 150 cases, `npm run test:long` 1,500
// (test/helpers/scale.ts).

import fc from 'fast-check';
import { buildSnsMessage } from '../../lambda/notify/sns-message';
import { safeBlock, safeLine, toAscii } from '../../lambda/notify/sanitize';
import type { Detection } from '../../lambda/sigma/types';
import { hostileString, hostileValue } from './fuzz-arbitraries';
import { FORBIDDEN_IN_EMAIL, PRINTABLE_ASCII, assertHostileDetections } from './notification-hardening-cases';
import { testScale } from '../helpers/scale';

const CASES = testScale(150, 1_500);

test(`hostile detections: subject, SMS, email and size bounds hold (${CASES.toLocaleString('en-US')} cases)`, () => {
  assertHostileDetections(CASES);
}, testScale(60_000, 600_000));


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
    { numRuns: testScale(1_000, 3_000), seed: 3 },
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

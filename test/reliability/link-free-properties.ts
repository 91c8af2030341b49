// The properties behind test/reliability/link-free*.test.ts (few runs in `npm test`, many in `test:long`):
// notifications carry no clickable link built from event content, and every SNS subject of every message kind
// is < 100 printable ASCII characters. Generated look-alike URLs:
// fullwidth forms, combining marks, Cyrillic/Greek letters, look-alikes of `.` `/` `:`, a scheme glued to a
// word, bidi, zero-width and tag characters inside — in every field a detection takes from the log, through the
// SNS email, SMS and subject, the chat text function, and the storm summary.
//
// "Clickable" is what mail clients and phones auto-link: `scheme://`, `javascript:`/`mailto:`/`data:`/`tel:`...,
// `www.`, and a bare domain-like `host.tld` (CLICKABLE in lambda/notify/sanitize.ts). The only link allowed is
// our own dashboard link, built from configuration (lambda/notify/dashboard-link.ts).

import fc from 'fast-check';
import { dashboardLogUrl } from '../../lambda/notify/dashboard-link';
import { CLICKABLE, chatText, safeLine, toAscii } from '../../lambda/notify/sanitize';
import { buildSnsMessage, SUBJECT_MAX } from '../../lambda/notify/sns-message';
import type { StormSummary } from '../../lambda/reliability/storm';
import { buildSummaryMessage } from '../../lambda/reliability/summary-message';
import { SIGMA_LEVELS, type Detection, type Level } from '../../lambda/sigma/types';
import { hostileString } from './fuzz-arbitraries';

const FULLWIDTH = (c: string): string => (c >= '!' && c <= '~' ? String.fromCharCode(c.charCodeAt(0) + 0xfee0) : c);
const LOOKALIKE: Record<string, string[]> = {
  a: ['а', 'α'], e: ['е', 'ε'], o: ['о', 'ο', 'օ'], p: ['р', 'ρ'], c: ['с', 'ϲ'], x: ['х', 'χ'], i: ['і', 'ι', 'ı'], s: ['ѕ'],
  h: ['һ'], j: ['ј'], w: ['ԝ'], y: ['у'], '.': ['。', '．', '․', '﹒', '｡'], '/': ['∕', '⁄', '／'], ':': ['：', '∶', '꞉'],
};
const INVISIBLES = ['\u200b', '\u200c', '\u200d', '\u2060', '\ufeff', '\u00ad', '\u202e', '\u202d', '\u2066', '\u200e', '\u061c', '\u{e0041}', '\u{e007f}', '\u180e', '\u034f'];
const MARKS = ['\u0301', '\u0303', '\u0308', '\u0323', '\u0332', '\u20dd'];

const host = fc.constantFrom('evil.com', 'login-auth0.example', 'acme.co', 'xn--80ak6aa92e.com', 'paypal.com', 'a.bc', 'evil.com:8443', 'sub.evil.io/p?q=1');
const scheme = fc.constantFrom('https://', 'http://', 'HTTPS://', 'ftp://', 'foo+bar://', 'javascript:', 'JavaScript:', 'mailto:user@', 'data:', 'tel:', 'www.', '', '//');
const glue = fc.constantFrom('', 'x', 'Name', '1', '_', '-', '(', '"');

/** One look-alike URL: a scheme glued or not to a word, then per character maybe disguised. */
const lookalikeUrl: fc.Arbitrary<string> = fc
  .tuple(glue, scheme, host, fc.array(fc.nat(), { minLength: 60, maxLength: 60 }))
  .map(([g, s, h, dice]) => {
    let out = g;
    let i = 0;
    for (const c of s + h) {
      const d = dice[i++ % dice.length];
      const options = LOOKALIKE[c.toLowerCase()];
      if (d % 7 === 0) out += FULLWIDTH(c);
      else if (d % 7 === 1 && options) out += options[d % options.length];
      else if (d % 7 === 2) out += c + MARKS[d % MARKS.length];
      else if (d % 7 === 3) out += c + INVISIBLES[d % INVISIBLES.length];
      else out += c;
    }
    return out;
  });

/** Log content: look-alike URLs, alone or inside other text (and sometimes other hostile strings). */
const logText = fc.oneof(
  { arbitrary: lookalikeUrl, weight: 4 },
  { arbitrary: fc.tuple(fc.string({ maxLength: 8 }), lookalikeUrl, fc.string({ maxLength: 8 })).map(([a, u, b]) => `${a}${u}${b}`), weight: 3 },
  { arbitrary: fc.tuple(lookalikeUrl, lookalikeUrl).map(([a, b]) => `${a} ${b}`), weight: 1 },
  { arbitrary: hostileString, weight: 1 },
);

export const level = fc.constantFrom(...SIGMA_LEVELS) as fc.Arbitrary<Level>;

/** A detection whose every log-derived field is look-alike text; the rule's own text is benign (rule-authored). */
export const detection: fc.Arbitrary<Detection> = fc
  .record({
    level, user_name: logText, user_id: logText, ip: logText, client_name: logText, client_id: logText, type: logText, date: logText,
    log_id: fc.oneof(logText, fc.constant('90020250917101112223344556677889900112233445566778899')),
    field: logText, group: logText, logIds: fc.array(logText, { maxLength: 3 }), correlated: fc.boolean(),
  })
  .map((r) => ({
    rule: { id: 'rule-1', title: 'Suspicious login', level: r.level, tags: ['attack.t1078'] },
    log_id: r.log_id, date: r.date, type: r.type, user_name: r.user_name, user_id: r.user_id, ip: r.ip,
    client_name: r.client_name, client_id: r.client_id, matched: ['selection'],
    field_values: { details: r.field },
    ...(r.correlated
      ? { correlation: { type: 'event_count' as const, group: { user: r.group }, value: 3, window: { start: r.date, end: r.date }, rules: ['rule-0'], log_ids: r.logIds } }
      : {}),
  }));

const event = fc.record({ user_agent: logText, tenant_name: logText, hostname: logText }).map((data) => ({ data }));

/** The text with our own dashboard links (built from configuration) taken out. */
export function withoutDashboardLinks(text: string, d: Detection, domain: string): string {
  let out = text;
  for (const id of [d.log_id, ...(d.correlation?.log_ids ?? [])]) {
    const url = dashboardLogUrl(domain, id);
    if (url) out = out.split(url).join('');
  }
  return out;
}

export function expectNoLink(text: string, where: string, input: unknown): void {
  const m = CLICKABLE.exec(text);
  if (m) throw new Error(`${where} has a clickable link '${m[0]}' near ${JSON.stringify(text.slice(Math.max(0, m.index - 40), m.index + 40))} (input ${JSON.stringify(input).slice(0, 300)})`);
}

/** No SMS, email, subject or chat text of `numRuns` generated detections holds a clickable link from the log. */
export function checkNoLinks(numRuns: number, seed: number): void {
  fc.assert(
    fc.property(detection, event, (d, e) => {
      const domain = 'acme.eu.auth0.com';
      const m = buildSnsMessage(d, { event: e, auth0Domain: domain });
      // The tags line is the rule's own text (`attack.t1078` is rule-authored, not log content).
      expectNoLink(withoutDashboardLinks(m.email, d, domain).replace('\nTags: attack.t1078\n', '\n'), 'email', d);
      expectNoLink(m.sms, 'sms', d);
      expectNoLink(m.subject, 'subject', d);
      for (const value of [d.user_name, d.client_name, d.ip, e.data.user_agent, d.correlation?.group.user]) {
        expectNoLink(chatText(value, 300), 'chat text', value);
        expectNoLink(safeLine(value, 300), 'safeLine', value);
        expectNoLink(toAscii(value, 140), 'toAscii', value);
      }
    }),
    { numRuns, seed },
  );
}

export const summary: fc.Arbitrary<StormSummary> = fc.record({
  ruleId: fc.oneof(fc.uuid(), fc.string({ unit: 'binary', maxLength: 300 })),
  title: fc.oneof(fc.string({ unit: 'binary', maxLength: 400 }), fc.string({ maxLength: 200 }), fc.constant('T'.repeat(100))),
  level,
  windowStart: fc.constant('2026-11-20T09:00:00.000Z'),
  windowEnd: fc.constant('2026-11-20T10:00:00.000Z'),
  total: fc.nat(),
  suppressed: fc.record({ email: fc.oneof(fc.nat(), fc.constant(Number.MAX_SAFE_INTEGER)), sms: fc.nat() }),
});

/** A subject SNS accepts: printable ASCII, not starting with a space. */
export const SNS_SUBJECT = /^[\x21-\x7e][\x20-\x7e]*$/;

/** Every SNS subject (detections, correlations, storm summaries) is 1 to 99 printable ASCII characters. */
export function checkSubjects(numRuns: number, seed: number): void {
  const ruleText = fc.oneof(fc.string({ unit: 'binary', maxLength: 400 }), fc.constant(''), fc.constant(' '), fc.constant('\u202e'), fc.constant('T'.repeat(120)), fc.constant('é'.repeat(99)));
  fc.assert(
    fc.property(detection, ruleText, ruleText, (d, title, id) => {
      const subject = buildSnsMessage({ ...d, rule: { ...d.rule, title, id } }).subject;
      expect(subject.length).toBeLessThan(100);
      expect(subject).toMatch(SNS_SUBJECT);
    }),
    { numRuns, seed },
  );
  fc.assert(
    fc.property(summary, fc.subarray(['email', 'sms'] as const, { minLength: 1 }), (s, channels) => {
      const m = buildSummaryMessage(s, [...channels]);
      expect(m.subject.length).toBeLessThanOrEqual(SUBJECT_MAX);
      expect(m.subject).toMatch(SNS_SUBJECT);
      expect(m.sms.length).toBeLessThanOrEqual(140);
    }),
    { numRuns, seed: seed + 1 },
  );
}

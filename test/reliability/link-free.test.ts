// Notifications carry no clickable link built from event content (issue 14, point 5), and every SNS subject
// of every message kind is < 100 printable ASCII characters. The properties (generated look-alike URLs:
// fullwidth, combining marks, Cyrillic/Greek letters, look-alikes of `.` `/` `:`, schemes glued to a word,
// bidi/zero-width/tag characters inside) are in link-free-properties.ts: a few hundred runs here, many more in
// link-free.long.test.ts (`npm run test:long`).

import type { StormSummary } from '../../lambda/reliability/storm';
import { buildSummaryMessage } from '../../lambda/reliability/summary-message';
import { detectionJson } from '../../lambda/notify/fit-detection';
import { chatText, safeLine, toAscii } from '../../lambda/notify/sanitize';
import { buildSnsMessage } from '../../lambda/notify/sns-message';
import { detectionKey } from '../../lambda/reliability/ledger';
import type { Detection } from '../../lambda/sigma/types';
import { checkNoLinks, checkSubjects, expectNoLink, withoutDashboardLinks } from './link-free-properties';

test('no SMS, email or chat text carries a clickable link built from event content (150 generated detections)', () => {
  checkNoLinks(150, 1405);
});

test('every SNS subject (detections, correlations, storm summaries) is 1 to 99 printable ASCII characters', () => {
  checkSubjects(150, 99);
});

test('the dashboard link from configuration still works, and is the only link', () => {
  const d: Detection = { rule: { id: 'r', title: 't', level: 'high', tags: [] }, log_id: 'abc123', user_name: 'ｈｔｔｐｓ：／／ｅｖｉｌ．ｃｏｍ' };
  const m = buildSnsMessage(d, { auth0Domain: 'acme.eu.auth0.com' });
  expect(m.email).toContain('Dashboard:    https://manage.auth0.com/dashboard/eu/acme/logs/abc123');
  expect(m.email).toContain('Who:          hxxps[://]evil[.]com');
  expectNoLink(withoutDashboardLinks(m.email, d, 'acme.eu.auth0.com'), 'email', d);
});

test.each([
  ['fullwidth', 'ｈｔｔｐｓ：／／ｅｖｉｌ．ｃｏｍ', 'hxxps[://]evil[.]com'],
  ['combining marks', 'h\u0303t\u0301tps://e\u0308vil.com', 'hxxps[://]evil[.]com'],
  ['Cyrillic letters', 'https://аpple.com', 'hxxps[://]apple[.]com'],
  ['ideographic full stop', 'evil。com', 'evil[.]com'],
  ['division slash and ratio colon', 'https∶∕∕evil.com', 'hxxps[://]evil[.]com'],
  ['scheme glued to a word', 'xhttps://evil.com', 'xhxxps[://]evil[.]com'],
  ['zero-width and bidi inside', 'ht\u200btps://ev\u202eil.com', 'hxxps[://]evil[.]com'],
  ['tag characters inside', 'www.\u{e0041}evil.com', 'www[.]evil[.]com'],
  ['ftp and other schemes', 'ftp://x.io foo://y', 'ftp[://]x[.]io foo[://]y'],
  ['javascript:', 'javascript:alert(1)', 'javascript[:]alert(1)'],
  ['mailto:', 'mailto:a@b.cd', 'mailto[:]a@b[.]cd'],
  ['bare domain in a user name', 'evil.com', 'evil[.]com'],
  ['names and addresses stay readable', 'Renée Иван 203.0.113.7 2026-11-20T09:26:00.000Z', 'Renée Иван 203.0.113.7 2026-11-20T09:26:00.000Z'],
])('%s', (_name, input, expected) => {
  expect(safeLine(input, 200)).toBe(expected);
  expectNoLink(toAscii(input, 200), 'toAscii', input);
  expectNoLink(chatText(input, 200), 'chat', input);
});

test('chat text: broadcast mentions are broken and & is escaped', () => {
  expect(chatText('@here & @channel <!everyone>', 100)).toBe('@[here] &amp; @[channel] \u2039![everyone]\u203a');
  expect(chatText('data.ip', 100, 'rule')).toBe('data.ip');
});

// The bug the sweep hit every minute: a 62-character title made the storm-summary subject exactly 100 characters.
test('storm summary subject: the title that made it exactly 100 characters now gives 99', () => {
  const s: StormSummary = {
    ruleId: 'r', title: 'T'.repeat(200), level: 'informational', windowStart: '2026-11-20T09:00:00.000Z', windowEnd: '2026-11-20T10:00:00.000Z',
    total: 1_000_010, suppressed: { email: 1_000_000, sms: 10 },
  };
  const m = buildSummaryMessage(s, ['email']);
  expect(m.subject).toBe(`[auth0-sigma] INFORMATIONAL: 1000000 more: ${'T'.repeat(99 - 43 - 4)} ...`);
  expect(m.subject).toHaveLength(99);
});

test('a detection whose event holds an array nested 100,000 deep: message, JSON, ledger key and chat text, no recursion', () => {
  let deep: unknown = 'https://evil.com';
  for (let i = 0; i < 100_000; i++) deep = [deep];
  let deepObject: unknown = 'x';
  for (let i = 0; i < 100_000; i++) deepObject = { a: deepObject };
  const d: Detection = {
    rule: { id: 'r', title: 't', level: 'high', tags: [], meta: { description: 'd' } },
    user_name: 'u', field_values: { 'data.details': deep, 'data.other': deepObject },
    correlation: { type: 'event_count', group: { 'data.x': deep as string }, value: 1, window: { start: 's', end: 'e' }, rules: [], log_ids: [] },
  };
  const m = buildSnsMessage(d, { event: { data: { user_agent: deep, tenant_name: deepObject } } });
  const parsed = JSON.parse(m.default) as Detection;
  expect(parsed.rule.id).toBe('r');
  expect(JSON.stringify(parsed.field_values)).toContain('nested');
  expectNoLink(m.email.replace(/data\.(details|other|x)/g, ''), 'email', 'deep');
  expect(Buffer.byteLength(detectionJson(d, 64 * 1024))).toBeLessThanOrEqual(64 * 1024);
  // Ledger keys hash a canonical JSON of the field values for detections without a log_id: iterative too.
  expect(detectionKey({ ...d, correlation: undefined })).toMatch(/^R#r#H#/);
  expect(chatText(deep, 300).length).toBeLessThanOrEqual(300);
});

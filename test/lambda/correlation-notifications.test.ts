// Correlation detections in notifications: every type's measure is named in the email, hostile group values are
// neutralised, and a correlation detection too large for SNS/EventBridge keeps its group, window and log_ids.

import { detectionJson } from '../../lambda/notify/fit-detection';
import { buildSnsMessage } from '../../lambda/notify/sns-message';
import type { CorrelationInfo, CorrelationType, Detection } from '../../lambda/sigma/types';

function correlationDetection(correlation: Partial<CorrelationInfo> = {}, extra: Partial<Detection> = {}): Detection {
  return {
    rule: { id: 'c-1', title: 'Many failed logins from one IP address', level: 'high', tags: ['attack.t1110'] },
    date: '2026-11-20T09:35:06.000Z',
    ip: '203.0.113.66',
    correlation: {
      type: 'event_count',
      group: { 'data.ip': '203.0.113.66' },
      value: 10,
      window: { start: '2026-11-20T09:26:00.000Z', end: '2026-11-20T09:36:00.000Z' },
      rules: ['r-base'],
      log_ids: ['l1', 'l2', 'l3'],
      ...correlation,
    },
    ...extra,
  };
}

test.each<[CorrelationType, string]>([
  ['event_count', 'Event count: 7'],
  ['value_count', 'Distinct values: 7'],
  ['temporal', 'Rules matched: 7'],
  ['temporal_ordered', 'Rules matched in order: 7'],
  ['value_sum', 'Sum: 7'],
  ['value_avg', 'Average: 7'],
  ['value_percentile', 'Percentile value: 7'],
])('the email names what a %s correlation measured', (type, line) => {
  const email = buildSnsMessage(correlationDetection({ type, value: 7 })).email;
  expect(email).toContain(`  Type: ${type}\n  ${line}\n`);
});

test('group values and log_ids from the log are sanitized in the email; at most 10 log ids are listed', () => {
  const ids = Array.from({ length: 12 }, (_, i) => `id${i}`);
  const email = buildSnsMessage(correlationDetection({ group: { 'data.user_name': 'eve\r\nSubject: x <b>' }, log_ids: ids }), { auth0Domain: 'acme.eu.auth0.com' }).email;
  expect(email).toContain('  Group data.user_name: eve Subject: x ');
  expect(email).not.toContain('<b>');
  expect(email).toContain(`  Log ids: ${ids.slice(0, 10).join(', ')}\n`);
  expect(email).toContain('  First log: https://manage.auth0.com/dashboard/eu/acme/logs/id0');
  // Rules are named by id, and by title when the notifier knows the rule set.
  expect(email).toContain('  Rules: r-base\n');
  const titled = buildSnsMessage(correlationDetection(), { ruleTitles: new Map([['r-base', 'Failed login\r\nBcc: x']]) }).email;
  expect(titled).toContain('  Rules: Failed login Bcc: x (r-base)\n');
  // Without a tenant domain there is no link.
  expect(buildSnsMessage(correlationDetection()).email).not.toContain('First log:');
});

test('an oversized correlation detection is shortened but keeps its correlation (group, value, window, rules, log_ids)', () => {
  const huge = 'x'.repeat(300_000);
  const detection = correlationDetection({ group: { 'data.user_name': huge, 'data.ip': '203.0.113.66' } }, { field_values: { big: huge } });
  const json = detectionJson(detection, 96 * 1024);
  expect(Buffer.byteLength(json)).toBeLessThanOrEqual(96 * 1024);
  const fitted = JSON.parse(json) as Detection;
  expect(fitted.correlation).toMatchObject({
    type: 'event_count', value: 10, rules: ['r-base'], log_ids: ['l1', 'l2', 'l3'],
    window: { start: '2026-11-20T09:26:00.000Z', end: '2026-11-20T09:36:00.000Z' },
  });
  expect(fitted.correlation!.group['data.ip']).toBe('203.0.113.66');
  expect((fitted.correlation!.group['data.user_name'] as string).length).toBeLessThanOrEqual(256);
});

// Notification text from attacker-controlled fields, size limits, dashboard links and EventBridge batching.

import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import * as fc from 'fast-check';
import { dashboardLogUrl } from '../../lambda/notify/dashboard-link';
import { batchEntries, entrySize, EventBridgeNotifier, MAX_BYTES_PER_CALL } from '../../lambda/notify/eventbridge-publisher';
import { detectionJson } from '../../lambda/notify/fit-detection';
import { safeLine, toAscii, truncate } from '../../lambda/notify/sanitize';
import { buildSnsMessage, SMS_MAX, SUBJECT_MAX, TAG_MAX_LENGTH, TAGS_MAX } from '../../lambda/notify/sns-message';
import type { Detection } from '../../lambda/sigma/types';

function detection(overrides: Partial<Detection> = {}, rule: Partial<Detection['rule']> = {}): Detection {
  return {
    rule: { id: 'r-1', title: 'Suspicious thing', level: 'high', tags: ['attack.t1078'], meta: { description: 'desc' }, ...rule },
    log_id: 'abc123',
    date: '2025-01-02T03:04:05.000Z',
    type: 'f',
    user_name: 'alice@example.com',
    user_id: 'auth0|1',
    ip: '198.51.100.4',
    ...overrides,
  };
}

describe('sanitizing attacker-controlled text', () => {
  test('control, bidi and zero-width characters are removed; markup neutralised; links defanged', () => {
    const hostile = 'eve\u001b[31m\r\nSubject: fake\u202e<script>alert(1)</script>\u200b https://evil.example/x';
    const line = safeLine(hostile, 200);
    expect(line).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u200b\u202e<>]/);
    expect(line).toContain('hxxps[://]evil[.]example/x');
    expect(line).toBe('eve [31m Subject: fake\u2039script\u203aalert(1)\u2039/script\u203a hxxps[://]evil[.]example/x');
  });

  test('length is bounded and surrogate pairs are not split', () => {
    expect(safeLine('x'.repeat(10_000), 50)).toHaveLength(50);
    expect(truncate('😀😀😀😀', 3, '…')).toBe('😀😀…');
  });

  test('toAscii keeps letters, drops accents and replaces the rest', () => {
    expect(toAscii('Renée Ünal 😀 東京', 100)).toBe('Renee Unal ? ??');
  });

  test('in the email, hostile user names cannot forge lines or carry HTML', () => {
    const msg = buildSnsMessage(detection({ user_name: 'x\nLevel: INFORMATIONAL\n<img src=http://e/>' }));
    const who = msg.email.split('\n').find((l) => l.startsWith('Who:'))!;
    expect(who).toBe('Who:          x Level: INFORMATIONAL \u2039img src=hxxp[://]e/\u203a (auth0|1)');
    expect(msg.email.split('\n').filter((l) => l.startsWith('Level:'))).toEqual(['Level:        HIGH']);
    expect(msg.email).not.toMatch(/[<>]/);
  });

  test('property: subject, SMS and email stay within their limits for any title and user', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), fc.string({ unit: 'binary', maxLength: 400 }), (title, user) => {
        const msg = buildSnsMessage(detection({ user_name: user, client_name: user }, { title }));
        expect(msg.subject.length).toBeLessThanOrEqual(SUBJECT_MAX);
        expect(msg.subject).toMatch(/^[\x20-\x7e]+$/);
        expect(msg.sms.length).toBeLessThanOrEqual(SMS_MAX);
        expect(msg.sms).toMatch(/^[\x20-\x7e]*$/);
        // No control characters other than the email's own line breaks.
        expect(msg.email).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e]/);
      }),
      { numRuns: 300 },
    );
  });
});

describe('SMS text', () => {
  test('a long title is cut so level, user and IP always fit', () => {
    const msg = buildSnsMessage(detection({}, { title: 'T'.repeat(300) }));
    expect(msg.sms.length).toBe(SMS_MAX);
    expect(msg.sms.startsWith('HIGH: TTT')).toBe(true);
    // The user name is log content: its domain is defanged (no phone turns it into a mailto: link).
    expect(msg.sms.endsWith(' user alice@example[.]com ip 198.51.100.4')).toBe(true);
  });

  test('a correlation names its group and count', () => {
    const msg = buildSnsMessage(detection({ user_name: undefined, user_id: undefined, ip: undefined, correlation: {
      type: 'event_count', group: { 'data.ip': '203.0.113.9' }, value: 12,
      window: { start: '2025-01-01T00:00:00Z', end: '2025-01-01T01:00:00Z' }, rules: ['r-0'], log_ids: ['l1', 'l2'],
    } }));
    expect(msg.sms).toBe('HIGH: Suspicious thing ip 203.0.113.9 n=12');
    expect(msg.email).toContain('  Group data.ip: 203.0.113.9');
    expect(msg.email).toContain('  Log ids: l1, l2');
  });
});

describe('message attributes', () => {
  test('a rule without tags sends no tags attribute (SNS rejects an empty String.Array)', () => {
    const msg = buildSnsMessage(detection({}, { tags: [] }));
    expect(Object.keys(msg.attributes).sort()).toEqual(['AWS.SNS.SMS.SMSType', 'level', 'rule_id']);
  });
  test('the tags attribute is bounded: over-long tags are dropped whole, and at most TAGS_MAX are sent', () => {
    const many = Array.from({ length: TAGS_MAX + 10 }, (_, i) => `attack.t${1000 + i}`);
    const msg = buildSnsMessage(detection({}, { tags: ['x'.repeat(TAG_MAX_LENGTH + 1), ...many] }));
    const sent = JSON.parse(msg.attributes.tags.StringValue!) as string[];
    expect(sent).toEqual(many.slice(0, TAGS_MAX));
  });
});

describe('dashboard links', () => {
  test.each([
    ['acme.eu.auth0.com', 'https://manage.auth0.com/dashboard/eu/acme/logs/abc123'],
    ['acme.us.auth0.com', 'https://manage.auth0.com/dashboard/us/acme/logs/abc123'],
    ['acme.auth0.com', 'https://manage.auth0.com/dashboard/us/acme/logs/abc123'],
    ['login.acme.com', undefined],
  ])('%s', (domain, url) => {
    expect(dashboardLogUrl(domain, 'abc123')).toBe(url);
  });

  test('no link for a log_id that is not a plain identifier', () => {
    expect(dashboardLogUrl('acme.eu.auth0.com', '../../settings?x=1')).toBeUndefined();
    expect(buildSnsMessage(detection(), {}).email).not.toContain('Dashboard:');
  });
});

describe('oversized detections', () => {
  test('large field values are shortened until the JSON fits', () => {
    const big = detection({ field_values: { 'data.details.body': 'y'.repeat(300_000), 'data.ip': '1.2.3.4' } });
    const json = detectionJson(big, 64 * 1024);
    expect(Buffer.byteLength(json)).toBeLessThanOrEqual(64 * 1024);
    const parsed = JSON.parse(json) as Detection;
    expect(parsed.field_values?.['data.ip']).toBe('1.2.3.4');
    expect((parsed.field_values?.['data.details.body'] as string).length).toBe(1024);
  });

  test('the SNS message stays under the 256 KB publish limit', () => {
    const big = detection({ field_values: Object.fromEntries(Array.from({ length: 400 }, (_, i) => [`f${i}`, 'z'.repeat(5000)])) });
    expect(Buffer.byteLength(buildSnsMessage(big).message)).toBeLessThan(256 * 1024);
  });
});

describe('EventBridge batching', () => {
  const entry = (detailBytes: number): PutEventsRequestEntry => ({ Source: 'auth0-sigma', DetailType: 'Sigma detection', Detail: 'x'.repeat(detailBytes) });

  test('at most 10 entries per call', () => {
    expect(batchEntries(Array.from({ length: 25 }, () => entry(100))).map((b) => b.length)).toEqual([10, 10, 5]);
  });

  test('at most 256 KB per call, by EventBridge\'s size formula', () => {
    const entries = Array.from({ length: 6 }, () => entry(60_000));
    expect(entrySize(entries[0])).toBe(14 + 'auth0-sigma'.length + 'Sigma detection'.length + 60_000);
    const batches = batchEntries(entries);
    expect(batches.map((b) => b.length)).toEqual([4, 2]);
    for (const b of batches) expect(b.reduce((s, i) => s + entrySize(entries[i]), 0)).toBeLessThanOrEqual(MAX_BYTES_PER_CALL);
  });

  test('only the failed entries are retried, with backoff', async () => {
    const eb = mockClient(EventBridgeClient);
    eb.on(PutEventsCommand)
      .resolvesOnce({ FailedEntryCount: 1, Entries: [{ EventId: 'a' }, { ErrorCode: 'ThrottlingException' }, { EventId: 'c' }] })
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'b' }] });
    const delays: number[] = [];
    const notifier = new EventBridgeNotifier(new EventBridgeClient({ region: 'eu-west-1' }), {
      eventBusName: 'default',
      backoff: { sleep: async (ms) => { delays.push(ms); }, random: () => 0.5 },
    });
    const items = ['one', 'two', 'three'].map((id) => ({ detection: detection({ log_id: id }) }));
    await notifier.deliver(items);
    const calls = eb.commandCalls(PutEventsCommand);
    expect(calls).toHaveLength(2);
    expect(calls[1].args[0].input.Entries!.map((e) => (JSON.parse(e.Detail!) as Detection).log_id)).toEqual(['two']);
    expect(delays).toEqual([100]);
    eb.restore();
  });
});

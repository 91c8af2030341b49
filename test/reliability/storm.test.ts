// Storm control against dynalite: budgets per level and channel, atomic counting, one summary per rule and window.

import { DeliveryLedger } from '../../lambda/reliability/ledger';
import { DEFAULT_STORM_CONFIG, parseStormConfig, StormControl, type Channel, type StormConfig, type StormSummary } from '../../lambda/reliability/storm';
import { buildSummaryMessage } from '../../lambda/reliability/summary-message';
import type { Detection } from '../../lambda/sigma/types';
import { startDynalite, type LocalDynamo } from '../helpers/dynalite';

let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(async () => {
  await dynamo.stop();
});

const HOUR = 3_600_000;
const T0 = Date.parse('2026-03-01T10:00:00Z');
const config: StormConfig = { windowMs: HOUR, budgets: { ...DEFAULT_STORM_CONFIG.budgets, high: { email: 3, sms: 1 }, low: { email: 1, sms: 0 } } };
const detection = (ruleId: string, level: Detection['rule']['level'] = 'high', logId = 'x'): Detection => ({
  rule: { id: ruleId, title: `Brute force <b>${ruleId}</b>`, level, tags: [] }, log_id: logId,
});

class RecordingSender {
  readonly sent: { summary: StormSummary; channels: Channel[] }[] = [];
  fail = false;
  async sendSummary(summary: StormSummary, channels: Channel[]): Promise<void> {
    if (this.fail) throw new Error('ThrottledException');
    this.sent.push({ summary, channels });
  }
}

describe('StormControl', () => {
  test('within budget every channel; past the SMS budget email only; past both nothing; counted either way', async () => {
    const now = T0 + 5 * 60_000;
    const storm = new StormControl({ client: dynamo.client, tableName: await dynamo.createTable(), config, clock: () => now });
    const admitted = [];
    for (let i = 0; i < 6; i++) admitted.push(await storm.admit(detection('r1')));
    expect(admitted.map((a) => a.channels)).toEqual([['email', 'sms'], ['email'], ['email'], [], [], []]);
    expect(admitted.map((a) => a.count)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(admitted[0].windowStart).toBe(T0);
    expect(admitted[0].windowEnd).toBe(T0 + HOUR);
    // Budgets are per rule and per level.
    expect((await storm.admit(detection('r2'))).channels).toEqual(['email', 'sms']);
    expect((await storm.admit(detection('r3', 'low'))).channels).toEqual(['email']);
  });

  test('50 concurrent admissions from separate clients: exact count, exactly the budget admitted', async () => {
    const table = await dynamo.createTable();
    const controls = Array.from({ length: 50 }, () => new StormControl({ client: dynamo.newClient(), tableName: table, config, clock: () => T0 }));
    const results = await Promise.all(controls.map((s) => s.admit(detection('hot'))));
    expect(results.map((r) => r.count).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(results.filter((r) => r.channels.includes('email'))).toHaveLength(3);
    expect(results.filter((r) => r.channels.includes('sms'))).toHaveLength(1);
  });

  test('a new window restores the budget', async () => {
    let now = T0;
    const storm = new StormControl({ client: dynamo.client, tableName: await dynamo.createTable(), config, clock: () => now });
    for (let i = 0; i < 4; i++) await storm.admit(detection('r'));
    expect((await storm.admit(detection('r'))).channels).toEqual([]);
    now = T0 + HOUR;
    expect((await storm.admit(detection('r'))).channels).toEqual(['email', 'sms']);
  });

  test('flushSummaries: one summary per rule when its window ends, with the counts per channel, exactly once', async () => {
    let now = T0 + 10 * 60_000;
    const table = await dynamo.createTable();
    const sender = new RecordingSender();
    const ledger = new DeliveryLedger({ client: dynamo.client, tableName: table, clock: () => now });
    const storm = new StormControl({ client: dynamo.client, tableName: table, config, clock: () => now, sender, ledger });
    for (let i = 0; i < 7; i++) await storm.admit(detection('r1'));
    await storm.admit(detection('quiet')); // within every budget: no summary
    expect((await storm.flushSummaries(now)).sent).toEqual([]);
    now = T0 + HOUR + 30_000; // inside the grace period
    expect((await storm.flushSummaries(now)).sent).toEqual([]);
    now = T0 + HOUR + 61_000;
    const result = await storm.flushSummaries(now);
    expect(sender.sent).toEqual([{
      summary: {
        ruleId: 'r1', title: 'Brute force <b>r1</b>', level: 'high',
        windowStart: '2026-03-01T10:00:00.000Z', windowEnd: '2026-03-01T11:00:00.000Z',
        total: 7, suppressed: { email: 4, sms: 6 },
      },
      channels: ['email', 'sms'],
    }]);
    expect(result.sent).toHaveLength(1);
    await storm.flushSummaries(now + HOUR);
    expect(sender.sent).toHaveLength(1);
  });

  test('a failed summary send stays due and goes out with the next sweep, once', async () => {
    const now = T0 + 2 * HOUR;
    const table = await dynamo.createTable();
    const sender = new RecordingSender();
    const ledger = new DeliveryLedger({ client: dynamo.client, tableName: table, clock: () => now });
    const storm = new StormControl({ client: dynamo.client, tableName: table, config, clock: () => T0, sender, ledger });
    for (let i = 0; i < 5; i++) await storm.admit(detection('r1'));
    sender.fail = true;
    await expect(storm.flushSummaries(now)).rejects.toThrow('Throttled');
    sender.fail = false;
    expect((await storm.flushSummaries(now)).sent).toHaveLength(1);
    expect((await storm.flushSummaries(now)).sent).toHaveLength(0);
    expect(sender.sent).toHaveLength(1);
    expect(sender.sent[0].summary.suppressed).toEqual({ email: 2, sms: 4 });
  });

  test('only the channels that missed notifications get the summary', async () => {
    const table = await dynamo.createTable();
    const sender = new RecordingSender();
    const cfg: StormConfig = { ...config, budgets: { ...config.budgets, high: { email: 10, sms: 1 } } };
    const storm = new StormControl({ client: dynamo.client, tableName: table, config: cfg, clock: () => T0, sender });
    for (let i = 0; i < 3; i++) await storm.admit(detection('r1'));
    await storm.flushSummaries(T0 + 2 * HOUR);
    expect(sender.sent.map((s) => s.channels)).toEqual([['sms']]);
  });
});

describe('parseStormConfig', () => {
  test('defaults, overrides, and errors that say what to write', () => {
    expect(parseStormConfig(undefined)).toEqual(DEFAULT_STORM_CONFIG);
    const c = parseStormConfig('{"windowMinutes": 30, "budgets": {"high": {"sms": 2}}}');
    expect(c.windowMs).toBe(30 * 60_000);
    expect(c.budgets.high).toEqual({ email: DEFAULT_STORM_CONFIG.budgets.high.email, sms: 2 });
    expect(DEFAULT_STORM_CONFIG.budgets.high.sms).toBe(3); // defaults untouched
    expect(() => parseStormConfig('{')).toThrow(/not valid JSON.*expected e\.g\./);
    expect(() => parseStormConfig('{"budgets": {"severe": {}}}')).toThrow(/budgets\.severe: unknown level/);
    expect(() => parseStormConfig('{"budgets": {"high": {"pager": 1}}}')).toThrow(/budgets\.high\.pager: unknown channel/);
    expect(() => parseStormConfig('{"budgets": {"high": {"sms": -1}}}')).toThrow(/budgets\.high\.sms must be an integer/);
    expect(() => parseStormConfig('{"windowMinutes": 0}')).toThrow(/windowMinutes must be an integer from 1 to 1440/);
    expect(() => parseStormConfig('{"window": 5}')).toThrow(/unknown key 'window'/);
  });

  test('defaults: SMS budgets stricter than email at every level', () => {
    for (const b of Object.values(DEFAULT_STORM_CONFIG.budgets)) expect(b.sms).toBeLessThan(b.email);
  });
});

describe('summary message', () => {
  test('subject < 100 printable ASCII, SMS ≤ 140 ASCII, no markup, channels attribute', () => {
    const summary: StormSummary = {
      ruleId: 'r1', title: `<script>alert(1)</script>\u0007 ${'Ü'.repeat(300)}`, level: 'critical',
      windowStart: '2026-03-01T10:00:00.000Z', windowEnd: '2026-03-01T11:00:00.000Z', total: 1234, suppressed: { email: 1214, sms: 1229 },
    };
    const m = buildSummaryMessage(summary, ['email', 'sms']);
    expect(m.subject.length).toBeLessThan(100);
    expect(m.subject).toMatch(/^[\x20-\x7e]+$/);
    expect(m.subject).toContain('1214 more');
    expect(m.sms.length).toBeLessThanOrEqual(140);
    expect(m.sms).toMatch(/^[\x20-\x7e]+$/);
    expect(m.sms).toContain('1229 more');
    expect(m.email).not.toMatch(/[<>\u0007]/);
    expect(m.email).toContain('1214 more detection(s)');
    expect(JSON.parse(m.attributes.channels.StringValue as string)).toEqual(['email', 'sms']);
    expect(JSON.parse(m.message)).toEqual({ default: expect.any(String), email: m.email, sms: m.sms });
  });
});

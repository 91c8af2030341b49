// Security Hub findings: the ASFF shape of one detection, partial failures of BatchImportFindings, and redelivery
// through the real handler with the delivery ledger on dynalite (a retried or duplicated event updates nothing
// twice and never creates a second finding).

import { BatchImportFindingsCommand, SecurityHubClient, type AwsSecurityFinding } from '@aws-sdk/client-securityhub';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { createRuntime, runInvocation } from '../../lambda/handler';
import { DeliveryError } from '../../lambda/notify/delivery-error';
import { ENV_SECURITY_HUB_MIN_LEVEL, ENV_SECURITY_HUB_PRODUCT_ARN } from '../../lambda/notify/channel-constants';
import { ENV_AUTH0_DOMAIN, ENV_CORRELATION_TABLE, ENV_TOPIC_ARN } from '../../lambda/notify/constants';
import { buildFinding, findingTypes, FINDING_LIMITS, parseProductArn } from '../../lambda/notify/securityhub-finding';
import { SecurityHubNotifier } from '../../lambda/notify/securityhub-publisher';
import type { DetectionItem } from '../../lambda/pipeline-types';
import { ExactlyOnceSink } from '../../lambda/reliability/exactly-once-sink';
import { DeliveryLedger } from '../../lambda/reliability/ledger';
import type { Detection } from '../../lambda/sigma/types';
import { sampleDetection } from '../helpers/sample-detection';
import { startDynalite, type LocalDynamo } from '../helpers/dynalite';
import { RecordingTelemetry, SEED_RULE_ID, seedEvent, seedModel } from './detector-fixtures';

const ACCOUNT = '123456789012';
const PRODUCT_ARN = `arn:aws:securityhub:eu-west-1:${ACCOUNT}:product/${ACCOUNT}/default`;
const NOW = new Date('2026-12-02T05:00:00.000Z');
const noWait = { sleep: async () => undefined, random: () => 0 };

const hubMock = mockClient(SecurityHubClient);
const snsMock = mockClient(SNSClient);

const detection = (overrides: Partial<Detection> = {}, meta: Record<string, unknown> = {}): Detection =>
  sampleDetection(overrides, meta, ['attack.credential_access', 'attack.t1528', 'attack.persistence', 'attack.impact']);

const item = (d: Detection): DetectionItem => ({ detection: d, event: { log_id: d.log_id, data: { tenant_name: 'acme', user_agent: 'curl/8.0' } } });
const sentFindings = (): AwsSecurityFinding[] => hubMock.commandCalls(BatchImportFindingsCommand).flatMap((c) => c.args[0].input.Findings ?? []);

beforeEach(() => {
  hubMock.reset();
  snsMock.reset();
});

describe('the finding', () => {
  test('has every required ASFF field, the custom product ARN, severity from the level, tenant and rule id', () => {
    const finding = buildFinding(detection(), { productArn: PRODUCT_ARN, event: item(detection()).event, auth0Domain: 'acme.eu.auth0.com', now: NOW });
    expect(finding).toMatchObject({
      SchemaVersion: '2018-10-08',
      ProductArn: PRODUCT_ARN,
      AwsAccountId: ACCOUNT,
      GeneratorId: 'auth0-sigma/rule/aaaaaaaa-1111-4222-8333-444444444444',
      Severity: { Label: 'HIGH' },
      CreatedAt: '2026-12-02T04:59:58.000Z',
      UpdatedAt: NOW.toISOString(),
      Title: '[acme] Token copied from the API Explorer',
      Remediation: { Recommendation: { Text: 'Restrict Dashboard admins. Rotate the token.' } },
      ProductFields: { 'auth0-sigma/RuleId': 'aaaaaaaa-1111-4222-8333-444444444444', 'auth0-sigma/Tenant': 'acme', 'auth0-sigma/Level': 'high' },
      Network: { Direction: 'IN', SourceIpV4: '203.0.113.7' },
      SourceUrl: expect.stringMatching(/^https:\/\/manage\.auth0\.com\/dashboard\/eu\/acme\/logs\//),
      RecordState: 'ACTIVE',
    });
    expect(finding.Id).toMatch(/^auth0-sigma\/acme\/R#aaaaaaaa-1111-4222-8333-444444444444#L#/);
    expect(finding.Description).toContain('Someone copied a Management API token.');
    // The user as the sanitiser shows it (domains in attacker text may be defanged).
    expect(finding.Description).toMatch(/User: admin@acme\S*example \(auth0\|abc\)\./);
    expect(finding.Resources).toEqual([expect.objectContaining({ Type: 'Other', Id: 'auth0:acme:user/auth0|abc', Region: 'eu-west-1', Partition: 'aws' })]);
    for (const field of ['Id', 'GeneratorId', 'AwsAccountId', 'CreatedAt', 'UpdatedAt', 'Title', 'Description', 'Types', 'Resources', 'Severity'] as const) {
      expect(finding[field]).toBeDefined();
    }
  });

  test('MITRE tactics map to TTPs categories with the techniques as classifiers; unmapped tactics are left out', () => {
    expect(findingTypes(['attack.credential_access', 'attack.t1528', 'attack.persistence', 'attack.impact'])).toEqual([
      'TTPs/Credential Access', 'TTPs/Credential Access/T1528', 'TTPs/Persistence', 'TTPs/Persistence/T1528',
    ]);
    expect(findingTypes(['attack.exfiltration'])).toEqual(['TTPs/Data Exfiltration']);
    expect(findingTypes(['attack.t1078', 'cve.2024-1'])).toEqual(['Unusual Behaviors/User']);
    expect(findingTypes([])).toEqual(['Unusual Behaviors/User']);
  });

  test('the same detection gives the same Id at another time; another log id gives another', () => {
    const a = buildFinding(detection(), { productArn: PRODUCT_ARN, now: NOW });
    const b = buildFinding(detection(), { productArn: PRODUCT_ARN, now: new Date(NOW.getTime() + 60_000) });
    const c = buildFinding(detection({ log_id: 'other' }), { productArn: PRODUCT_ARN, now: NOW });
    expect(b.Id).toBe(a.Id);
    expect(b.CreatedAt).toBe(a.CreatedAt);
    expect(c.Id).not.toBe(a.Id);
  });

  test('attacker-sized values stay within every field limit', () => {
    const huge = 'x'.repeat(100_000);
    const d = detection({ user_name: `${huge}\u202e`, rule: { ...detection().rule, id: huge, title: huge, tags: Array.from({ length: 500 }, (_, i) => `attack.t${1000 + i}`).concat('attack.discovery') } }, {});
    d.rule.meta = { explanation: huge, prevention: Array.from({ length: 100 }, () => huge) };
    const finding = buildFinding(d, { productArn: PRODUCT_ARN, event: { data: { tenant_name: huge } }, now: NOW });
    expect(finding.Id!.length).toBeLessThanOrEqual(FINDING_LIMITS.id);
    expect(finding.GeneratorId!.length).toBeLessThanOrEqual(FINDING_LIMITS.id);
    expect(finding.Title!.length).toBeLessThanOrEqual(FINDING_LIMITS.title);
    expect(finding.Description!.length).toBeLessThanOrEqual(FINDING_LIMITS.description);
    expect(finding.Remediation!.Recommendation!.Text!.length).toBeLessThanOrEqual(FINDING_LIMITS.remediationText);
    expect(finding.Types!.length).toBeLessThanOrEqual(FINDING_LIMITS.types);
    expect(finding.Description).not.toContain('\u202e');
    for (const [key, value] of Object.entries(finding.ProductFields!)) {
      expect(key.length).toBeLessThanOrEqual(FINDING_LIMITS.productFieldKey);
      expect(value.length).toBeLessThanOrEqual(FINDING_LIMITS.productFieldValue);
    }
  });

  test('a product ARN of another account or not of a custom integration is refused', () => {
    expect(parseProductArn(PRODUCT_ARN)).toEqual({ partition: 'aws', region: 'eu-west-1', account: ACCOUNT });
    expect(parseProductArn(`arn:aws:securityhub:eu-west-1:${ACCOUNT}:product/999999999999/default`)).toBeNull();
    expect(parseProductArn('arn:aws:securityhub:eu-west-1::product/aws/guardduty')).toBeNull();
    expect(() => buildFinding(detection(), { productArn: 'arn:aws:sns:eu-west-1:1:x', now: NOW })).toThrow(/product ARN/);
  });
});

describe('the sink', () => {
  test('one BatchImportFindings call per 100 findings; detections below the minimum level are not imported', async () => {
    hubMock.on(BatchImportFindingsCommand).callsFake((input: { Findings: unknown[] }) => ({ FailedCount: 0, SuccessCount: input.Findings.length, FailedFindings: [] }));
    const sink = new SecurityHubNotifier(new SecurityHubClient({}), { productArn: PRODUCT_ARN, minLevel: 'medium', backoff: noWait, clock: () => NOW.getTime() });
    const items = Array.from({ length: 230 }, (_, i) => item(detection({ log_id: `log${i}`, rule: { ...detection().rule, level: i % 10 === 0 ? 'low' : 'high' } })));
    await sink.deliver(items);
    const calls = hubMock.commandCalls(BatchImportFindingsCommand);
    expect(calls.map((c) => c.args[0].input.Findings!.length)).toEqual([100, 100, 7]);
    expect(sentFindings().every((f) => f.Severity?.Label === 'HIGH')).toBe(true);
  });

  test('FailedCount > 0: only the failed findings are retried, and what still fails is thrown with its index', async () => {
    const attempts = new Map<string, number>();
    hubMock.on(BatchImportFindingsCommand).callsFake((input: { Findings: AwsSecurityFinding[] }) => {
      const failed = input.Findings.filter((f) => {
        const n = (attempts.get(f.Id!) ?? 0) + 1;
        attempts.set(f.Id!, n);
        // log1 fails once then succeeds; log2 always fails.
        return (f.Id!.includes('log1') && n === 1) || f.Id!.includes('log2');
      });
      return {
        FailedCount: failed.length,
        SuccessCount: input.Findings.length - failed.length,
        FailedFindings: failed.map((f) => ({ Id: f.Id!, ErrorCode: 'InvalidInput', ErrorMessage: 'nope' })),
      };
    });
    const sink = new SecurityHubNotifier(new SecurityHubClient({}), { productArn: PRODUCT_ARN, minLevel: 'low', backoff: { ...noWait, maxAttempts: 3 }, clock: () => NOW.getTime() });
    const items = ['log0', 'log1', 'log2'].map((id) => item(detection({ log_id: id })));
    const error = await sink.deliver(items).then(() => undefined, (err: unknown) => err);
    expect(error).toBeInstanceOf(DeliveryError);
    expect((error as DeliveryError).failures).toEqual([expect.objectContaining({ index: 2, logId: 'log2', error: 'InvalidInput: nope' })]);
    const callSizes = hubMock.commandCalls(BatchImportFindingsCommand).map((c) => c.args[0].input.Findings!.length);
    expect(callSizes).toEqual([3, 2, 1]);
  });

  test('a thrown call (Security Hub not enabled) fails every finding of the batch', async () => {
    hubMock.on(BatchImportFindingsCommand).rejects(Object.assign(new Error('Account is not subscribed to AWS Security Hub'), { name: 'InvalidAccessException' }));
    const sink = new SecurityHubNotifier(new SecurityHubClient({}), { productArn: PRODUCT_ARN, minLevel: 'low', backoff: noWait });
    const error = await sink.deliver([item(detection())]).then(() => undefined, (err: unknown) => err);
    expect((error as DeliveryError).failures).toEqual([expect.objectContaining({ index: 0, error: expect.stringContaining('InvalidAccessException') })]);
  });
});

describe('redelivery through the delivery ledger (dynalite)', () => {
  let local: LocalDynamo;
  beforeAll(async () => {
    local = await startDynalite();
  });
  afterAll(async () => {
    await local?.stop();
  });

  test('a partial failure is retried for the failed finding only; a duplicate event imports nothing again', async () => {
    const tableName = await local.createTable();
    const ledger = new DeliveryLedger({ client: local.client, tableName });
    let failLog1 = true;
    hubMock.on(BatchImportFindingsCommand).callsFake((input: { Findings: AwsSecurityFinding[] }) => {
      const failed = input.Findings.filter((f) => failLog1 && f.Id!.includes('log1'));
      return { FailedCount: failed.length, SuccessCount: input.Findings.length - failed.length, FailedFindings: failed.map((f) => ({ Id: f.Id!, ErrorCode: 'Throttled', ErrorMessage: 'slow down' })) };
    });
    const sink = new ExactlyOnceSink(new SecurityHubNotifier(new SecurityHubClient({}), { productArn: PRODUCT_ARN, minLevel: 'low', backoff: { ...noWait, maxAttempts: 1 } }), ledger);
    const items = ['log0', 'log1'].map((id) => item(detection({ log_id: id })));
    await expect(sink.deliver(items)).rejects.toBeInstanceOf(DeliveryError);
    failLog1 = false;
    await sink.deliver(items); // Lambda's retry
    await sink.deliver(items); // a duplicate of the event, later
    const ids = sentFindings().map((f) => f.Id!);
    expect(ids.filter((id) => id.includes('log0'))).toHaveLength(1);
    expect(ids.filter((id) => id.includes('log1'))).toHaveLength(2); // the failed attempt, then the retry
    // log0 on the retry, both on the duplicate.
    expect(sink.stats).toMatchObject({ sent: 2, duplicates: 3 });
  });

  test('through the handler: the seed event is imported once even when EventBridge delivers it twice', async () => {
    const tableName = await local.createTable();
    hubMock.on(BatchImportFindingsCommand).callsFake((input: { Findings: unknown[] }) => ({ FailedCount: 0, SuccessCount: input.Findings.length }));
    snsMock.on(PublishCommand).resolves({ MessageId: 'm' });
    const env = {
      [ENV_TOPIC_ARN]: 'arn:aws:sns:eu-west-1:123456789012:t',
      [ENV_SECURITY_HUB_PRODUCT_ARN]: PRODUCT_ARN,
      [ENV_SECURITY_HUB_MIN_LEVEL]: 'low',
      [ENV_AUTH0_DOMAIN]: 'acme.eu.auth0.com',
      [ENV_CORRELATION_TABLE]: tableName,
    };
    const runtime = createRuntime(env, {
      model: seedModel(), telemetry: new RecordingTelemetry(), dynamoDbClient: local.client,
      snsClient: new SNSClient({}), securityHubClient: new SecurityHubClient({}),
    });
    expect(runtime.sinks?.map((s) => s.name)).toEqual(['sns', 'securityhub']);
    await runInvocation(runtime, seedEvent());
    await runInvocation(runtime, seedEvent());
    const findings = sentFindings();
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      GeneratorId: `auth0-sigma/rule/${SEED_RULE_ID}`,
      ProductFields: expect.objectContaining({ 'auth0-sigma/Tenant': 'acme', 'auth0-sigma/RuleId': SEED_RULE_ID }),
      Types: expect.arrayContaining([expect.stringMatching(/^(TTPs|Unusual Behaviors)\//)]),
    });
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(1);
  });
});

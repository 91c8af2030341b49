// The construct's reliability wiring (lambda/reliability, docs/reliability.md): the ledger's lease and the storm
// budgets in both functions' environment, the `channels` condition on the email and SMS subscriptions exactly
// when storm control is on, the sweep it needs, bad budgets refused at synth, cdk-nag clean.
// Synthesized without bundling ('aws:cdk:bundling-stacks': []): this is about wiring only.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Aspects, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConfigError, readConfig } from '../../lib/config';
import { SigmaDetector, type SigmaDetectorProps } from '../../lib/sigma-detector';

/** Declares this file's tests: test/cdk/construct-synths.test.ts runs them in a describe block of their own. */
export function reliabilityConstructCases(): void {
  let work: string;
  beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'sigma-reliability-construct-'));
  });
  afterAll(() => {
    fs.rmSync(work, { recursive: true, force: true });
  });

  function synth(props: Partial<SigmaDetectorProps>): { template: Template; stack: Stack; detector: SigmaDetector } {
    const rulesFile = path.join(fs.mkdtempSync(path.join(work, 'r-')), 'rules.json');
    fs.writeFileSync(rulesFile, JSON.stringify({ version: 1, rules: [], options: { regexValueCap: 4096 } }));
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Reliability');
    const detector = new SigmaDetector(stack, 'Detector', {
      sourceBus: events.EventBus.fromEventBusName(stack, 'Bus', 'auth0'),
      rulesFile,
      alertEmails: ['sec@example.com'],
      alertPhoneNumbers: ['+15555550100'],
      ...props,
    });
    Aspects.of(stack).add(new AwsSolutionsChecks({ verbose: true }));
    return { template: Template.fromStack(stack), stack, detector };
  }

  function subscriptionPolicies(template: Template): Record<string, unknown> {
    const subs = Object.values(template.findResources('AWS::SNS::Subscription')).map((r) => r.Properties as { Protocol: string; FilterPolicy?: unknown });
    return Object.fromEntries(subs.map((s) => [s.Protocol, s.FilterPolicy]));
  }

  test('storm control on: lease and budgets in the detector and the sweep, channel conditions on the subscriptions', () => {
    const { template, stack, detector } = synth({ stormControl: true, timeout: Duration.seconds(20), notificationBudgets: '{"budgets": {"high": {"sms": 2}}}' });
    expect(detector.state?.sweepFn).toBeDefined();
    const functions = Object.values(template.findResources('AWS::Lambda::Function')).map((f) => f.Properties.Environment.Variables as Record<string, unknown>);
    expect(functions).toHaveLength(2);
    for (const vars of functions) {
      expect(vars.SIGMA_LEDGER_LEASE_MS).toBe(String(2 * 20_000 + 10_000));
      expect(vars.SIGMA_NOTIFICATION_BUDGETS).toBe('{"budgets": {"high": {"sms": 2}}}');
      expect(vars.SIGMA_CORRELATION_TABLE).toBeDefined();
    }
    expect(subscriptionPolicies(template)).toEqual({
      email: { level: ['low', 'medium', 'high', 'critical'], channels: ['email'] },
      sms: { level: ['high', 'critical'], channels: ['sms'] },
    });
    const nag = Annotations.fromStack(stack);
    expect(nag.findError('*', Match.stringLikeRegexp('AwsSolutions-.*'))).toEqual([]);
    expect(nag.findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*'))).toEqual([]);
  });

  test('table without storm control: exactly-once only — lease set, no budgets, subscriptions filter on level alone', () => {
    const { template, detector } = synth({ stateTable: true });
    expect(detector.state?.sweepFn).toBeUndefined();
    const vars = Object.values(template.findResources('AWS::Lambda::Function'))[0].Properties.Environment.Variables as Record<string, unknown>;
    expect(vars.SIGMA_LEDGER_LEASE_MS).toBe(String(2 * 30_000 + 10_000));
    expect(vars.SIGMA_NOTIFICATION_BUDGETS).toBeUndefined();
    expect(subscriptionPolicies(template)).toEqual({ email: { level: ['low', 'medium', 'high', 'critical'] }, sms: { level: ['high', 'critical'] } });
  });

  test('a bad budget override fails synth with a message naming the key', () => {
    expect(() => synth({ stormControl: true, notificationBudgets: '{"budgets": {"severe": {"sms": 1}}}' })).toThrow(/notificationBudgets: budgets\.severe: unknown level/);
    expect(() => synth({ notificationBudgets: '{"windowMinutes": 0}' })).toThrow(/notificationBudgets: windowMinutes must be an integer/);
  });

  describe('context keys', () => {
    const SOURCE = 'aws.partner/auth0.com/acme-1234/auth0.logs';
    const read = (context: Record<string, unknown>) => readConfig((key) => context[key]);

    test('stormControl and notificationBudgets: unset by default; an object (cdk.json) or JSON text (-c)', () => {
      const base = { auth0EventSourceName: SOURCE, alertEmails: 'sec@example.com' };
      expect(read(base)).toMatchObject({ stormControl: undefined, notificationBudgets: undefined });
      expect(read({ ...base, stormControl: 'true', notificationBudgets: { budgets: { high: { sms: 2 } } } })).toMatchObject({
        stormControl: true, notificationBudgets: '{"budgets":{"high":{"sms":2}}}',
      });
      expect(read({ ...base, notificationBudgets: '{"windowMinutes": 15}' }).notificationBudgets).toBe('{"windowMinutes": 15}');
    });

    test('a bad budget is a configuration error naming the key', () => {
      let error: unknown;
      try {
        read({ auth0EventSourceName: SOURCE, alertEmails: 'sec@example.com', notificationBudgets: '{"budgets": {"high": {"pager": 1}}}' });
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems).toEqual([expect.stringMatching(/^'notificationBudgets': budgets\.high\.pager: unknown channel/)]);
    });
  });
}

// The stack with every channel of docs/channels.md turned on (dashboard by name, Security Hub, Slack and Teams,
// storm control so the sweep and the state table exist) and two Auth0 tenants, synthesized once with cdk-nag and
// shared by every assertion in this file (the app: channels-app.ts). The single-tenant stack is stack.cases.ts's.
// Without bundling: no assertion here reads the bundle. aws-cdk-lib's built-in CloudFormation validation of this
// same app is cdk-validation.long.test.ts (npm run test:long).

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CfnElement } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import type { BuiltApp } from '../../lib/app';
import { DEV_SOURCE, SOURCE, synthChannelsApp } from './channels-app';

/** Declares this file's tests: test/cdk/construct-synths.test.ts runs them in a describe block of their own. */
export function channelsStackCases(): void {
  let work: string;
  let built: BuiltApp;
  let template: Template;

  beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'sigma-channels-test-'));
    built = synthChannelsApp(work);
    template = Template.fromStack(built.stack);
  }, 300_000);

  afterAll(() => {
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  const detector = () => built.stack.detector;
  function logicalId(construct: { node: { defaultChild?: unknown } } & object): string {
    const cfn = ((construct as { node: { defaultChild?: unknown } }).node.defaultChild ?? construct) as CfnElement;
    return built.stack.getLogicalId(cfn);
  }
  function dashboardBody(): string {
    const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
    expect(dashboards).toHaveLength(1);
    return JSON.stringify(dashboards[0].Properties.DashboardBody);
  }
  function functionEnvironment(id: string): Record<string, unknown> {
    return template.toJSON().Resources[id].Properties.Environment.Variables;
  }
  const PRODUCT_ARN = {
    'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':securityhub:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':product/', { Ref: 'AWS::AccountId' }, '/default']],
  };

  describe('dashboard', () => {
    test('named as configured; its name and console URL are stack outputs', () => {
      template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'auth0-sigma-ops' });
      template.hasOutput('DashboardName', { Value: { Ref: logicalId(detector().dashboard!.dashboard) } });
      template.hasOutput('DashboardUrl', {
        Value: { 'Fn::Join': ['', Match.arrayWith(['#dashboards/dashboard/', { Ref: logicalId(detector().dashboard!.dashboard) }])] },
      });
    });

    test('every alarm of the stack is on it', () => {
      const body = dashboardBody();
      const alarms = Object.keys(template.findResources('AWS::CloudWatch::Alarm'));
      expect(alarms.length).toBeGreaterThanOrEqual(8);
      for (const alarm of alarms) expect(body).toContain(`{"Fn::GetAtt":["${alarm}","Arn"]}`);
    });

    test('detections per level and per rule, prefilter, evaluation, Lambda, queues, failed deliveries, storm control, correlation state', () => {
      const body = dashboardBody();
      for (const level of ['informational', 'low', 'medium', 'high', 'critical']) {
        expect(body).toContain(`\\"Auth0Sigma\\",\\"Detections\\",\\"Level\\",\\"${level}\\",\\"service\\",\\"auth0-sigma\\"`);
      }
      expect(body).toContain("SEARCH('{Auth0Sigma,RuleId,service} MetricName=\\\\\\\"Detections\\\\\\\"', 'Sum', 300)");
      expect(body).toContain("SEARCH('{Auth0Sigma,Sink,service} MetricName=\\\\\\\"PublishFailures\\\\\\\"', 'Sum', 300)");
      const ruleName = template.toJSON().Resources[logicalId(detector().rule)].Properties.Name as string;
      expect(ruleName).toMatch(/^[A-Za-z0-9-]{1,64}$/);
      expect(body).toContain(`\\"AWS/Events\\",\\"MatchedEvents\\",\\"EventBusName\\",\\"`);
      expect(body).toContain(`\\"RuleName\\",\\"${ruleName}\\"`);
      expect(body).toContain(`\\"AWS/Events\\",\\"Events\\",\\"EventSourceName\\",\\"${SOURCE}\\"`);
      for (const metric of ['EventsEvaluated', 'MalformedEvents', 'NotificationsSuppressed', 'CorrelationWindowsOpened', 'CorrelationStoreCalls']) {
        expect(body).toContain(`\\"Auth0Sigma\\",\\"${metric}\\",\\"service\\",\\"auth0-sigma\\"`);
      }
      for (const metric of ['Errors', 'Throttles', 'Duration', 'Invocations']) expect(body).toContain(`\\"AWS/Lambda\\",\\"${metric}\\"`);
      expect(body).toContain('\\"AWS/SQS\\",\\"ApproximateNumberOfMessagesVisible\\"');
      expect(body).toContain('\\"AWS/SNS\\",\\"NumberOfNotificationsFailed\\"');
      expect(body).toContain('\\"AWS/DynamoDB\\",\\"ConsumedWriteCapacityUnits\\"');
      // Both functions are graphed.
      expect(body).toContain(`{"Ref":"${logicalId(detector().fn)}"}`);
      expect(body).toContain(`{"Ref":"${logicalId(detector().state!.sweepFn!)}"}`);
    });

    test('correlation state size: the sweep\'s gauges (table items and bytes, windows waiting, per tenant) at their maximum', () => {
      const body = dashboardBody();
      for (const metric of ['StateTableItems', 'StateTableBytes', 'CorrelationWindowsOpen']) {
        expect(body).toMatch(new RegExp(`\\\\"Auth0Sigma\\\\",\\\\"${metric}\\\\",\\\\"service\\\\",\\\\"auth0-sigma\\\\",\\{[^}]*\\\\"stat\\\\":\\\\"Maximum\\\\"`));
      }
      expect(body).toMatch(/\\"StateTableBytes\\"[^\]]*\\"yAxis\\":\\"right\\"/);
      expect(body).toContain("SEARCH('{Auth0Sigma,Tenant,service} MetricName=\\\\\\\"CorrelationWindowsOpen\\\\\\\"', 'Maximum', 300)");
    });

    test('only the sweep may DescribeTable, on the state table only', () => {
      const tableArn = { 'Fn::GetAtt': [logicalId(detector().state!.table), 'Arn'] };
      const policies = template.findResources('AWS::IAM::Policy');
      const describing = Object.values(policies).flatMap((p) => (p.Properties.PolicyDocument.Statement as { Action: unknown; Resource: unknown; Sid?: string }[])
        .filter((s) => JSON.stringify(s.Action).includes('dynamodb:DescribeTable'))
        .map((s) => ({ s, roles: p.Properties.Roles as unknown[] })));
      expect(describing).toHaveLength(1);
      expect(describing[0].s).toMatchObject({ Sid: 'DescribeStateTable', Effect: 'Allow', Action: 'dynamodb:DescribeTable', Resource: tableArn });
      expect(describing[0].roles).toEqual([{ Ref: logicalId(detector().state!.sweepRole!) }]);
    });
  });

  describe('several tenants', () => {
    test('one partner event bus per tenant, each with its own bus rule to the one function', () => {
      template.resourceCountIs('AWS::Lambda::Function', 2); // the detector and the sweep
      const buses = template.findResources('AWS::Events::EventBus');
      expect(Object.values(buses).map((b) => b.Properties.EventSourceName).sort()).toEqual([SOURCE, DEV_SOURCE].sort());
      const fnArn = { 'Fn::GetAtt': [logicalId(detector().fn), 'Arn'] };
      for (const busId of Object.keys(buses)) {
        template.hasResourceProperties('AWS::Events::Rule', { EventBusName: { Ref: busId }, Targets: [Match.objectLike({ Arn: fnArn })] });
      }
      expect(detector().sources.map((s) => s.label)).toEqual(['prod', 'acme-dev']);
    });

    test('each tenant\'s rule set in the bundle: its own placeholder values and minimum level', () => {
      const bundle = JSON.parse(fs.readFileSync(built.rulesFile, 'utf8')) as { rules: unknown[]; tenants: { name: string; eventSourceName: string; auth0Domain?: string; model: { rules: unknown[] } }[] };
      expect(bundle.tenants.map((t) => [t.name, t.eventSourceName, t.auth0Domain])).toEqual([['prod', SOURCE, 'acme.eu.auth0.com'], ['acme-dev', DEV_SOURCE, undefined]]);
      expect(JSON.stringify(bundle.tenants[0].model)).toContain('AbCdEf0123456789');
      expect(bundle.tenants[1].model.rules).toEqual([]); // the seed rule is medium, under dev's 'high'
      expect(bundle.rules).toEqual(bundle.tenants[0].model.rules);
    });

    test('the dashboard shows what each tenant\'s source received and forwarded', () => {
      const body = dashboardBody();
      for (const source of [SOURCE, DEV_SOURCE]) expect(body).toContain(`\\"EventSourceName\\",\\"${source}\\"`);
      expect(body).toContain('prod: forwarded by the prefilter');
      expect(body).toContain('acme-dev: forwarded by the prefilter');
    });
  });

  describe('Security Hub', () => {
    test('both functions may BatchImportFindings on the custom-integration product ARN, and nothing else of Security Hub', () => {
      const policies = Object.values(template.findResources('AWS::IAM::Policy'));
      const statements = policies.flatMap((p) => p.Properties.PolicyDocument.Statement as { Action: unknown; Resource: unknown; Sid?: string }[]);
      const hub = statements.filter((s) => JSON.stringify(s.Action).includes('securityhub'));
      expect(hub).toHaveLength(2);
      for (const statement of hub) expect(statement).toMatchObject({ Action: 'securityhub:BatchImportFindings', Effect: 'Allow', Resource: PRODUCT_ARN });
    });

    test('the functions are told the product ARN and the minimum level', () => {
      for (const fn of [detector().fn, detector().state!.sweepFn!]) {
        expect(functionEnvironment(logicalId(fn))).toMatchObject({ SIGMA_SECURITY_HUB_PRODUCT_ARN: PRODUCT_ARN, SIGMA_SECURITY_HUB_MIN_LEVEL: 'medium' });
      }
    });
  });

  describe('chat', () => {
    test('a dedicated chat topic encrypted with the detector key; both functions may publish to it', () => {
      const chatTopic = logicalId(detector().chat!.topic);
      template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [logicalId(detector().key), 'Arn'] }, DisplayName: 'Auth0 Sigma detections for chat' });
      for (const fn of [detector().fn, detector().state!.sweepFn!]) {
        expect(functionEnvironment(logicalId(fn))).toMatchObject({ SIGMA_CHAT_TOPIC_ARN: { Ref: chatTopic }, SIGMA_CHAT_MIN_LEVEL: 'high' });
      }
      const statements = Object.values(template.findResources('AWS::IAM::Policy'))
        .flatMap((p) => p.Properties.PolicyDocument.Statement as { Sid?: string; Action: unknown; Resource: unknown }[])
        .filter((s) => s.Sid === 'PublishChatNotifications');
      expect(statements).toHaveLength(2);
      for (const statement of statements) expect(statement).toMatchObject({ Action: 'sns:Publish', Resource: { Ref: chatTopic } });
      // Chatbot subscribes itself: no subscription of ours on the chat topic (email/SMS keep theirs).
      for (const sub of Object.values(template.findResources('AWS::SNS::Subscription'))) expect(sub.Properties.TopicArn).not.toEqual({ Ref: chatTopic });
    });

    test('Slack and Teams channel configurations on the chat topic, with a permissionless role and a deny-all guardrail', () => {
      const chat = detector().chat!;
      const role = logicalId(chat.role);
      const guardrail = { Ref: logicalId(chat.guardrail) };
      template.hasResourceProperties('AWS::Chatbot::SlackChannelConfiguration', {
        SlackWorkspaceId: 'T0123ABCD', SlackChannelId: 'C0123ABCD', SnsTopicArns: [{ Ref: logicalId(chat.topic) }],
        IamRoleArn: { 'Fn::GetAtt': [role, 'Arn'] }, GuardrailPolicies: [guardrail], LoggingLevel: 'ERROR', UserRoleRequired: false,
      });
      template.hasResourceProperties('AWS::Chatbot::MicrosoftTeamsChannelConfiguration', {
        TeamId: '0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0', TeamsTenantId: 'aa11bb22-cc33-dd44-ee55-ff6677889900',
        TeamsChannelId: '19%3A0123456789abcdef0123456789abcdef%40thread.tacv2',
        SnsTopicArns: [{ Ref: logicalId(chat.topic) }], IamRoleArn: { 'Fn::GetAtt': [role, 'Arn'] }, GuardrailPolicies: [guardrail],
      });
      const roleResource = template.toJSON().Resources[role];
      expect(roleResource.Properties.ManagedPolicyArns).toBeUndefined();
      expect(roleResource.Properties.AssumeRolePolicyDocument.Statement[0].Principal).toEqual({ Service: 'chatbot.amazonaws.com' });
      expect(JSON.stringify(template.findResources('AWS::IAM::Policy'))).not.toContain(role);
      template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
        PolicyDocument: { Statement: [{ Effect: 'Deny', Action: '*', Resource: '*', Sid: 'NotificationsOnly' }] },
      });
    });

    test('failed chat deliveries raise an alarm; the chat topic ARN is an output', () => {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'NumberOfNotificationsFailed',
        Dimensions: [{ Name: 'TopicName', Value: { 'Fn::GetAtt': [logicalId(detector().chat!.topic), 'TopicName'] } }],
      });
      template.hasOutput('ChatTopicArn', { Value: { Ref: logicalId(detector().chat!.topic) } });
    });
  });

  test('cdk-nag AwsSolutions: no unsuppressed errors or warnings with every channel on', () => {
    const annotations = Annotations.fromStack(built.stack);
    const nag = Match.stringLikeRegexp('AwsSolutions-.*');
    expect(annotations.findError('*', nag)).toEqual([]);
    expect(annotations.findWarning('*', nag)).toEqual([]);
  });
}

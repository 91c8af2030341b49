// The stack with correlation rules: the state table, the sweep, their IAM, alarms and outputs, the EventBridge
// prefilter, cdk-nag. One full synth (with bundling) is shared by the file; the variants synthesize without
// bundling ('aws:cdk:bundling-stacks': []), since they are about wiring only.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack, type CfnElement } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import type { IConstruct } from 'constructs';
import { buildApp, type BuiltApp } from '../../lib/app';
import { RulesError, loadDeployRules } from '../../lib/rules-artifact';
import { SigmaDetector } from '../../lib/sigma-detector';
import { buildEventPattern } from '../../lambda/sigma/prefilter';
import { arnOf, ref } from './cfn-refs';

/** Declares this file's tests: test/cdk/construct-synths.test.ts runs them in a describe block of their own. */
export function correlationStackCases(): void {
  const SOURCE = 'aws.partner/auth0.com/acme-1234/auth0.logs';
  const ROOT = path.join(__dirname, '..', '..');
  const CONTEXT = {
    auth0EventSourceName: SOURCE,
    alertEmails: 'sec@example.com',
    placeholders: '{"api_explorer_client_id":"AbCdEf0123456789"}',
    alarmEmails: 'ops@example.com',
  };

  let work: string;
  let built: BuiltApp;
  let template: Template;
  let assemblyDir: string;
  const logLines: string[] = [];

  /** A rules folder with the seed rule and, optionally, the shipped failed-logins correlation. */
  function rulesDir(name: string, withCorrelation: boolean): string {
    const dir = path.join(work, name);
    fs.mkdirSync(dir, { recursive: true });
    fs.copyFileSync(path.join(ROOT, 'rules', 'api_explorer_token_copy.yml'), path.join(dir, 'seed.yml'));
    if (withCorrelation) fs.copyFileSync(path.join(ROOT, 'rules', 'login', 'failed_logins_from_one_ip.yml'), path.join(dir, 'failed_logins.yml'));
    return dir;
  }

  beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'sigma-correlation-stack-'));
    const app = new App({ outdir: path.join(work, 'cdk.out'), context: { ...CONTEXT, rulesDir: rulesDir('rules', true) } });
    built = buildApp(app, { rulesBuildDir: path.join(work, 'build'), log: (line) => logLines.push(line) });
    assemblyDir = app.synth().directory;
    template = Template.fromStack(built.stack);
  }, 300_000);

  afterAll(() => {
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  function id(construct: IConstruct): string {
    const cfn = (construct.node.defaultChild ?? construct) as CfnElement;
    return built.stack.getLogicalId(cfn);
  }
  const detector = () => built.stack.detector;
  const state = () => {
    const s = built.stack.detector.state;
    if (!s) throw new Error('expected the state table and sweep');
    return s;
  };
  function policyStatements(roleId: string): Record<string, unknown>[] {
    const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([ref(roleId)]));
    expect(policies).toHaveLength(1);
    return policies[0].Properties.PolicyDocument.Statement as Record<string, unknown>[];
  }

  const region = { Ref: 'AWS::Region' };
  const viaService = (service: string) => ({ 'Fn::Join': ['', [`${service}.`, region, '.amazonaws.com']] });
  const defaultBusArn = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':events:', region, ':', { Ref: 'AWS::AccountId' }, ':event-bus/default']] };

  describe('state table', () => {
    test('pk/sk strings, on demand, TTL expiresAt, point-in-time recovery, the customer-managed key, no index', () => {
      const tables = template.findResources('AWS::DynamoDB::Table');
      expect(Object.keys(tables)).toEqual([id(state().table)]);
      const table = Object.values(tables)[0].Properties;
      expect(table.KeySchema).toEqual([{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }]);
      expect(table.AttributeDefinitions).toEqual([{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'S' }]);
      expect(table.BillingMode).toBe('PAY_PER_REQUEST');
      expect(table.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
      expect(table.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
      expect(table.SSESpecification).toEqual({ SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: arnOf(id(detector().key)) });
      expect(table.GlobalSecondaryIndexes).toBeUndefined();
      // One key for the whole deployment.
      expect(Object.keys(template.findResources('AWS::KMS::Key'))).toHaveLength(1);
    });

    test('the detector knows the table by name', () => {
      const fn = template.findResources('AWS::Lambda::Function')[id(detector().fn)].Properties;
      expect(fn.Environment.Variables.SIGMA_CORRELATION_TABLE).toEqual(ref(id(state().table)));
    });
  });

  describe('sweep', () => {
    test('a bundled Node.js function with its own role and log group, the delivery variables and the table', () => {
      const fnId = id(state().sweepFn!);
      const fn = template.findResources('AWS::Lambda::Function')[fnId].Properties;
      expect(fn).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        Timeout: 60,
        Role: arnOf(id(state().sweepRole!)),
        LoggingConfig: { LogGroup: ref(id(state().sweepLogGroup!)) },
      });
      expect(fn.Environment.Variables).toMatchObject({
        SIGMA_CORRELATION_TABLE: ref(id(state().table)),
        SIGMA_TOPIC_ARN: ref(id(detector().topic)),
        SIGMA_DETECTION_BUS: defaultBusArn,
        POWERTOOLS_SERVICE_NAME: 'auth0-sigma',
      });
      // The source map beside the bundle is not linked, so Node's --enable-source-maps would do nothing.
      expect(fn.Environment.Variables.NODE_OPTIONS).toBeUndefined();
      template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
      expect(Object.keys(template.findResources('AWS::Logs::LogGroup'))).toHaveLength(2);
    });

    test('its bundle is built like the detector\'s and carries the same rules.json', () => {
      const code = template.findResources('AWS::Lambda::Function')[id(state().sweepFn!)].Properties.Code as { S3Key: string };
      const assetDir = path.join(assemblyDir, `asset.${code.S3Key.replace(/\.zip$/, '')}`);
      expect(fs.readdirSync(assetDir).sort()).toEqual(['aws-sdk', 'index.js', 'index.js.map', 'rules.json']);
      expect(JSON.parse(fs.readFileSync(path.join(assetDir, 'rules.json'), 'utf8'))).toEqual(built.rules.model);
      const js = fs.readFileSync(path.join(assetDir, 'index.js'), 'utf8');
      // The DynamoDB client is built beside the bundle and loaded on first use.
      expect(fs.readFileSync(path.join(assetDir, 'aws-sdk', 'dynamodb.js'), 'utf8')).toContain('DynamoDBClient');
      // Like the detector's: the map is beside the bundle, not linked (never loaded at a cold start).
      expect(js).not.toContain('sourceMappingURL');
    });

    test('runs every minute, without retries (the next run resumes), invoked only by its schedule', () => {
      const fnId = id(state().sweepFn!);
      template.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: 'rate(1 minute)',
        State: 'ENABLED',
        Targets: [Match.objectLike({ Arn: arnOf(fnId), RetryPolicy: { MaximumRetryAttempts: 0 } })],
      });
      template.hasResourceProperties('AWS::Lambda::Permission', {
        FunctionName: arnOf(fnId), Principal: 'events.amazonaws.com', SourceArn: arnOf(id(state().sweepSchedule!)),
      });
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { FunctionName: ref(fnId), MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 });
    });

    test('alarms on its errors and on a run close to its timeout, to the alarm topic', () => {
      const fnId = id(state().sweepFn!);
      const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties)
        .filter((a) => JSON.stringify(a.Dimensions) === JSON.stringify([{ Name: 'FunctionName', Value: ref(fnId) }]));
      const byMetric = Object.fromEntries(alarms.map((a) => [a.MetricName, a]));
      expect(Object.keys(byMetric).sort()).toEqual(['Duration', 'Errors']);
      expect(byMetric.Errors).toMatchObject({ Statistic: 'Sum', Period: 300, Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', AlarmActions: [ref(id(detector().alarmTopic))] });
      expect(byMetric.Duration).toMatchObject({ Statistic: 'Maximum', Threshold: 48000, AlarmActions: [ref(id(detector().alarmTopic))] });
      // The detector's five alarms are still there.
      expect(Object.keys(template.findResources('AWS::CloudWatch::Alarm'))).toHaveLength(7);
    });
  });

  describe('IAM: least privilege', () => {
    const tableStatements = () => [
      { Sid: 'UseStateTable', Effect: 'Allow', Action: ['dynamodb:UpdateItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:DeleteItem'], Resource: arnOf(id(state().table)) },
      {
        Sid: 'UseOwnKeyThroughDynamoDb', Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: arnOf(id(detector().key)),
        Condition: { StringEquals: { 'kms:ViaService': viaService('dynamodb') } },
      },
    ];

    test('the detector may use the table (item operations only) and the key only through DynamoDB, SNS and SQS', () => {
      const statements = policyStatements(id(detector().role));
      expect(statements.map((s) => s.Sid)).toEqual([
        'WriteOwnLogs', 'PublishDetections', 'SendFailedInvocations', 'UseOwnKeyThroughSnsAndSqs', 'PutDetectionEvents', 'UseStateTable', 'UseOwnKeyThroughDynamoDb',
      ]);
      expect(statements.slice(5)).toEqual(tableStatements());
      expect(JSON.stringify(statements)).not.toContain('*');
    });

    test('the sweep role: own logs, the topic, the detection bus, the table, the key through SNS and DynamoDB; nothing else', () => {
      const roleId = id(state().sweepRole!);
      const role = template.findResources('AWS::IAM::Role')[roleId].Properties;
      expect(role.ManagedPolicyArns).toBeUndefined();
      expect(role.AssumeRolePolicyDocument.Statement).toEqual([{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } }]);
      const statements = policyStatements(roleId);
      expect(statements).toEqual([
        { Sid: 'WriteOwnLogs', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: arnOf(id(state().sweepLogGroup!)) },
        { Sid: 'PublishDetections', Effect: 'Allow', Action: 'sns:Publish', Resource: ref(id(detector().topic)) },
        {
          Sid: 'UseOwnKeyThroughSns', Effect: 'Allow', Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Resource: arnOf(id(detector().key)),
          Condition: { StringEquals: { 'kms:ViaService': viaService('sns') } },
        },
        {
          Sid: 'PutDetectionEvents', Effect: 'Allow', Action: 'events:PutEvents', Resource: defaultBusArn,
          Condition: { StringEquals: { 'events:source': 'auth0-sigma', 'events:detail-type': 'Sigma detection' } },
        },
        ...tableStatements(),
        // The dashboard's state size (lambda/state/state-size.ts): the sweep only, this table only.
        { Sid: 'DescribeStateTable', Effect: 'Allow', Action: 'dynamodb:DescribeTable', Resource: arnOf(id(state().table)) },
      ]);
      expect(JSON.stringify(statements)).not.toContain('*');
      expect(Object.keys(template.findResources('AWS::IAM::Role'))).toHaveLength(2);
    });
  });

  test('outputs: the table and the sweep function', () => {
    const outputs = template.findOutputs('*');
    expect(outputs.StateTableName.Value).toEqual(ref(id(state().table)));
    expect(outputs.SweepFunctionName.Value).toEqual(ref(id(state().sweepFn!)));
  });

  describe('EventBridge prefilter', () => {
    test('on by default: the bus rule\'s pattern is buildEventPattern of the same validated model', () => {
      const expected = buildEventPattern(built.rules.model);
      expect(built.prefilter).toEqual(expected);
      const ruleProps = template.findResources('AWS::Events::Rule')[id(detector().rule)].Properties;
      expect(ruleProps.EventPattern).toEqual(expected.pattern);
      // It is narrower than "every Auth0 log" for these rules (the seed rule and the failed-login base rule).
      expect(expected.matchesEverything).toBe(false);
      expect(JSON.stringify(ruleProps.EventPattern)).toContain('seccft');
      expect(JSON.stringify(ruleProps.EventPattern)).toContain('fepft');
      // One summary line, not one line per widening.
      expect(logLines.filter((l) => /^auth0-sigma: (prefilter|PREFILTER)/.test(l))).toEqual([`auth0-sigma: ${expected.summary}`]);
      expect(expected.summary).toMatch(/^prefilter: the bus rule passes only events some rule can match \(pattern \d+ characters/);
    });

    test('-c prefilter=false: every Auth0 log event; a value that is not a boolean is a config error', () => {
      const lines: string[] = [];
      const app = new App({ context: { ...CONTEXT, rulesDir: rulesDir('rules-off', true), prefilter: 'false', 'aws:cdk:bundling-stacks': [] } });
      const off = buildApp(app, { rulesBuildDir: path.join(work, 'build'), log: (line) => lines.push(line) });
      expect(off.prefilter).toBeUndefined();
      Template.fromStack(off.stack).hasResourceProperties('AWS::Events::Rule', {
        EventPattern: { source: [{ prefix: 'aws.partner/auth0.com' }], 'detail-type': ['Auth0 log'] },
      });
      expect(lines).toContain('auth0-sigma: prefilter off (-c prefilter=false): every Auth0 log event invokes the detector');
      const bad = new App({ context: { ...CONTEXT, rulesDir: rulesDir('rules-bad', true), prefilter: 'maybe', 'aws:cdk:bundling-stacks': [] } });
      expect(() => buildApp(bad, { log: () => undefined })).toThrow(/'prefilter': 'maybe' is not a boolean: write true or false/);
    });
  });

  test('cdk-nag AwsSolutions: no unsuppressed errors or warnings with the table and the sweep', () => {
    const annotations = Annotations.fromStack(built.stack);
    const nag = Match.stringLikeRegexp('AwsSolutions-.*');
    expect(annotations.findError('*', nag)).toEqual([]);
    expect(annotations.findWarning('*', nag)).toEqual([]);
    const sweepMetadata = template.findResources('AWS::Lambda::Function')[id(state().sweepFn!)].Metadata;
    expect(JSON.stringify(sweepMetadata.cdk_nag)).toContain('AwsSolutions-L1');
  });

  describe('without correlation rules', () => {
    function constructTemplate(stateTable?: boolean): { template: Template; detector: SigmaDetector } {
      const dir = fs.mkdtempSync(path.join(work, 'construct-'));
      const rulesFile = path.join(dir, 'rules.json');
      fs.writeFileSync(rulesFile, JSON.stringify({ version: 1, rules: [], options: { regexValueCap: 4096 } }));
      const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
      const stack = new Stack(app, 'NoCorrelations');
      const d = new SigmaDetector(stack, 'Detector', { sourceBus: events.EventBus.fromEventBusName(stack, 'Bus', 'auth0'), rulesFile, stateTable });
      return { template: Template.fromStack(stack), detector: d };
    }

    test('no table, no sweep, no DynamoDB permission (nothing to pay for)', () => {
      const { template: t, detector: d } = constructTemplate();
      expect(d.state).toBeUndefined();
      t.resourceCountIs('AWS::DynamoDB::Table', 0);
      t.resourceCountIs('AWS::Lambda::Function', 1);
      expect(JSON.stringify(t.findResources('AWS::IAM::Policy'))).not.toContain('dynamodb');
      expect(JSON.stringify(t.toJSON())).not.toContain('SIGMA_CORRELATION_TABLE');
    });

    test('stateTable: true creates the table for the detector, still without a sweep', () => {
      const { template: t, detector: d } = constructTemplate(true);
      expect(d.state?.sweepFn).toBeUndefined();
      t.resourceCountIs('AWS::DynamoDB::Table', 1);
      t.resourceCountIs('AWS::Lambda::Function', 1);
      t.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ SIGMA_CORRELATION_TABLE: Match.anyValue() }) } });
      t.hasResourceProperties('AWS::IAM::Policy', { PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Sid: 'UseStateTable' })]) } });
    });
  });

  test('the synth refuses a correlation the engine would refuse at start (checkCorrelations), naming file and line', () => {
    const dir = path.join(work, 'rules-refused');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'many_agents.yml'), [
      'title: Token use', 'name: token_use', 'logsource: { product: auth0 }', 'detection:', '  sel: { data.type: sertft }', '  condition: sel', 'level: low',
      '---',
      'title: Refresh token used from too many user agents', 'level: high', 'correlation:', '  type: value_count', '  rules: [token_use]',
      '  group-by: [data.user_id]', '  timespan: 1d', '  condition: { gte: 5000, field: data.user_agent }', '',
    ].join('\n'));
    let error: unknown;
    try {
      loadDeployRules({ rulesDir: dir, placeholders: {}, minLevel: 'informational', root: work });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(RulesError);
    expect((error as RulesError).problems).toEqual([expect.stringMatching(/many_agents\.yml:\d+: .*distinct-value cap \(1000\)/)]);
  });
}

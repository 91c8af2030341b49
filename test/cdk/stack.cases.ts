// The full stack, synthesized once (with bundling and cdk-nag) and shared by every assertion in this file.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, type CfnElement } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { buildApp, type BuiltApp } from '../../lib/app';
import { arnOf, ref } from './cfn-refs';

/** Declares this file's tests: test/cdk/app-synths.test.ts runs them in a describe block of their own. */
export function stackCases(): void {
  const SOURCE = 'aws.partner/auth0.com/acme-1234/auth0.logs';
  const ROOT = path.join(__dirname, '..', '..');

  let work: string;
  let built: BuiltApp;
  let template: Template;
  let assemblyDir: string;

  beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'sigma-stack-test-'));
    // Only the seed rule: the test must not depend on which other rules the repository holds.
    fs.mkdirSync(path.join(work, 'rules'));
    fs.copyFileSync(path.join(ROOT, 'rules', 'api_explorer_token_copy.yml'), path.join(work, 'rules', 'seed.yml'));
    const app = new App({
      outdir: path.join(work, 'cdk.out'),
      context: {
        auth0EventSourceName: SOURCE,
        alertEmails: 'sec@example.com,soc@example.com',
        alertPhoneNumbers: '+14155550100',
        emailMinLevel: 'medium',
        placeholders: '{"api_explorer_client_id":"AbCdEf0123456789"}',
        rulesDir: path.join(work, 'rules'),
        auth0Domain: 'acme.eu.auth0.com',
        logRetentionDays: '30',
        alarmEmails: 'ops@example.com',
        reservedConcurrency: '5',
      },
    });
    built = buildApp(app, { rulesBuildDir: path.join(work, 'build'), log: () => undefined });
    assemblyDir = app.synth().directory;
    template = Template.fromStack(built.stack);
  }, 300_000);

  afterAll(() => {
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  function only(type: string): string {
    const ids = Object.keys(template.findResources(type));
    expect(ids).toHaveLength(1);
    return ids[0];
  }
  /** The logical id of one of the detector's resources, e.g. `id(d => d.topic)`. */
  function id(pick: (detector: BuiltApp['stack']['detector']) => IConstruct): string {
    const construct = pick(built.stack.detector);
    const cfn = (construct.node.defaultChild ?? construct) as CfnElement;
    return built.stack.getLogicalId(cfn);
  }

  describe('event source', () => {
    test('a partner event bus for the Auth0 event source', () => {
      template.hasResourceProperties('AWS::Events::EventBus', { EventSourceName: SOURCE, Name: SOURCE });
    });

    test('a rule for Auth0 log events, targeting the function with retries and a dead-letter queue', () => {
      template.hasResourceProperties('AWS::Events::Rule', {
        EventBusName: ref(only('AWS::Events::EventBus')),
        EventPattern: { source: [{ prefix: 'aws.partner/auth0.com' }], 'detail-type': ['Auth0 log'] },
        Targets: [
          {
            Arn: arnOf(only('AWS::Lambda::Function')),
            DeadLetterConfig: { Arn: arnOf(id((d) => d.deadLetterQueue)) },
            RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 14400 },
          },
        ],
      });
      template.hasResourceProperties('AWS::Lambda::Permission', {
        Action: 'lambda:InvokeFunction',
        Principal: 'events.amazonaws.com',
        SourceArn: arnOf(only('AWS::Events::Rule')),
      });
    });
  });

  describe('function', () => {
    test('Node.js 22 on arm64 with bounded timeout and memory, reserved concurrency and its own log group', () => {
      template.hasResourceProperties('AWS::Lambda::Function', {
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        Timeout: 30,
        MemorySize: 512,
        ReservedConcurrentExecutions: 5,
        Role: arnOf(only('AWS::IAM::Role')),
        LoggingConfig: { LogGroup: ref(only('AWS::Logs::LogGroup')) },
        Environment: {
          Variables: {
            SIGMA_TOPIC_ARN: ref(id((d) => d.topic)),
            SIGMA_DETECTION_BUS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':events:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':event-bus/default']] },
            SIGMA_AUTH0_DOMAIN: 'acme.eu.auth0.com',
            POWERTOOLS_SERVICE_NAME: 'auth0-sigma',
            POWERTOOLS_METRICS_NAMESPACE: 'Auth0Sigma',
          },
        },
      });
      template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    });

    test('asynchronous invocations: 2 retries, then the KMS-encrypted failed-invocation queue', () => {
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: ref(only('AWS::Lambda::Function')),
        MaximumRetryAttempts: 2,
        MaximumEventAgeInSeconds: 21600,
        DestinationConfig: { OnFailure: { Destination: arnOf(id((d) => d.failedInvocationQueue)) } },
      });
    });

    test('the bundle is minified, with a source map beside it that it does not link, and carries the validated rules as rules.json', () => {
      const code = Object.values(template.findResources('AWS::Lambda::Function'))[0].Properties.Code as { S3Key: string };
      const assetDir = path.join(assemblyDir, `asset.${code.S3Key.replace(/\.zip$/, '')}`);
      const files = fs.readdirSync(assetDir).sort();
      expect(files).toEqual(['aws-sdk', 'index.js', 'index.js.map', 'rules.json']);
      expect(JSON.parse(fs.readFileSync(path.join(assetDir, 'rules.json'), 'utf8'))).toEqual(built.rules.model);
      const js = fs.readFileSync(path.join(assetDir, 'index.js'), 'utf8');
      // Minified: the code is a handful of very long lines (the few short ones are multi-line string literals).
      expect(js.length / js.split('\n').length).toBeGreaterThan(2000);
      // Not linked: Node.js would load the 1.3 MB map at every cold start under --enable-source-maps.
      expect(js).not.toContain('sourceMappingURL');
      expect(JSON.parse(fs.readFileSync(path.join(assetDir, 'index.js.map'), 'utf8')).mappings.length).toBeGreaterThan(1000);
      // The SDK clients are bundled beside index.js (aws-sdk/, loaded on first use), not taken from the runtime
      // (only the optional CRT signer stays a lazy require); test/lambda/aws-clients.test.ts checks index.js has none.
      const sdkDir = path.join(assetDir, 'aws-sdk');
      expect(fs.readdirSync(sdkDir).filter((f) => f.endsWith('.js')).sort()).toEqual(['dynamodb.js', 'eventbridge.js', 'securityhub.js', 'sns.js']);
      const sns = fs.readFileSync(path.join(sdkDir, 'sns.js'), 'utf8');
      expect(sns).toContain('SNSClient');
      const external = [...sns.matchAll(/require\("(@aws-sdk\/[^"]+)"\)/g)].map((m) => m[1]);
      expect([...new Set(external)].filter((m) => m !== '@aws-sdk/signature-v4-crt')).toEqual([]);
    });
  });

  describe('notifications', () => {
    test('the topic is encrypted with the customer-managed key (rotation on) and requires TLS', () => {
      const key = only('AWS::KMS::Key');
      template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
      const topics = template.findResources('AWS::SNS::Topic');
      expect(Object.keys(topics)).toHaveLength(2);
      for (const topic of Object.values(topics)) expect(topic.Properties.KmsMasterKeyId).toEqual(arnOf(key));
      for (const topicId of Object.keys(topics)) {
        template.hasResourceProperties('AWS::SNS::TopicPolicy', {
          Topics: [ref(topicId)],
          PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Action: 'sns:Publish', Principal: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
        });
      }
    });

    test('one subscription per email and phone number, filtered on level at or above its minimum', () => {
      const topic = ref(id((d) => d.topic));
      const subscriptions = Object.values(template.findResources('AWS::SNS::Subscription')).map((s) => s.Properties);
      const onTopic = subscriptions.filter((s) => JSON.stringify(s.TopicArn) === JSON.stringify(topic));
      expect(onTopic.map((s) => [s.Protocol, s.Endpoint, s.FilterPolicy]).sort()).toEqual([
        ['email', 'sec@example.com', { level: ['medium', 'high', 'critical'] }],
        ['email', 'soc@example.com', { level: ['medium', 'high', 'critical'] }],
        ['sms', '+14155550100', { level: ['high', 'critical'] }],
      ]);
      for (const s of onTopic) expect(s.FilterPolicyScope ?? 'MessageAttributes').toBe('MessageAttributes');
    });

    test('both dead-letter queues are encrypted with the key and require TLS', () => {
      const key = arnOf(only('AWS::KMS::Key'));
      const queues = template.findResources('AWS::SQS::Queue');
      expect(Object.keys(queues)).toHaveLength(2);
      for (const [queueId, queue] of Object.entries(queues)) {
        expect(queue.Properties.KmsMasterKeyId).toEqual(key);
        template.hasResourceProperties('AWS::SQS::QueuePolicy', {
          Queues: [ref(queueId)],
          PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
        });
      }
    });

    test('CloudWatch and EventBridge may use the key only from this account', () => {
      template.hasResourceProperties('AWS::KMS::Key', {
        KeyPolicy: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Principal: { Service: ['cloudwatch.amazonaws.com', 'events.amazonaws.com'] },
              Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
              Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
            }),
          ]),
        },
      });
    });
  });

  describe('IAM: least privilege', () => {
    test('the role has no managed policies and exactly these statements', () => {
      const roleId = only('AWS::IAM::Role');
      const role = template.findResources('AWS::IAM::Role')[roleId].Properties;
      expect(role.ManagedPolicyArns).toBeUndefined();
      expect(role.Policies).toBeUndefined();
      expect(role.AssumeRolePolicyDocument.Statement).toEqual([
        { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } },
      ]);

      const policies = Object.values(template.findResources('AWS::IAM::Policy'));
      expect(policies).toHaveLength(1);
      expect(policies[0].Properties.Roles).toEqual([ref(roleId)]);
      const statements = policies[0].Properties.PolicyDocument.Statement as Record<string, unknown>[];
      const region = { Ref: 'AWS::Region' };
      expect(statements).toEqual([
        { Sid: 'WriteOwnLogs', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: arnOf(only('AWS::Logs::LogGroup')) },
        { Sid: 'PublishDetections', Effect: 'Allow', Action: 'sns:Publish', Resource: ref(id((d) => d.topic)) },
        { Sid: 'SendFailedInvocations', Effect: 'Allow', Action: 'sqs:SendMessage', Resource: arnOf(id((d) => d.failedInvocationQueue)) },
        {
          Sid: 'UseOwnKeyThroughSnsAndSqs',
          Effect: 'Allow',
          Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
          Resource: arnOf(only('AWS::KMS::Key')),
          Condition: { StringEquals: { 'kms:ViaService': [{ 'Fn::Join': ['', ['sns.', region, '.amazonaws.com']] }, { 'Fn::Join': ['', ['sqs.', region, '.amazonaws.com']] }] } },
        },
        {
          Sid: 'PutDetectionEvents',
          Effect: 'Allow',
          Action: 'events:PutEvents',
          Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':events:', region, ':', { Ref: 'AWS::AccountId' }, ':event-bus/default']] },
          Condition: { StringEquals: { 'events:source': 'auth0-sigma', 'events:detail-type': 'Sigma detection' } },
        },
      ]);
      expect(JSON.stringify(statements)).not.toContain('*');
    });
  });

  describe('alarms', () => {
    test('errors, throttles, both queues and failed notifications alarm to the alarm topic', () => {
      const alarmTopic = ref(id((d) => d.alarmTopic));
      const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);
      expect(alarms.map((a) => `${a.Namespace}/${a.MetricName}`).sort()).toEqual([
        'AWS/Lambda/Errors',
        'AWS/Lambda/Throttles',
        'AWS/SNS/NumberOfNotificationsFailed',
        'AWS/SQS/ApproximateNumberOfMessagesVisible',
        'AWS/SQS/ApproximateNumberOfMessagesVisible',
      ]);
      for (const alarm of alarms) {
        expect(alarm).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', TreatMissingData: 'notBreaching', AlarmActions: [alarmTopic] });
      }
      template.hasResourceProperties('AWS::SNS::Subscription', { TopicArn: alarmTopic, Protocol: 'email', Endpoint: 'ops@example.com', FilterPolicy: Match.absent() });
    });
  });

  test('outputs: topic ARN, function name, dead-letter queue URL, bus name', () => {
    const outputs = template.findOutputs('*');
    expect(outputs.TopicArn.Value).toEqual(ref(id((d) => d.topic)));
    expect(outputs.FunctionName.Value).toEqual(ref(only('AWS::Lambda::Function')));
    expect(outputs.DeadLetterQueueUrl.Value).toEqual(ref(id((d) => d.deadLetterQueue)));
    expect(outputs.FailedInvocationQueueUrl.Value).toEqual(ref(id((d) => d.failedInvocationQueue)));
    expect(outputs.EventBusName.Value).toEqual(ref(only('AWS::Events::EventBus')));
  });

  test('cdk-nag AwsSolutions: no unsuppressed errors or warnings', () => {
    const annotations = Annotations.fromStack(built.stack);
    const nag = Match.stringLikeRegexp('AwsSolutions-.*');
    expect(annotations.findError('*', nag)).toEqual([]);
    expect(annotations.findWarning('*', nag)).toEqual([]);
    // The checks really ran: the suppressions are recorded in the template metadata.
    const fnMetadata = Object.values(template.findResources('AWS::Lambda::Function'))[0].Metadata;
    expect(JSON.stringify(fnMetadata.cdk_nag)).toContain('AwsSolutions-L1');
  });

  test('the stack is environment-agnostic (synthesizes without account or region)', () => {
    expect(built.stack.environment).toBe('aws://unknown-account/unknown-region');
  });
}

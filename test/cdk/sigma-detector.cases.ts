// The construct's extension points, synthesized without bundling (bundling is covered by the stack tests).

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SigmaDetector } from '../../lib/sigma-detector';

/** Declares this file's tests: test/cdk/construct-synths.test.ts runs them in a describe block of their own. */
export function sigmaDetectorCases(): void {
  let template: Template;

  beforeAll(() => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sigma-construct-'));
    const rulesFile = path.join(dir, 'rules.json');
    fs.writeFileSync(rulesFile, JSON.stringify({ version: 1, rules: [], options: { regexValueCap: 4096 } }));
    // An empty bundling-stacks list skips asset bundling: this test is about the construct's wiring.
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'ConstructTest');
    const detector = new SigmaDetector(stack, 'Detector', {
      sourceBus: events.EventBus.fromEventBusName(stack, 'Bus', 'auth0'),
      rulesFile,
      eventPattern: {
        source: [{ prefix: 'aws.partner/auth0.com' }],
        'detail-type': ['Auth0 log'],
        detail: { data: { type: [{ 'equals-ignore-case': 'seccft' }, 'f'] } },
      },
      runtime: lambda.Runtime.NODEJS_24_X,
      memorySize: 1024,
      environment: { CORRELATION_TABLE: 'table-name' },
    });
    detector.addAlarm('SweepFailures', new cloudwatch.Metric({ namespace: 'Auth0Sigma', metricName: 'SweepFailures' }), 'sweep failed');
    template = Template.fromStack(stack);
  });

  test('a compiled prefilter replaces the bus rule\'s pattern as is', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: 'auth0',
      EventPattern: {
        source: [{ prefix: 'aws.partner/auth0.com' }],
        'detail-type': ['Auth0 log'],
        detail: { data: { type: [{ 'equals-ignore-case': 'seccft' }, 'f'] } },
      },
    });
  });

  test('runtime, memory and extra environment are props; the construct\'s own variables win', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      MemorySize: 1024,
      Environment: { Variables: { CORRELATION_TABLE: 'table-name', SIGMA_TOPIC_ARN: { Ref: 'DetectorTopicD7DF3643' } } },
    });
  });

  test('without emails, phones or a detection bus there are no subscriptions and no PutEvents permission', () => {
    template.resourceCountIs('AWS::SNS::Subscription', 0);
    expect(JSON.stringify(template.findResources('AWS::IAM::Policy'))).not.toContain('events:PutEvents');
  });

  test('addAlarm adds alarms that notify the alarm topic', () => {
    template.resourceCountIs('AWS::CloudWatch::Alarm', 6);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'SweepFailures',
      AlarmDescription: 'auth0-sigma: sweep failed',
      AlarmActions: [{ Ref: 'DetectorAlarmTopic8E96EBC3' }],
    });
  });
}

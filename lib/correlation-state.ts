// The state of correlation rules in the deployed app: one DynamoDB table (on demand, TTL, point-in-time recovery,
// encrypted with the detector's customer-managed key) and the sweep, a function invoked every minute that closes
// the at-close correlation windows whose end has passed and delivers their detections like the detector does.
// Both functions may only UpdateItem/Query/PutItem/DeleteItem on this table and use the key through DynamoDB; the
// sweep may also DescribeTable it (the dashboard's state size).
// Item layout and call counts: lambda/state/dynamodb-store.ts and docs/readme-parts/correlation.md.

import * as path from 'node:path';
import { Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { ENV_CORRELATION_TABLE } from '../lambda/notify/constants';
import { correlationTableSchema } from '../lambda/state/dynamodb-store';
import { detectionFunctionRole } from './function-role';
import { PROJECT_ROOT, RUNTIME_SUPPRESSION, bundledFunctionProps } from './lambda-bundling';
import type { SigmaDetector } from './sigma-detector';

const SWEEP_ENTRY = path.join(PROJECT_ROOT, 'lambda', 'sweep.ts');
/** The table's item operations the correlation store (and the reserved notification records) use: nothing else. */
export const STATE_TABLE_ACTIONS = ['dynamodb:UpdateItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:DeleteItem'];
/** The sweep alone may also read the table's size (ItemCount, TableSizeBytes) for the dashboard. */
export const STATE_TABLE_DESCRIBE_ACTION = 'dynamodb:DescribeTable';
/** Windows close on the minute: a sweep every minute delays an at-close detection by at most about a minute. */
export const SWEEP_RATE = Duration.minutes(1);
export const SWEEP_TIMEOUT = Duration.seconds(60);

export interface CorrelationStateProps {
  readonly detector: SigmaDetector;
  readonly rulesFile: string;
  /** Create the sweep function and its schedule (the rules have correlations). */
  readonly sweep: boolean;
  /** Delivery variables of the detector (topic, detection bus, dashboard domain, Powertools). */
  readonly sweepEnvironment: Record<string, string>;
  readonly detectionBus?: events.IEventBus;
  readonly runtime?: lambda.Runtime;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

export class CorrelationState extends Construct {
  readonly table: dynamodb.Table;
  readonly sweepFn?: nodejs.NodejsFunction;
  readonly sweepRole?: iam.Role;
  readonly sweepLogGroup?: logs.LogGroup;
  readonly sweepSchedule?: events.Rule;

  constructor(scope: Construct, id: string, props: CorrelationStateProps) {
    super(scope, id);
    const { detector } = props;
    const region = Stack.of(this).region;

    const S = dynamodb.AttributeType.STRING;
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: correlationTableSchema.partitionKey.name, type: S },
      sortKey: { name: correlationTableSchema.sortKey.name, type: S },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: correlationTableSchema.timeToLiveAttribute,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // The detector's key: one customer-managed key per deployment ($1 a month each), rotation on.
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: detector.key,
      removalPolicy: props.removalPolicy,
    });

    detector.fn.addEnvironment(ENV_CORRELATION_TABLE, this.table.tableName);
    this.grantState(detector.role, region);

    if (!props.sweep) return;

    this.sweepLogGroup = new logs.LogGroup(this, 'SweepLogs', { retention: props.logRetention, removalPolicy: props.removalPolicy });
    this.sweepRole = detectionFunctionRole(this, 'SweepRole', {
      description: 'auth0-sigma correlation sweep: own logs, state table, own topic, own key, detection bus',
      logGroup: this.sweepLogGroup,
      topic: detector.topic,
      statements: [
        new iam.PolicyStatement({
          sid: 'UseOwnKeyThroughSns',
          actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
          resources: [detector.key.keyArn],
          conditions: { StringEquals: { 'kms:ViaService': `sns.${region}.amazonaws.com` } },
        }),
      ],
      detectionBus: props.detectionBus,
    });
    this.grantState(this.sweepRole, region);
    // The dashboard's state size (lambda/state/state-size.ts): the table's item count and bytes; the sweep only.
    this.sweepRole.addToPolicy(new iam.PolicyStatement({
      sid: 'DescribeStateTable',
      actions: [STATE_TABLE_DESCRIBE_ACTION],
      resources: [this.table.tableArn],
    }));

    this.sweepFn = new nodejs.NodejsFunction(this, 'SweepFunction', {
      ...bundledFunctionProps(SWEEP_ENTRY, props.rulesFile, props.runtime),
      description: 'auth0-sigma: closes due correlation windows every minute and delivers their detections',
      memorySize: 512,
      timeout: SWEEP_TIMEOUT,
      role: this.sweepRole,
      logGroup: this.sweepLogGroup,
      // A failed or timed-out run is resumed by the next one a minute later (evaluated windows are deleted, the
      // rest wait): retrying the same run would only overlap with it.
      retryAttempts: 0,
      maxEventAge: Duration.minutes(1),
      environment: {
        ...props.sweepEnvironment,
        [ENV_CORRELATION_TABLE]: this.table.tableName,
      },
    });
    NagSuppressions.addResourceSuppressions(this.sweepFn, [RUNTIME_SUPPRESSION]);

    this.sweepSchedule = new events.Rule(this, 'SweepSchedule', {
      description: 'auth0-sigma: runs the correlation sweep every minute',
      schedule: events.Schedule.rate(SWEEP_RATE),
    });
    this.sweepSchedule.addTarget(new targets.LambdaFunction(this.sweepFn, { retryAttempts: 0 }));

    detector.addAlarm('SweepErrors', this.sweepFn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
      'The correlation sweep failed or timed out (at-close correlations are late; undelivered detections are in its log)');
    detector.addAlarm('SweepDurationNearTimeout', this.sweepFn.metricDuration({ period: Duration.minutes(5), statistic: 'Maximum' }),
      'A correlation sweep ran for more than 80% of its timeout (many windows closing at once; the next run resumes)',
      SWEEP_TIMEOUT.toMilliseconds() * 0.8);
  }

  /** The table's item operations and the key through DynamoDB, for one function's role. */
  private grantState(role: iam.Role, region: string): void {
    role.addToPolicy(new iam.PolicyStatement({
      sid: 'UseStateTable',
      actions: STATE_TABLE_ACTIONS,
      resources: [this.table.tableArn],
    }));
    role.addToPolicy(new iam.PolicyStatement({
      sid: 'UseOwnKeyThroughDynamoDb',
      actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
      resources: [this.table.encryptionKey!.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${region}.amazonaws.com` } },
    }));
  }
}

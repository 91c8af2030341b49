// The operations dashboard of a SigmaDetector (on by default): what the detector sees and finds, how healthy its
// functions and queues are, and the state of every alarm. Metric names and dimensions follow what the Lambda
// code emits (lambda/telemetry.ts: EMF in the Auth0Sigma namespace, every metric with the `service` dimension,
// dimensioned counts as records of their own) and what AWS publishes (AWS/Events, AWS/Lambda, AWS/SQS, AWS/SNS,
// AWS/DynamoDB).

import { Aws, Duration, Fn } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE, SERVICE_NAME } from '../lambda/notify/constants';
import { SIGMA_LEVELS } from '../lambda/sigma/types';

const PERIOD = Duration.minutes(5);
const FULL = 24;
const HALF = 12;
const THIRD = 8;
const HEIGHT = 6;

/** One bus rule that feeds the detector (one per Auth0 tenant). */
export interface DashboardSource {
  readonly label: string;
  /** The rule's name as its metrics are dimensioned (see SigmaDetector.addSourceRule). */
  readonly ruleName: string;
  /** The bus the rule is on; `default` is the account's default bus (its metrics carry no EventBusName). */
  readonly eventBusName: string;
  /** The Auth0 partner event source, for the count of events EventBridge received before the prefilter. */
  readonly eventSourceName?: string;
}

export interface DetectorDashboardProps {
  readonly sources: readonly DashboardSource[];
  readonly detectorFunction: lambda.IFunction;
  readonly sweepFunction?: lambda.IFunction;
  /** Events EventBridge could not deliver, and invocations that failed after Lambda's retries. */
  readonly deadLetterQueue: sqs.IQueue;
  readonly failedInvocationQueue: sqs.IQueue;
  /** Topics whose failed deliveries are shown (detection email/SMS, chat). */
  readonly topics: readonly { label: string; topic: sns.ITopic }[];
  readonly stateTable?: dynamodb.ITable;
  /**
   * The alarms to show. The array is read when the template is written, so alarms added after the dashboard
   * (by later constructs through `SigmaDetector.addAlarm`) appear too.
   */
  readonly alarms: readonly cloudwatch.IAlarm[];
  /** @default a name CloudFormation generates */
  readonly dashboardName?: string;
}

/**
 * A metric the detector or the sweep emits through Powertools (dimension `service` always, `extra` for
 * dimensioned ones): counts are summed, gauges (a level measured now, like the state size) graphed at their maximum.
 */
export function detectorMetric(metricName: string, extra: Record<string, string> = {}, label?: string, statistic: 'Sum' | 'Maximum' = 'Sum'): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: { service: SERVICE_NAME, ...extra },
    statistic,
    period: PERIOD,
    label,
  });
}

/** Every series of a dimensioned metric, whatever its values (rule ids, sinks, tenants): a CloudWatch search expression. */
export function detectorSearch(metricName: string, dimension: string, label: string, statistic: 'Sum' | 'Maximum' = 'Sum'): cloudwatch.MathExpression {
  return new cloudwatch.MathExpression({
    expression: `SEARCH('{${METRICS_NAMESPACE},${dimension},service} MetricName="${metricName}"', '${statistic}', ${PERIOD.toSeconds()})`,
    usingMetrics: {},
    label,
    period: PERIOD,
  });
}

export class DetectorDashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: DetectorDashboardProps) {
    super(scope, id);
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName,
      defaultInterval: Duration.hours(24),
    });
    const graph = (title: string, left: cloudwatch.IMetric[], width = HALF, options: Partial<cloudwatch.GraphWidgetProps> = {}) =>
      new cloudwatch.GraphWidget({ title, left, width, height: HEIGHT, ...options });

    this.dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({
        title: 'Alarms (every alarm of the detector)',
        // The live array, read at synth: see `alarms` above.
        alarms: props.alarms as cloudwatch.IAlarm[],
        width: FULL,
        height: 4,
      }),
    );

    this.dashboard.addWidgets(
      graph('Detections per level', SIGMA_LEVELS.map((level) => detectorMetric('Detections', { Level: level }, level)), HALF, { stacked: true }),
      graph('Detections per rule', [detectorSearch('Detections', 'RuleId', 'rule')], HALF, { stacked: true }),
    );

    const prefilter: cloudwatch.IMetric[] = [];
    for (const source of props.sources) {
      const dimensions: Record<string, string> = source.eventBusName === 'default'
        ? { RuleName: source.ruleName }
        : { EventBusName: source.eventBusName, RuleName: source.ruleName };
      if (source.eventSourceName) {
        prefilter.push(new cloudwatch.Metric({
          namespace: 'AWS/Events', metricName: 'Events', dimensionsMap: { EventSourceName: source.eventSourceName },
          statistic: 'Sum', period: PERIOD, label: `${source.label}: received from Auth0`,
        }));
      }
      prefilter.push(new cloudwatch.Metric({
        namespace: 'AWS/Events', metricName: 'MatchedEvents', dimensionsMap: dimensions,
        statistic: 'Sum', period: PERIOD, label: `${source.label}: forwarded by the prefilter`,
      }));
      prefilter.push(new cloudwatch.Metric({
        namespace: 'AWS/Events', metricName: 'FailedInvocations', dimensionsMap: dimensions,
        statistic: 'Sum', period: PERIOD, label: `${source.label}: failed to reach the detector`,
      }));
    }
    this.dashboard.addWidgets(
      graph('Auth0 log events: received, forwarded by the prefilter', prefilter),
      graph('Events evaluated by the detector', [
        detectorMetric('EventsEvaluated', {}, 'evaluated'),
        detectorMetric('MalformedEvents', {}, 'not an Auth0 log (skipped)'),
        detectorMetric('EvaluationErrors', {}, 'evaluation errors'),
        detectorMetric('RuleEvaluationFailures', {}, 'rule failures (contained to the rule)'),
        detectorMetric('EvaluationBudgetExceeded', {}, 'events over the evaluation budget'),
      ]),
    );

    const functions = [{ label: 'detector', fn: props.detectorFunction }, ...(props.sweepFunction ? [{ label: 'sweep', fn: props.sweepFunction }] : [])];
    this.dashboard.addWidgets(
      graph('Lambda errors and throttles', functions.flatMap(({ label, fn }) => [
        fn.metricErrors({ period: PERIOD, statistic: 'Sum', label: `${label} errors` }),
        fn.metricThrottles({ period: PERIOD, statistic: 'Sum', label: `${label} throttles` }),
      ]), THIRD),
      graph('Lambda duration (ms)', functions.flatMap(({ label, fn }) => [
        fn.metricDuration({ period: PERIOD, statistic: 'Average', label: `${label} average` }),
        fn.metricDuration({ period: PERIOD, statistic: 'p99', label: `${label} p99` }),
        fn.metricDuration({ period: PERIOD, statistic: 'Maximum', label: `${label} maximum` }),
      ]), THIRD),
      graph('Lambda invocations', functions.map(({ label, fn }) => fn.metricInvocations({ period: PERIOD, statistic: 'Sum', label })), THIRD),
    );

    this.dashboard.addWidgets(
      graph('Queue depths', [
        props.failedInvocationQueue.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: 'Maximum', label: 'failed invocations (redrive)' }),
        props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: 'Maximum', label: 'undelivered Auth0 events (DLQ)' }),
      ], THIRD),
      graph('Failed deliveries', [
        detectorSearch('PublishFailures', 'Sink', 'sink'),
        ...props.topics.map(({ label, topic }) => topic.metricNumberOfNotificationsFailed({ period: PERIOD, statistic: 'Sum', label: `${label}: SNS could not deliver` })),
      ], THIRD),
      graph('Storm control', [
        detectorMetric('NotificationsSuppressed', {}, 'notifications suppressed (over budget)'),
      ], THIRD),
    );

    if (props.stateTable) {
      this.dashboard.addWidgets(
        graph('Correlation state', [
          detectorMetric('CorrelationWindowsOpened', {}, 'windows opened'),
          detectorMetric('CorrelationStoreCalls', {}, 'state requests'),
          detectorMetric('CorrelationFailures', {}, 'correlation updates skipped or failed (contained to the rule)'),
        ], HALF),
        graph('State table capacity', [
          props.stateTable.metricConsumedWriteCapacityUnits({ period: PERIOD, statistic: 'Sum', label: 'write units' }),
          props.stateTable.metricConsumedReadCapacityUnits({ period: PERIOD, statistic: 'Sum', label: 'read units' }),
        ], HALF),
      );
      // Published by the sweep every 5 minutes (lambda/state/state-size.ts): without a sweep, nothing measures them.
      if (props.sweepFunction) {
        this.dashboard.addWidgets(
          graph('Correlation state size (whole table; DynamoDB refreshes it about every 6 hours)', [
            detectorMetric('StateTableItems', {}, 'items', 'Maximum'),
          ], HALF, { right: [detectorMetric('StateTableBytes', {}, 'bytes', 'Maximum')] }),
          graph('At-close correlation windows waiting for the sweep (exact)', [
            detectorMetric('CorrelationWindowsOpen', {}, 'all tenants', 'Maximum'),
            detectorSearch('CorrelationWindowsOpen', 'Tenant', 'tenant', 'Maximum'),
          ], HALF),
        );
      }
    }
  }

  get dashboardName(): string {
    return this.dashboard.dashboardName;
  }

  /** The console address of the dashboard (tokens resolved at deploy time). */
  get url(): string {
    return Fn.join('', [
      'https://', Aws.REGION, '.console.aws.amazon.com/cloudwatch/home?region=', Aws.REGION, '#dashboards/dashboard/', this.dashboard.dashboardName,
    ]);
  }
}

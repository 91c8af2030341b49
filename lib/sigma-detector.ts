// SigmaDetector: the reusable construct. Auth0 log events on an EventBridge bus → a Lambda that evaluates the
// bundled Sigma rules → SNS (email/SMS, filtered per level) and detection events on EventBridge.
// Secure by default: one customer-managed KMS key (rotation on) for topics and queues, TLS-only topic and queue
// policies, a role that may only write its own logs, publish to its own topic, put `auth0-sigma` events on the
// detection bus, send to its own failure queue and use its own key.
//
// When the rule set has correlation rules, a DynamoDB state table (same key) and a sweep function scheduled every
// minute join it (lib/correlation-state.ts). The CloudWatch dashboard is on by default; Security Hub findings,
// chat (AWS Chatbot) and more Auth0 sources (several tenants) are opt-in props (docs/channels.md).
// Extension points: `eventPattern` (the EventBridge prefilter), `environment`, the exposed
// `role`/`fn`/`key`/`state`, `addAlarm`.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { CfnOutput, Duration, Names, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subs from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import {
  ENV_AUTH0_DOMAIN, ENV_DETECTION_BUS, ENV_TOPIC_ARN, METRICS_NAMESPACE,
  SERVICE_NAME, SNS_ATTRIBUTE_CHANNELS, SNS_ATTRIBUTE_LEVEL,
} from '../lambda/notify/constants';
import type { Level, RuleSetModel } from '../lambda/sigma/types';
import type { TenantBundle } from '../lambda/tenants';
import {
  ENV_CHAT_MIN_LEVEL, ENV_CHAT_TOPIC_ARN, ENV_SECURITY_HUB_MIN_LEVEL, ENV_SECURITY_HUB_PRODUCT_ARN,
} from '../lambda/notify/channel-constants';
import type { SlackChannel, TeamsChannel } from './channel-config';
import { ChatChannels } from './chat-channels';
import { levelsAtOrAbove } from './config';
import { CorrelationState } from './correlation-state';
import { ENV_LEDGER_LEASE_MS } from '../lambda/reliability/ledger';
import { ENV_NOTIFICATION_BUDGETS, parseStormConfig } from '../lambda/reliability/storm';
import { DetectorDashboard, type DashboardSource } from './detector-dashboard';
import { detectionFunctionRole } from './function-role';
import { PROJECT_ROOT, RUNTIME_SUPPRESSION, bundledFunctionProps } from './lambda-bundling';

/** Source prefix and detail-type of the events Auth0 log streams put on EventBridge. */
export const AUTH0_SOURCE_PREFIX = 'aws.partner/auth0.com';
export const AUTH0_DETAIL_TYPE = 'Auth0 log';

const HANDLER_ENTRY = path.join(PROJECT_ROOT, 'lambda', 'handler.ts');

export interface SigmaDetectorProps {
  /** The bus Auth0 log events arrive on (the partner event bus, or an imported one). */
  readonly sourceBus: events.IEventBus;
  /** The validated rule set file (rules.json) copied into the Lambda bundle; see lib/rules-artifact.ts. */
  readonly rulesFile: string;
  /**
   * The bus rule's whole event pattern, e.g. the EventBridge prefilter compiled from the rules
   * (`buildEventPattern(model).pattern`). It must itself restrict `source` and `detail-type` to Auth0 logs.
   * @default `{"source": [{"prefix": "aws.partner/auth0.com"}], "detail-type": ["Auth0 log"]}`: every Auth0 log event
   */
  readonly eventPattern?: Record<string, unknown>;
  readonly alertEmails?: string[];
  /** E.164 numbers. */
  readonly alertPhoneNumbers?: string[];
  /** @default 'low' */
  readonly emailMinLevel?: Level;
  /** @default 'high' */
  readonly smsMinLevel?: Level;
  /** Where detection events go; undefined turns them off. */
  readonly detectionBus?: events.IEventBus;
  /** The tenant's canonical domain (`acme.eu.auth0.com`), for dashboard links in emails. */
  readonly auth0Domain?: string;
  /** @default THREE_MONTHS */
  readonly logRetention?: logs.RetentionDays;
  /** Who gets the operational alarms (errors, throttles, DLQ, failed notifications). */
  readonly alarmEmails?: string[];
  /** @default unreserved */
  readonly reservedConcurrentExecutions?: number;
  /** @default 512 */
  readonly memorySize?: number;
  /** @default 30 seconds */
  readonly timeout?: Duration;
  /** @default Node.js 22 */
  readonly runtime?: lambda.Runtime;
  /** Asynchronous-invocation retries by Lambda after a failed invocation. @default 2 */
  readonly retryAttempts?: number;
  /** Extra environment variables for the function (later stages: table names). */
  readonly environment?: Record<string, string>;
  /** For the key, the log groups and the correlation table. @default RemovalPolicy.DESTROY (the key is scheduled for deletion) */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Create the DynamoDB state table (correlation state; reserved item prefixes for notification records) and
   * give the detector its name and access. The correlation sweep is created only when the rules have
   * correlations.
   * @default true when the rule set has correlation rules, false otherwise
   */
  readonly stateTable?: boolean;
  /**
   * Storm control (lambda/reliability/storm.ts): a notification budget per rule, window, level and channel
   * (email, SMS, chat cards), and one summary per rule when a window ends. Needs the state table and the sweep
   * (which sends the summaries), so turning it on creates both. With the state table, notifications are
   * exactly-once in any case.
   * @default true when the rule set has correlation rules (the table and the sweep exist anyway) or a chat channel
   * is configured (a storm must not flood the channel: docs/channels.md#storm-control-in-chat), false otherwise
   */
  readonly stormControl?: boolean;
  /**
   * Budget overrides as the detector reads them from SIGMA_NOTIFICATION_BUDGETS, e.g.
   * `{"windowMinutes": 30, "budgets": {"high": {"sms": 2}}}`; validated at synth. @default the documented defaults
   */
  readonly notificationBudgets?: string;
  /**
   * The CloudWatch dashboard (lib/detector-dashboard.ts): detections, prefilter, Lambda, queues, storm control,
   * correlation state and every alarm. `false` leaves it out; a string names it.
   * @default true (a name CloudFormation generates)
   */
  readonly dashboard?: boolean | string;
  /** The Auth0 partner event source, when the source bus is its partner bus: the dashboard shows what it received. */
  readonly eventSourceName?: string;
  /** What the dashboard calls the source bus's events (the tenant's name with several tenants). @default 'Auth0' */
  readonly sourceLabel?: string;
  /**
   * More Auth0 log sources for the same function (several tenants: lambda/tenants.ts routes each event by its
   * `source`), each with its own bus rule, prefilter and dashboard line.
   */
  readonly extraSources?: readonly ExtraSource[];
  /**
   * One AWS Security Hub finding per detection at or above `minLevel` (default low), imported into this account
   * and region through the custom-integration product ARN. Security Hub must be enabled there (docs/channels.md).
   * @default off
   */
  readonly securityHub?: { readonly minLevel?: Level };
  /**
   * Chat through AWS Chatbot (Amazon Q Developer in chat applications): a Slack channel and/or a Microsoft Teams
   * channel get a card for each detection at or above `minLevel` (default medium). The workspace or team must
   * have been authorized in the Chatbot console once (docs/channels.md).
   * @default off
   */
  readonly chat?: { readonly slack?: SlackChannel; readonly teams?: TeamsChannel; readonly minLevel?: Level };
}

export interface ExtraSource {
  readonly label: string;
  readonly bus: events.IEventBus;
  readonly eventSourceName?: string;
  /** @default every Auth0 log event */
  readonly eventPattern?: Record<string, unknown>;
}

export class SigmaDetector extends Construct {
  readonly key: kms.Key;
  readonly topic: sns.Topic;
  readonly alarmTopic: sns.Topic;
  readonly fn: nodejs.NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
  readonly rule: events.Rule;
  /** Events EventBridge could not deliver to the function. */
  readonly deadLetterQueue: sqs.Queue;
  /** Invocations that failed after Lambda's retries (the on-failure destination). */
  readonly failedInvocationQueue: sqs.Queue;
  readonly alarms: cloudwatch.Alarm[] = [];
  /** The state table and the correlation sweep; undefined when neither is needed (see `stateTable`). */
  readonly state?: CorrelationState;
  /** The bus rules feeding the detector (one per Auth0 tenant), as the dashboard shows them. */
  readonly sources: DashboardSource[] = [];
  /** `arn:<partition>:securityhub:<region>:<account>:product/<account>/default`, when Security Hub findings are on. */
  readonly securityHubProductArn?: string;
  /** The chat topic and channel configurations, when `chat` is given. */
  readonly chat?: ChatChannels;
  /** Undefined with `dashboard: false`. */
  readonly dashboard?: DetectorDashboard;

  constructor(scope: Construct, id: string, props: SigmaDetectorProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.DESTROY;

    this.key = new kms.Key(this, 'Key', {
      description: 'auth0-sigma: encrypts the detection and alarm topics, the dead-letter queues and the state table',
      enableKeyRotation: true,
      removalPolicy,
      pendingWindow: Duration.days(7),
    });
    // Services that write into the encrypted topic/queues on our behalf need the key; scoped to this account.
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsAndEventBridge',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com'), new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'], // in a key policy, '*' means this key
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    );

    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'Auth0 Sigma detections',
      masterKey: this.key,
      enforceSSL: true,
    });
    this.alarmTopic = new sns.Topic(this, 'AlarmTopic', {
      displayName: 'Auth0 Sigma operational alarms',
      masterKey: this.key,
      enforceSSL: true,
    });

    if (props.securityHub) {
      this.securityHubProductArn = `arn:${stack.partition}:securityhub:${stack.region}:${stack.account}:product/${stack.account}/default`;
    }

    if (props.chat) this.chat = new ChatChannels(this, 'Chat', { key: this.key, slack: props.chat.slack, teams: props.chat.teams });

    const correlations = countCorrelationRules(props.rulesFile);
    const stormControl = props.stormControl ?? (correlations > 0 || props.chat !== undefined);
    // Fails synth on a bad budget override, with the message saying which key is wrong.
    if (props.notificationBudgets !== undefined) parseStormConfig(props.notificationBudgets, 'notificationBudgets');

    // Per-level filtering on the `level` message attribute (see lambda/notify/sns-message.ts for why it works
    // with MessageStructure json). With storm control, each subscription also requires its own channel in the
    // `channels` attribute: a detection over its SMS budget still reaches email, and the reverse.
    const channel = (name: string): Record<string, sns.SubscriptionFilter> =>
      stormControl ? { [SNS_ATTRIBUTE_CHANNELS]: sns.SubscriptionFilter.stringFilter({ allowlist: [name] }) } : {};
    const emailFilter = { [SNS_ATTRIBUTE_LEVEL]: sns.SubscriptionFilter.stringFilter({ allowlist: levelsAtOrAbove(props.emailMinLevel ?? 'low') }), ...channel('email') };
    const smsFilter = { [SNS_ATTRIBUTE_LEVEL]: sns.SubscriptionFilter.stringFilter({ allowlist: levelsAtOrAbove(props.smsMinLevel ?? 'high') }), ...channel('sms') };
    for (const email of props.alertEmails ?? []) this.topic.addSubscription(new subs.EmailSubscription(email, { filterPolicy: emailFilter }));
    for (const phone of props.alertPhoneNumbers ?? []) this.topic.addSubscription(new subs.SmsSubscription(phone, { filterPolicy: smsFilter }));
    for (const email of props.alarmEmails ?? []) this.alarmTopic.addSubscription(new subs.EmailSubscription(email));

    this.deadLetterQueue = this.encryptedQueue('DeadLetterQueue');
    this.failedInvocationQueue = this.encryptedQueue('FailedInvocationQueue');

    this.logGroup = new logs.LogGroup(this, 'FunctionLogs', {
      retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
      removalPolicy,
    });

    this.role = detectionFunctionRole(this, 'FunctionRole', {
      description: 'auth0-sigma detector: own logs, own topic, own key, detection bus, failure queue',
      logGroup: this.logGroup,
      topic: this.topic,
      statements: [
        new iam.PolicyStatement({
          sid: 'SendFailedInvocations',
          actions: ['sqs:SendMessage'],
          resources: [this.failedInvocationQueue.queueArn],
        }),
        new iam.PolicyStatement({
          sid: 'UseOwnKeyThroughSnsAndSqs',
          actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
          resources: [this.key.keyArn],
          conditions: { StringEquals: { 'kms:ViaService': [`sns.${stack.region}.amazonaws.com`, `sqs.${stack.region}.amazonaws.com`] } },
        }),
      ],
      detectionBus: props.detectionBus,
    });

    this.fn = new nodejs.NodejsFunction(this, 'Function', {
      ...bundledFunctionProps(HANDLER_ENTRY, props.rulesFile, props.runtime),
      description: 'auth0-sigma: evaluates Sigma rules on Auth0 log events',
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(30),
      role: this.role,
      logGroup: this.logGroup,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      retryAttempts: props.retryAttempts ?? 2,
      maxEventAge: Duration.hours(6),
      onFailure: new QueueDestination(this.failedInvocationQueue),
      environment: {
        ...(props.environment ?? {}),
        ...this.notifyEnvironment(props),
      },
    });
    // Lambda checks at creation that the role may send to the on-failure queue: create the policy first.
    const invokeConfig = this.fn.node.tryFindChild('EventInvokeConfig');
    if (invokeConfig) invokeConfig.node.addDependency(this.role);

    this.rule = this.addSourceRule('Auth0LogRule', props.sourceBus, props.eventPattern, props.sourceLabel ?? 'Auth0', props.eventSourceName);
    for (const source of props.extraSources ?? []) {
      this.addSourceRule(`Auth0LogRule-${source.label}`, source.bus, source.eventPattern, source.label, source.eventSourceName);
    }

    this.addAlarm('FunctionErrors', this.fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
      'The detector failed (delivery failures are retried, then land in the failed-invocation queue)');
    this.addAlarm('FunctionThrottles', this.fn.metricThrottles({ period: Duration.minutes(5), statistic: 'Sum' }),
      'The detector was throttled (reserved concurrency or account limit)');
    this.addAlarm('DeadLetterQueueNotEmpty', this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
      'EventBridge could not deliver Auth0 log events to the detector; they wait in the dead-letter queue');
    this.addAlarm('FailedInvocationQueueNotEmpty', this.failedInvocationQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
      'Detector invocations failed after all retries; they wait in the failed-invocation queue for redrive');
    this.addAlarm('NotificationsFailed', this.topic.metricNumberOfNotificationsFailed({ period: Duration.minutes(5), statistic: 'Sum' }),
      'SNS could not deliver detection notifications (email/SMS)');

    NagSuppressions.addResourceSuppressions(this.fn, [RUNTIME_SUPPRESSION]);

    if (props.stateTable || correlations > 0 || stormControl) {
      // The delivery ledger's claim lease outlives one invocation (docs/reliability.md).
      const leaseMs = 2 * (props.timeout ?? Duration.seconds(30)).toMilliseconds() + 10_000;
      const reliabilityEnvironment: Record<string, string> = {
        [ENV_LEDGER_LEASE_MS]: String(leaseMs),
        ...(stormControl ? { [ENV_NOTIFICATION_BUDGETS]: props.notificationBudgets ?? '{}' } : {}),
      };
      for (const [name, value] of Object.entries(reliabilityEnvironment)) this.fn.addEnvironment(name, value);
      this.state = new CorrelationState(this, 'State', {
        detector: this,
        rulesFile: props.rulesFile,
        sweep: correlations > 0 || stormControl,
        sweepEnvironment: { ...this.notifyEnvironment(props), ...reliabilityEnvironment },
        detectionBus: props.detectionBus,
        runtime: props.runtime,
        logRetention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
        removalPolicy,
      });
    }

    // Both functions deliver detections (the sweep: correlations closed at window end), so both may use the
    // extra channels.
    for (const role of [this.role, this.state?.sweepRole]) {
      if (role && this.securityHubProductArn) role.addToPolicy(importFindingsStatement(this.securityHubProductArn));
      if (role && this.chat) {
        role.addToPolicy(new iam.PolicyStatement({ sid: 'PublishChatNotifications', actions: ['sns:Publish'], resources: [this.chat.topic.topicArn] }));
      }
    }
    if (this.chat) {
      this.addAlarm('ChatNotificationsFailed', this.chat.topic.metricNumberOfNotificationsFailed({ period: Duration.minutes(5), statistic: 'Sum' }),
        'SNS could not deliver detection cards to AWS Chatbot (chat)');
    }

    if (props.dashboard !== false) {
      this.dashboard = new DetectorDashboard(this, 'Dashboard', {
        dashboardName: typeof props.dashboard === 'string' ? props.dashboard : undefined,
        sources: this.sources,
        detectorFunction: this.fn,
        sweepFunction: this.state?.sweepFn,
        deadLetterQueue: this.deadLetterQueue,
        failedInvocationQueue: this.failedInvocationQueue,
        topics: [{ label: 'email/SMS', topic: this.topic }, ...(this.chat ? [{ label: 'chat', topic: this.chat.topic }] : [])],
        stateTable: this.state?.table,
        alarms: this.alarms,
      });
    }
  }

  /**
   * A bus rule that sends Auth0 log events (those `eventPattern` passes) to the detector, with retries and the
   * dead-letter queue; the dashboard shows what it forwarded under `label`.
   */
  private addSourceRule(id: string, bus: events.IEventBus, eventPattern: Record<string, unknown> | undefined, label: string, eventSourceName?: string): events.Rule {
    const rule = new events.Rule(this, id, {
      description: 'Auth0 log events to the auth0-sigma detector',
      eventBus: bus,
      eventPattern: { source: events.Match.prefix(AUTH0_SOURCE_PREFIX), detailType: [AUTH0_DETAIL_TYPE] },
    });
    const cfnRule = rule.node.defaultChild as events.CfnRule;
    if (eventPattern) {
      // CDK's typed EventPattern cannot express every operator a compiled prefilter uses ($or, equals-ignore-case
      // inside prefix, ...): the JSON goes into the CloudFormation property as is.
      cfnRule.eventPattern = eventPattern;
    }
    // A known name: the rule's EventBridge metrics are dimensioned by its bare name, which Ref of a rule on a
    // custom bus does not reliably give (it may be `<bus>|<rule>`).
    const ruleName = Names.uniqueResourceName(rule, { maxLength: 64, separator: '-' });
    cfnRule.name = ruleName;
    rule.addTarget(new targets.LambdaFunction(this.fn, {
      deadLetterQueue: this.deadLetterQueue,
      retryAttempts: 8,
      maxEventAge: Duration.hours(4),
    }));
    this.sources.push({ label, ruleName, eventBusName: bus.eventBusName, eventSourceName });
    return rule;
  }

  /** The variables that tell a function where to deliver (topic, detection bus, dashboard domain) and how to log. */
  private notifyEnvironment(props: SigmaDetectorProps): Record<string, string> {
    return {
      [ENV_TOPIC_ARN]: this.topic.topicArn,
      ...(props.detectionBus ? { [ENV_DETECTION_BUS]: props.detectionBus.eventBusArn } : {}),
      ...(props.auth0Domain ? { [ENV_AUTH0_DOMAIN]: props.auth0Domain } : {}),
      ...(this.chat ? { [ENV_CHAT_TOPIC_ARN]: this.chat.topic.topicArn, [ENV_CHAT_MIN_LEVEL]: props.chat?.minLevel ?? 'medium' } : {}),
      ...(this.securityHubProductArn ? {
        [ENV_SECURITY_HUB_PRODUCT_ARN]: this.securityHubProductArn,
        [ENV_SECURITY_HUB_MIN_LEVEL]: props.securityHub?.minLevel ?? 'low',
      } : {}),
      POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
      POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      POWERTOOLS_LOG_LEVEL: 'INFO',
    };
  }

  /** A CloudWatch alarm on `metric` ≥ `threshold` (default 1) that notifies the alarm topic (also used by later stages). */
  addAlarm(id: string, metric: cloudwatch.IMetric, description: string, threshold = 1): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, id, {
      alarmDescription: `auth0-sigma: ${description}`,
      metric,
      threshold,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(new cwActions.SnsAction(this.alarmTopic));
    alarm.addOkAction(new cwActions.SnsAction(this.alarmTopic));
    this.alarms.push(alarm);
    return alarm;
  }

  /** Outputs: topic ARN, function name, queue URLs, bus name. */
  addOutputs(scope: Construct, sourceBus: events.IEventBus): void {
    new CfnOutput(scope, 'TopicArn', { value: this.topic.topicArn, description: 'SNS topic of detection notifications' });
    new CfnOutput(scope, 'AlarmTopicArn', { value: this.alarmTopic.topicArn, description: 'SNS topic of operational alarms' });
    new CfnOutput(scope, 'FunctionName', { value: this.fn.functionName, description: 'The detector Lambda function' });
    new CfnOutput(scope, 'DeadLetterQueueUrl', { value: this.deadLetterQueue.queueUrl, description: 'Auth0 log events EventBridge could not deliver' });
    new CfnOutput(scope, 'FailedInvocationQueueUrl', { value: this.failedInvocationQueue.queueUrl, description: 'Invocations that failed after all retries' });
    new CfnOutput(scope, 'EventBusName', { value: sourceBus.eventBusName, description: 'The bus Auth0 log events arrive on' });
    if (this.chat) new CfnOutput(scope, 'ChatTopicArn', { value: this.chat.topic.topicArn, description: 'SNS topic AWS Chatbot posts to Slack/Teams' });
    if (this.securityHubProductArn) new CfnOutput(scope, 'SecurityHubProductArn', { value: this.securityHubProductArn, description: 'Security Hub product findings are imported to' });
    if (this.dashboard) {
      new CfnOutput(scope, 'DashboardName', { value: this.dashboard.dashboardName, description: 'CloudWatch dashboard of the detector' });
      new CfnOutput(scope, 'DashboardUrl', { value: this.dashboard.url, description: 'Console address of the CloudWatch dashboard' });
    }
    if (this.state) {
      new CfnOutput(scope, 'StateTableName', { value: this.state.table.tableName, description: 'DynamoDB table of correlation state' });
      if (this.state.sweepFn) new CfnOutput(scope, 'SweepFunctionName', { value: this.state.sweepFn.functionName, description: 'The correlation sweep Lambda function (every minute)' });
    }
  }

  private encryptedQueue(id: string): sqs.Queue {
    const queue = new sqs.Queue(this, id, {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: this.key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    NagSuppressions.addResourceSuppressions(queue, [
      { id: 'AwsSolutions-SQS3', reason: 'This queue is itself a dead-letter queue (of the EventBridge target or of the Lambda asynchronous invocations).' },
    ]);
    return queue;
  }
}

/** BatchImportFindings into the custom-integration product of this account and region, nothing else. */
function importFindingsStatement(productArn: string): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'ImportSecurityHubFindings',
    actions: ['securityhub:BatchImportFindings'],
    resources: [productArn],
  });
}

/** Correlation rules in the rule set file written at synth (lib/rules-artifact.ts). */
function countCorrelationRules(rulesFile: string): number {
  const model = JSON.parse(fs.readFileSync(rulesFile, 'utf8')) as TenantBundle;
  const count = (m: RuleSetModel): number => m.rules.filter((r) => r.kind === 'correlation').length;
  // Several tenants: the most any tenant has (their minimum levels may differ).
  return Math.max(count(model), ...(model.tenants ?? []).map((t) => count(t.model)));
}

/**
 * An on-failure destination that only names the queue. CDK's SqsDestination would also grant the function
 * kms:ReEncrypt* and kms:GenerateDataKey* on the key; the role above grants exactly what sending needs.
 */
class QueueDestination implements lambda.IDestination {
  constructor(private readonly queue: sqs.IQueue) {}

  bind(): lambda.DestinationConfig {
    return { destination: this.queue.queueArn };
  }
}


// The role every function of the app runs with. Explicit, not the default one: the default attaches the
// AWSLambdaBasicExecutionRole managed policy, which may write to any log group.

import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { DETECTION_DETAIL_TYPE, DETECTION_EVENT_SOURCE } from '../lambda/notify/constants';

export interface DetectionFunctionRoleProps {
  description: string;
  /** The function's own log group: the only one it may write to. */
  logGroup: logs.ILogGroup;
  /** The detection topic: the only one it may publish to. */
  topic: sns.ITopic;
  /** Statements of this function only, in between. */
  statements: iam.PolicyStatement[];
  /** Where detection events go, if anywhere: PutEvents only there, only with the detection source and detail-type. */
  detectionBus?: events.IEventBus;
}

/** A role for a function that delivers detections: own logs, publish to the topic, PutEvents on the detection bus. */
export function detectionFunctionRole(scope: Construct, id: string, props: DetectionFunctionRoleProps): iam.Role {
  const role = new iam.Role(scope, id, {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: props.description,
  });
  role.addToPolicy(new iam.PolicyStatement({
    sid: 'WriteOwnLogs',
    actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    resources: [props.logGroup.logGroupArn],
  }));
  role.addToPolicy(new iam.PolicyStatement({
    sid: 'PublishDetections',
    actions: ['sns:Publish'],
    resources: [props.topic.topicArn],
  }));
  for (const statement of props.statements) role.addToPolicy(statement);
  if (props.detectionBus) {
    role.addToPolicy(new iam.PolicyStatement({
      sid: 'PutDetectionEvents',
      actions: ['events:PutEvents'],
      resources: [props.detectionBus.eventBusArn],
      conditions: { StringEquals: { 'events:source': DETECTION_EVENT_SOURCE, 'events:detail-type': DETECTION_DETAIL_TYPE } },
    }));
  }
  return role;
}

// Names shared by the Lambda (what it sends) and the CDK app (what IAM and subscriptions allow).

/** `source` of the detection events put on EventBridge. */
export const DETECTION_EVENT_SOURCE = 'auth0-sigma';
/** `detail-type` of the detection events put on EventBridge; `detail` is the Detection JSON. */
export const DETECTION_DETAIL_TYPE = 'Sigma detection';

/** SNS message attribute names subscribers can filter on. */
export const SNS_ATTRIBUTE_LEVEL = 'level';
export const SNS_ATTRIBUTE_RULE_ID = 'rule_id';
export const SNS_ATTRIBUTE_TAGS = 'tags';
/** Storm control: the channels (`email`, `sms`) a message is for; subscriptions filter on it when storm control is on. */
export const SNS_ATTRIBUTE_CHANNELS = 'channels';

/** Lambda environment variables (set by the construct, read by the handler). */
export const ENV_TOPIC_ARN = 'SIGMA_TOPIC_ARN';
export const ENV_DETECTION_BUS = 'SIGMA_DETECTION_BUS';
export const ENV_AUTH0_DOMAIN = 'SIGMA_AUTH0_DOMAIN';
export const ENV_RULES_FILE = 'SIGMA_RULES_FILE';
/** The DynamoDB table of correlation state (set only when the rule set has correlation rules). */
export const ENV_CORRELATION_TABLE = 'SIGMA_CORRELATION_TABLE';

/** Namespace of the detector's CloudWatch metrics. */
export const METRICS_NAMESPACE = 'Auth0Sigma';
export const SERVICE_NAME = 'auth0-sigma';

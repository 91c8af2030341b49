// Names shared by the Lambda and the CDK app for the extra channels (Security Hub, chat): docs/channels.md.

/** The Security Hub custom-integration product ARN findings are imported to; unset = no findings. */
export const ENV_SECURITY_HUB_PRODUCT_ARN = 'SIGMA_SECURITY_HUB_PRODUCT_ARN';
/** Lowest level imported as a finding (default low). */
export const ENV_SECURITY_HUB_MIN_LEVEL = 'SIGMA_SECURITY_HUB_MIN_LEVEL';
/** The SNS topic AWS Chatbot (Amazon Q Developer in chat applications) reads; unset = no chat messages. */
export const ENV_CHAT_TOPIC_ARN = 'SIGMA_CHAT_TOPIC_ARN';
/** Lowest level posted to chat (default medium). */
export const ENV_CHAT_MIN_LEVEL = 'SIGMA_CHAT_MIN_LEVEL';

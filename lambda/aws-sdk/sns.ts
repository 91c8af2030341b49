// The parts of the SNS client package the pipeline uses, loaded through lambda/aws-clients.ts on first use.
export { PublishCommand, SNSClient } from '@aws-sdk/client-sns';

// The parts of the SNS client package the pipeline uses, loaded through lambda/aws-clients.ts on first use
// (bundled apart from index.js: lib/lambda-bundle-options.ts).
export { PublishCommand, SNSClient } from '@aws-sdk/client-sns';

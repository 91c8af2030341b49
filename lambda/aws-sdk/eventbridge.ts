// The parts of the EventBridge client package the pipeline uses, loaded through lambda/aws-clients.ts on first use
// (bundled apart from index.js: lib/lambda-bundle-options.ts).
export { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';

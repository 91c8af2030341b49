// The parts of the EventBridge client package the pipeline uses, loaded through lambda/aws-clients.ts on first use.
export { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';

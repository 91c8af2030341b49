// The AWS SDK client packages, loaded on first use rather than when the function starts: a cold start that sends
// nothing (no detection, no correlation state to write) never loads the SDK, and a function loads only the clients
// of the sinks and stores its environment configures and uses. Figures: docs/performance.md#cold-start.
//
// The SDK parts live in the small modules of ./aws-sdk/, each bundled into its own file beside the Lambda's
// index.js (lib/lambda-bundle-options.ts): required by a computed path, they stay out of index.js, so Node.js does
// not even compile them at start (compiling the bundled SDK cost about as much as running it). From the sources
// (tests, the CLI) the same require loads the TypeScript or compiled module beside this file. Only types are
// imported statically.

import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { SecurityHubClient } from '@aws-sdk/client-securityhub';
import type { SNSClient } from '@aws-sdk/client-sns';

/** `load` run once, on the first call. */
function onFirstUse<T>(load: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= load());
}

/** Where the SDK modules are, relative to this module (and to index.js in the bundle): lib/lambda-bundle-options.ts. */
const SDK_MODULES_DIR = './aws-sdk/';

/** The SDK module `name` of ./aws-sdk/, required on the first call (a computed path: esbuild leaves it out). */
function sdkModule<T>(name: string): () => T {
  return onFirstUse(() => require(SDK_MODULES_DIR + name) as T);
}

export const dynamoDbSdk = sdkModule<typeof import('./aws-sdk/dynamodb')>('dynamodb');
export const snsSdk = sdkModule<typeof import('./aws-sdk/sns')>('sns');
export const eventBridgeSdk = sdkModule<typeof import('./aws-sdk/eventbridge')>('eventbridge');
export const securityHubSdk = sdkModule<typeof import('./aws-sdk/securityhub')>('securityhub');

/** A client given by the caller (tests, a shared client), or made on first use. */
export type ClientSource<C extends object> = C | (() => C);

export function clientOf<C extends object>(source: ClientSource<C>): C {
  return typeof source === 'function' ? (source as () => C)() : source;
}

// The pipeline's clients: a few more attempts than the SDK's default (standard retry mode) ride out throttling
// bursts instead of failing an event. Each getter makes its client once, on its first call.
const MAX_ATTEMPTS = 5;
export const lazySnsClient = (): (() => SNSClient) => onFirstUse(() => new (snsSdk().SNSClient)({ maxAttempts: MAX_ATTEMPTS }));
export const lazyEventBridgeClient = (): (() => EventBridgeClient) =>
  onFirstUse(() => new (eventBridgeSdk().EventBridgeClient)({ maxAttempts: MAX_ATTEMPTS }));
export const lazySecurityHubClient = (): (() => SecurityHubClient) =>
  onFirstUse(() => new (securityHubSdk().SecurityHubClient)({ maxAttempts: MAX_ATTEMPTS }));
export const lazyDynamoDbClient = (): (() => DynamoDBClient) => onFirstUse(() => new (dynamoDbSdk().DynamoDBClient)({ maxAttempts: MAX_ATTEMPTS }));

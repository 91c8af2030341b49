// The AWS SDK client packages, loaded on first use rather than when the bundle loads: a cold start that sends
// nothing (no detection, no correlation state to write) never evaluates the SDK, and a function loads only the
// clients of the sinks and stores its environment configures. Figures: docs/performance.md#cold-start.
//
// Why `require` inside a function: the Lambda bundle is one CommonJS file (esbuild, lib/lambda-bundle-options.ts),
// and esbuild evaluates a module that is only required this way on the first call (it wraps it), whereas a static
// import runs the SDK's module code at init. The small modules in ./aws-sdk/ keep the SDK packages tree-shaken:
// requiring a package itself would keep every command it exports. Types are imported with `import type` only.

import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { SecurityHubClient } from '@aws-sdk/client-securityhub';
import type { SNSClient } from '@aws-sdk/client-sns';

/** `load` run once, on the first call. */
function onFirstUse<T>(load: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= load());
}

export const dynamoDbSdk = onFirstUse(() => require('./aws-sdk/dynamodb') as typeof import('./aws-sdk/dynamodb'));
export const snsSdk = onFirstUse(() => require('./aws-sdk/sns') as typeof import('./aws-sdk/sns'));
export const eventBridgeSdk = onFirstUse(() => require('./aws-sdk/eventbridge') as typeof import('./aws-sdk/eventbridge'));
export const securityHubSdk = onFirstUse(() => require('./aws-sdk/securityhub') as typeof import('./aws-sdk/securityhub'));

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

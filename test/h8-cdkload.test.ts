import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as events from 'aws-cdk-lib/aws-events';
test('load', () => { expect([App, Stack, Template, nodejs.NodejsFunction, events.EventBus].every(Boolean)).toBe(true); });

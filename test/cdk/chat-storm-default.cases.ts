// Chat turns storm control on by default (docs/channels.md#storm-control-in-chat): a rule set without
// correlations and a Slack channel gets the state table, the sweep (which posts the summary cards) and the budgets
// variable; `stormControl: false` still turns it off. The construct alone, without bundling.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import { SigmaDetector, type SigmaDetectorProps } from '../../lib/sigma-detector';

/** Declares this file's tests: test/cdk/construct-synths.test.ts runs them in a describe block of their own. */
export function chatStormDefaultCases(): void {
  let rulesFile: string;
  beforeAll(() => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sigma-chat-storm-'));
    rulesFile = path.join(dir, 'rules.json');
    fs.writeFileSync(rulesFile, JSON.stringify({ version: 1, rules: [], options: { regexValueCap: 4096 } }));
  });

  function synth(props: Partial<SigmaDetectorProps>): { template: Template; detector: SigmaDetector } {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'ChatStormTest');
    const detector = new SigmaDetector(stack, 'Detector', {
      sourceBus: events.EventBus.fromEventBusName(stack, 'Bus', 'auth0'),
      rulesFile,
      eventPattern: { source: [{ prefix: 'aws.partner/auth0.com' }] },
      ...props,
    });
    return { template: Template.fromStack(stack), detector };
  }

  const slack = { slack: { workspaceId: 'T0123ABCD', channelId: 'C0123ABCD' } };

  test('with a chat channel and no correlations: storm control on, with its table and sweep', () => {
    const { template, detector } = synth({ chat: slack });
    expect(detector.state?.sweepFn).toBeDefined();
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    for (const fn of [detector.fn, detector.state!.sweepFn!]) {
      const id = Stack.of(fn).getLogicalId(fn.node.defaultChild as never);
      const env = template.toJSON().Resources[id].Properties.Environment.Variables as Record<string, unknown>;
      expect(env).toMatchObject({ SIGMA_NOTIFICATION_BUDGETS: '{}', SIGMA_CHAT_TOPIC_ARN: expect.anything() });
    }
  });

  test('stormControl: false turns it off even with chat; no chat and no correlations: off as before', () => {
    expect(synth({ chat: slack, stormControl: false }).detector.state).toBeUndefined();
    expect(synth({}).detector.state).toBeUndefined();
  });
}

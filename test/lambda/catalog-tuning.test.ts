// The deployed Lambda runs the tuned rule set: a config-file filter suppresses in the handler too, and an
// overridden level is the level the SNS subscriptions' filter policies see. The model goes through JSON, as the
// synth step's rules.json does.

import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { createRuntime, runInvocation } from '../../lambda/handler';
import { loadRules } from '../../lambda/sigma/loader';
import { parseDetectionConfig } from '../../lambda/sigma/detection-config';
import { levelsAtOrAbove } from '../../lib/config';
import type { RuleSetModel } from '../../lambda/sigma/types';
import { API_EXPLORER_CLIENT_ID, ROOT, RecordingTelemetry, SEED_RULE_FILE, SEED_RULE_ID, seedEvent } from './detector-fixtures';

const snsMock = mockClient(SNSClient);
mockClient(EventBridgeClient);

function tunedModel(): RuleSetModel {
  const { config, diagnostics } = parseDetectionConfig([
    'placeholders:',
    `  api_explorer_client_id: ${API_EXPLORER_CLIENT_ID}`,
    'overrides:',
    `  ${SEED_RULE_ID}: {level: critical}`,
    'filters:',
    '  - title: The break-glass workstation reads the token on purpose',
    '    filter:',
    `      rules: [${SEED_RULE_ID}]`,
    '      break_glass: {data.ip: 198.51.100.20}',
    '      condition: not break_glass',
  ].join('\n'), 'auth0-sigma.yml');
  expect(diagnostics).toEqual([]);
  const result = loadRules([SEED_RULE_FILE], {
    root: ROOT, placeholders: config.placeholders, overrides: config.overrides, configFilters: config.filters,
  });
  expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return JSON.parse(JSON.stringify(result.model)) as RuleSetModel;
}

test('the handler applies config filters and publishes the overridden level', async () => {
  snsMock.reset();
  snsMock.on(PublishCommand).resolves({ MessageId: 'm-1' });
  const runtime = createRuntime({ SIGMA_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:t' }, {
    model: tunedModel(), telemetry: new RecordingTelemetry(), snsClient: new SNSClient({ region: 'eu-west-1' }),
    eventBridgeClient: new EventBridgeClient({ region: 'eu-west-1' }),
  });

  expect(await runInvocation(runtime, seedEvent({ ip: '198.51.100.20' }))).toMatchObject({ evaluated: 1, detections: 0 });
  expect(snsMock.commandCalls(PublishCommand)).toHaveLength(0);

  expect(await runInvocation(runtime, seedEvent())).toMatchObject({ evaluated: 1, detections: 1 });
  const [publish] = snsMock.commandCalls(PublishCommand);
  const level = publish.args[0].input.MessageAttributes!.level.StringValue!;
  expect(level).toBe('critical');
  expect(publish.args[0].input.Subject).toMatch(/^\[auth0-sigma\] CRITICAL: /);
  // The SMS subscription's filter policy (smsMinLevel high by default) now lets it through; the seed's own level
  // (medium) would not have passed it.
  expect(levelsAtOrAbove('high')).toContain(level);
  expect(levelsAtOrAbove('high')).not.toContain('medium');
});

// Building a rule's detection is part of that rule's work on the event: if it fails, that rule's detection is
// lost (counted and logged with the rule id, never the event), and every other rule's detection is still
// delivered. The failure is injected into detection.ts; the pipeline, rules and engine are the real ones.

import type { DetectionItem, DetectionSink } from '../../lambda/pipeline-types';
import type { RuleMatch } from '../../lambda/sigma/ruleset';
import { loadRulesFromText } from '../../lambda/sigma/loader';
import { RecordingTelemetry } from './detector-fixtures';

const BROKEN = '00000000-0000-4000-8000-00000000d001';
const HEALTHY = '00000000-0000-4000-8000-00000000d002';
const RULES = [BROKEN, HEALTHY].map((id, i) => `title: Rule ${i}
id: ${id}
level: high
logsource: { product: auth0 }
detection:
  sel: { data.type: sapi }
  condition: sel
`).join('---\n');

test('a detection that cannot be built is contained to its rule; the other rule is delivered', async () => {
  jest.resetModules();
  jest.doMock('../../lambda/sigma/detection', () => {
    const actual = jest.requireActual('../../lambda/sigma/detection');
    return {
      ...actual,
      buildDetection: (match: RuleMatch, event: unknown) => {
        if (match.rule.id === BROKEN) throw new TypeError('cannot build a detection of secret-user@example.com');
        return actual.buildDetection(match, event);
      },
    };
  });
  // Loaded after the mock, so the pipeline sees it.
  const { DetectionPipeline } = require('../../lambda/pipeline') as typeof import('../../lambda/pipeline');
  const { CompiledRuleSet } = require('../../lambda/sigma/ruleset') as typeof import('../../lambda/sigma/ruleset');

  const loaded = loadRulesFromText([{ file: 'two.yml', text: RULES }], { unresolvedPlaceholders: 'error' });
  expect(loaded.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  const delivered: DetectionItem[] = [];
  const sink: DetectionSink = { name: 'recording', deliver: async (items) => void delivered.push(...items) };
  const telemetry = new RecordingTelemetry();
  const pipeline = new DetectionPipeline({ ruleSet: new CompiledRuleSet(loaded.model), sinks: [sink], telemetry });

  const outcome = await pipeline.processRecord({ log_id: 'L1', data: { type: 'sapi', user_name: 'secret-user@example.com' } });

  expect(outcome.status).toBe('evaluated');
  expect(delivered.map((i) => i.detection.rule.id)).toEqual([HEALTHY]);
  expect(telemetry.counts).toContainEqual({ metric: 'RuleEvaluationFailures', value: 1, dimensions: { RuleId: BROKEN } });
  const line = telemetry.lines.find((l) => l.message === 'rule evaluation failed');
  expect(line?.extra).toMatchObject({ rule_id: BROKEN, reason: 'detection: TypeError', log_id: 'L1' });
  expect(JSON.stringify(telemetry.lines)).not.toContain('secret-user');
});

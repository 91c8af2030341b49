// Fuzzing scan's pipeline: 100,000 generated hostile events (deep nesting, huge strings, unicode, numbers as
// strings, arrays where objects are expected, `__proto__`/`constructor` keys) through normalize + match, and a
// generated NDJSON file (with broken lines) through the real `scan` command. No crash, no hang, every
// malformed item counted and skipped, every well-formed one evaluated.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ScanPipeline } from '../../bin/cli/scan-pipeline';
import { CompiledRuleSet } from '../../lambda/sigma/ruleset';
import type { Detection } from '../../lambda/sigma/types';
import { eventBatches, fuzzModel, FUZZ_RULES } from './fuzz-arbitraries';
import { run } from '../cli/helpers';

const model = fuzzModel();
const ruleSet = new CompiledRuleSet(model);

test('100,000 hostile events through scan\'s normalize + match: no throw, each counted once, labels respected', () => {
  const detections: Detection[] = [];
  const pipeline = new ScanPipeline(ruleSet, model.rules, (d) => {
    if (detections.length < 1000) detections.push(d);
  });
  const counts = { valid: 0, invalid: 0, any: 0 };
  let slowest = 0;
  let line = 0;
  for (const batch of eventBatches(100_000, 2_000, 20261128)) {
    for (const { label, event } of batch) {
      counts[label]++;
      const malformedBefore = pipeline.malformedCount;
      const evaluatedBefore = pipeline.eventsEvaluated;
      const start = process.hrtime.bigint();
      pipeline.processItem(event, 'fuzz', ++line);
      slowest = Math.max(slowest, Number(process.hrtime.bigint() - start) / 1e6);
      const malformed = pipeline.malformedCount - malformedBefore;
      const evaluated = pipeline.eventsEvaluated - evaluatedBefore;
      // Exactly one of the two, and the one the event's shape calls for.
      if (malformed + evaluated !== 1) throw new Error(`event ${line} was counted ${malformed + evaluated} times`);
      if (label === 'valid' && evaluated !== 1) throw new Error(`a valid event was skipped at ${line}`);
      if (label === 'invalid' && malformed !== 1) throw new Error(`an invalid event was evaluated at ${line}`);
    }
  }
  expect(pipeline.itemsRead).toBe(100_000);
  expect(pipeline.malformedCount + pipeline.eventsEvaluated).toBe(100_000);
  expect(pipeline.malformedCount).toBeGreaterThanOrEqual(counts.invalid);
  expect(pipeline.eventsEvaluated).toBeGreaterThanOrEqual(counts.valid);
  // The generator really produced a mix, and the rules really fired on hostile content.
  expect(counts.valid).toBeGreaterThan(50_000);
  expect(counts.invalid).toBeGreaterThan(10_000);
  expect(pipeline.detectionsTotal).toBeGreaterThan(1_000);
  expect(new Set(detections.map((d) => d.rule.id)).size).toBeGreaterThanOrEqual(3);
  // No single event may take long: the value caps and compile-once matching keep each one cheap.
  expect(slowest).toBeLessThan(2_000);
  // Detections are plain JSON-serialisable data, whatever the event held.
  for (const d of detections) expect(() => JSON.stringify(d)).not.toThrow();
});

test('the real scan command over a generated NDJSON file with broken lines: exit 0, every item accounted for', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fuzz-scan-'));
  try {
    const lines: string[] = [];
    let broken = 0;
    for (const batch of eventBatches(3_000, 1_000, 7)) {
      for (const { event } of batch) {
        const text = JSON.stringify(event);
        // Values JSON cannot represent (undefined at the top) become a broken line too.
        if (text === undefined) {
          lines.push('undefined');
          broken++;
        } else lines.push(text);
        if (lines.length % 97 === 0) {
          lines.push(lines.length % 2 ? '{"data": {"type": "s",' : '\u0000\u0001garbage');
          broken++;
        }
      }
    }
    const file = path.join(dir, 'events.ndjson');
    fs.writeFileSync(file, lines.join('\n') + '\n');
    const rulesFile = path.join(dir, 'fuzz.yml');
    fs.writeFileSync(rulesFile, FUZZ_RULES);
    const result = await run(['scan', '--format', 'json', '--rules', rulesFile, file]);
    expect(result.code).toBe(0);
    const summary = /scan: 1 input, (\d+) items? read, (\d+) malformed \(skipped\)/.exec(result.stderr);
    expect(summary).not.toBeNull();
    expect(Number(summary![1])).toBe(lines.length);
    expect(Number(summary![2])).toBeGreaterThanOrEqual(broken);
    // Every output line is one detection as JSON.
    const out = result.stdout.split('\n').filter((l) => l !== '');
    expect(out.length).toBeGreaterThan(0);
    for (const l of out) expect(JSON.parse(l)).toHaveProperty('rule.id');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// Fuzzing scan's pipeline: generated hostile events (deep nesting, huge strings, unicode, numbers as strings,
// arrays where objects are expected, `__proto__`/`constructor` keys) through normalize + match (1,000 in `npm test`,
// 100,000 in `npm run test:long`: test/helpers/scale.ts), and a generated NDJSON file (with broken lines) through the real `scan` command. No
// crash, no hang, every malformed item counted and skipped, every well-formed one evaluated.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { eventBatches, FUZZ_RULES } from './fuzz-arbitraries';
import { fuzzScanPipeline } from './fuzz-cases';
import { run } from '../cli/helpers';
import { testScale } from '../helpers/scale';

const EVENTS = testScale(1_000, 100_000);

test(`${EVENTS.toLocaleString('en-US')} hostile events through scan's normalize + match: no throw, each counted once, labels respected`, () => {
  fuzzScanPipeline(EVENTS);
}, testScale(60_000, 1_200_000));

test('the real scan command over a generated NDJSON file with broken lines: exit 0, every item accounted for', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fuzz-scan-'));
  try {
    const lines: string[] = [];
    let broken = 0;
    for (const batch of eventBatches(testScale(1_000, 3_000), 1_000, 7)) {
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

// The hostile-event corpus through the real CLI, as a subprocess: `scan` in both output formats. Every case's
// event must still give the canary detection, the process must end normally (exit 0), and no character the
// attacker wrote may reach stdout or stderr raw. Heavy cases: cli-scan.long.test.ts.

import { HOSTILE_CASES, caseLogId } from './corpus';
import { canaryDetections, expectCleanExit, expectNothingRaw, jsonDetections, scan, writeCorpusFile, type ScanRun } from './cli-checks';
import type { Detection } from '../../lambda/sigma/types';

const fast = HOSTILE_CASES.map((c, index) => ({ c, index })).filter(({ c }) => !c.heavy);
/** A 2 MiB line (over the 1 MiB item limit): reported with its line number and skipped, the next line still read. */
const OVERSIZED_LINE = JSON.stringify({ log_id: 'hostile-oversized', data: { type: 'f', client_id: 'HostileCorpusCanaryClient0001', user_agent: 'x'.repeat(2 * 1024 * 1024) } });

let json: ScanRun;
let text: ScanRun;
let detections: Detection[];

beforeAll(() => {
  const corpus = writeCorpusFile(fast, [OVERSIZED_LINE]);
  try {
    json = scan(['--format', 'json', corpus.file]);
    text = scan(['--format', 'text', corpus.file]);
  } finally {
    corpus.cleanup();
  }
  detections = json.status === 0 ? jsonDetections(json) : [];
}, 240_000);

describe('hostile events through `auth0-sigma scan` (subprocess)', () => {
  test('both formats read the whole corpus and exit 0 without a crash', () => {
    expectCleanExit(json);
    expectCleanExit(text);
    expect(json.stderr).toMatch(new RegExp(`scan: 1 input, ${fast.length + 1} items read, 1 malformed \\(skipped\\), ${fast.length} events evaluated`));
  });

  test('the oversized line is reported with its line number and skipped', () => {
    expect(json.stderr).toContain(`:${fast.length + 1}: skipped: line longer than 1048576 bytes skipped`);
    expect(detections.some((d) => d.log_id === 'hostile-oversized')).toBe(false);
  });

  test('nothing attacker-written reaches stdout or stderr raw, in either format', () => {
    expectNothingRaw(json);
    expectNothingRaw(text);
  });

  test.each(fast.map(({ c }) => [c.name, c] as const))('%s: the canary detection is printed (json and text)', (_name, c) => {
    expect(canaryDetections(detections, c)).toHaveLength(1);
    expect(text.stdout).toMatch(new RegExp(`^\\[high\\] Hostile corpus canary .* log_id=${caseLogId(c)}$`, 'm'));
  });
});

// Issue 11 goal 3 inside `npm run bench`: runs `npm run regex-worst-case` (scripts/regex-worst-case.ts, which prints
// the full table) in its own process, so its JIT and heap do not disturb the other sections, and keeps its two
// verdict lines: the worst cubic/exponential `re` shape on a value of the cap's length, and the worst event under
// the per-event regex budget.

import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

export interface RegexWorstCase {
  /** Worst time of the cubic and exponential `re` shapes on a hostile value of the cap's length. */
  worstShapeMs: number;
  limitMs: number;
  met: boolean;
  /** Worst regex time of one event of 200 hostile values under the default per-event budget. */
  worstEventMs: number;
  /** The two verdict lines as the script printed them. */
  lines: string[];
}

export function measureRegexWorstCase(): RegexWorstCase {
  const run = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'run-ts.js'), path.join(ROOT, 'scripts', 'regex-worst-case.ts')], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  if (run.status !== 0) throw new Error(`scripts/regex-worst-case.ts failed (exit ${run.status}): ${run.stderr}`);
  return parseRegexWorstCase(run.stdout);
}

/** The verdict lines of scripts/regex-worst-case.ts's output; throws when they are missing (the script changed). */
export function parseRegexWorstCase(stdout: string): RegexWorstCase {
  const shape = /^re shapes .* at \d+ characters: worst ([\d.]+) ms \(target ≤ ([\d.]+) ms\): (met|NOT met)$/m.exec(stdout);
  const event = /^worst event: ([\d.]+) ms of regex work.*$/m.exec(stdout);
  if (!shape || !event) throw new Error('scripts/regex-worst-case.ts printed no verdict lines: update scripts/bench/regex-worst-case-summary.ts');
  return {
    worstShapeMs: Number(shape[1]),
    limitMs: Number(shape[2]),
    met: shape[3] === 'met',
    worstEventMs: Number(event[1]),
    lines: [shape[0], event[0]],
  };
}

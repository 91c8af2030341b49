// `npm run bench` keeps the verdict lines of scripts/regex-worst-case.ts (issue 11 goal 3); the real script's output
// is parsed in regex-worst-case-summary.long.test.ts.
import { parseRegexWorstCase } from '../../scripts/bench/regex-worst-case-summary';

const TABLE = '| re shape (capped) | re | linear | a.*a.*b | yes | 0.02 ms |\n\nTimes are the worst over adversarial inputs.\n';

test('the verdict lines are read with their figures, met or not', () => {
  const met = parseRegexWorstCase(`${TABLE}re shapes (cubic and exponential) at 4096 characters: worst 0.31 ms (target ≤ 5 ms): met\n\nper-event regex budget: ...\nworst event: 40 ms of regex work (the Lambda timeout is 30 s)\n`);
  expect(met).toEqual({
    worstShapeMs: 0.31,
    limitMs: 5,
    met: true,
    worstEventMs: 40,
    lines: ['re shapes (cubic and exponential) at 4096 characters: worst 0.31 ms (target ≤ 5 ms): met', 'worst event: 40 ms of regex work (the Lambda timeout is 30 s)'],
  });
  const missed = parseRegexWorstCase(`re shapes (cubic and exponential) at 4096 characters: worst 25000.00 ms (target ≤ 5 ms): NOT met\nworst event: 7 ms of regex work\n`);
  expect(missed).toMatchObject({ worstShapeMs: 25000, met: false, worstEventMs: 7 });
});

test('output without the verdict lines is an error that names the file to update, not a silent pass', () => {
  expect(() => parseRegexWorstCase(TABLE)).toThrow(/printed no verdict lines: update scripts\/bench\/regex-worst-case-summary\.ts/);
  expect(() => parseRegexWorstCase('re shapes (cubic and exponential) at 4096 characters: worst 1.00 ms (target ≤ 5 ms): met\n')).toThrow(/no verdict lines/);
});

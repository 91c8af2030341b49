// The real scripts/regex-worst-case.ts (a few seconds) through the parser `npm run bench` uses: a change to the
// script's verdict lines fails here rather than in the next bench run. Its figures are the bench's to judge.
import { measureRegexWorstCase } from '../../scripts/bench/regex-worst-case-summary';

test('npm run regex-worst-case prints the verdict lines the bench reads', () => {
  const result = measureRegexWorstCase();
  expect(result.limitMs).toBe(5);
  expect(result.lines).toHaveLength(2);
  expect(Number.isFinite(result.worstShapeMs)).toBe(true);
  expect(Number.isFinite(result.worstEventMs)).toBe(true);
});

// The differential check of regex-engine.test.ts at a larger scale (several seeds, 12,000 patterns).

import { differential } from './regex-differential';

test.each([1, 7, 42, 2026])('seed %i: 3,000 generated patterns give RegExp\'s results', (seed) => {
  const { mismatches, linear, valid } = differential(seed, 3000);
  expect(mismatches.slice(0, 10)).toEqual([]);
  expect(linear).toBeGreaterThan(valid * 0.8);
});

// One scale knob for property tests, fuzzing and corpora: `npm test` runs them at a size that meets every shape the
// generators make, in seconds; `npm run test:long` (jest.long.config.js sets AUTH0_SIGMA_TEST_SCALE=long) runs the
// same test files again at full size. jest.long.config.js finds the files that import this module, so a test that
// uses the knob runs in both without a second file.

/** True under `npm run test:long`. */
export const LONG_RUN = process.env.AUTH0_SIGMA_TEST_SCALE === 'long';

/** `small` in `npm test`, `long` in `npm run test:long` (a number of runs, events, mutations or a list). */
export function testScale<T>(small: T, long: T): T {
  return LONG_RUN ? long : small;
}

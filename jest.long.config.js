/** @type {import('jest').Config} */
// `npm run test:long`: the `*.long.test.ts` files (100k-event fuzzing, soak, bundle smoke, the package test), which
// `npm test` leaves out. `.ci/run` runs both.
const base = require('./jest.config');

module.exports = {
  ...base,
  testMatch: ['**/*.long.test.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
  testTimeout: 20 * 60 * 1000,
};

/** @type {import('jest').Config} */
// `npm test`: the unit and integration suites. The long runs are `*.long.test.ts` files and the full sizes of the
// tests using test/helpers/scale.ts, run by `npm run test:long` (jest.long.config.js).
// docs/development.md has the figures behind these settings.
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '\\.long\\.test\\.ts$'],
  // Types are stripped by esbuild, file by file; type errors are `npm run typecheck`'s (tsc --noEmit).
  transform: { '^.+\\.tsx?$': '<rootDir>/test/helpers/esbuild-transform.js' },
  // Two cores on the reference machine: jest's default (cores - 1) would run everything in one process.
  maxWorkers: 2,
  // A worker whose heap grew past this between two test files is replaced, so what the modules of earlier files
  // keep alive does not add up over the run.
  workerIdleMemoryLimit: '350MB',
  testTimeout: 60000,
  setupFiles: ['<rootDir>/test/helpers/jest-setup.ts'],
};

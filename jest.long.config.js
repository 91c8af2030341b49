/** @type {import('jest').Config} */
// `npm run test:long`: the `*.long.test.ts` files (the package test, soak-like runs, the published catalog, aws-cdk-lib's
// CloudFormation validation), which `npm test` leaves out, and again every test file that uses the scale knob
// (test/helpers/scale.ts), at full size: AUTH0_SIGMA_TEST_SCALE=long, set here for jest and its workers. `.ci/run`
// runs both.
const fs = require('node:fs');
const path = require('node:path');
const base = require('./jest.config');

process.env.AUTH0_SIGMA_TEST_SCALE = 'long';

function testFiles(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'fixtures' ? [] : testFiles(file);
    return entry.name.endsWith('.test.ts') ? [file] : [];
  });
}

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const scaled = testFiles(path.join(__dirname, 'test'))
  .filter((file) => !file.endsWith('.long.test.ts') && /from '\.\.\/helpers\/scale'/.test(fs.readFileSync(file, 'utf8')));

module.exports = {
  ...base,
  testMatch: undefined,
  testRegex: ['\\.long\\.test\\.ts$', ...scaled.map((file) => `^${escape(file)}$`)],
  testPathIgnorePatterns: ['/node_modules/'],
  testTimeout: 20 * 60 * 1000,
};

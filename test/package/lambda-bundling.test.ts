// How the construct finds what it bundles, in this repository and from an installed package (where only the
// compiled JavaScript exists and the lock file is the app's): lib/lambda-bundling.ts. The whole path, packed and
// installed, is package.long.test.ts.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PROJECT_ROOT, findLockFile, resolveEntry } from '../../lib/lambda-bundling';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lambda-bundling-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

test('the TypeScript entry when it exists, else the compiled JavaScript beside it, else a clear error', () => {
  const ts = path.join(dir, 'handler.ts');
  const js = path.join(dir, 'handler.js');
  fs.writeFileSync(js, 'exports.handler = async () => 1;\n');
  expect(resolveEntry(ts)).toBe(js);
  fs.writeFileSync(ts, 'export const handler = async () => 1;\n');
  expect(resolveEntry(ts)).toBe(ts);
  expect(() => resolveEntry(path.join(dir, 'sweep.ts'))).toThrow(/the Lambda entry .*sweep\.ts is missing \(and so is .*sweep\.js\): reinstall the package, or run `npm run build`/);
});

test('the nearest lock file above an installed package is the app\'s', () => {
  const installed = path.join(dir, 'app', 'node_modules', 'auth0-sigma', 'dist');
  fs.mkdirSync(installed, { recursive: true });
  fs.writeFileSync(path.join(dir, 'app', 'package-lock.json'), '{}');
  expect(findLockFile(installed)).toBe(path.join(dir, 'app', 'package-lock.json'));
  // Another package manager's lock file is found the same way.
  fs.rmSync(path.join(dir, 'app', 'package-lock.json'));
  fs.writeFileSync(path.join(dir, 'app', 'pnpm-lock.yaml'), '');
  expect(findLockFile(installed)).toBe(path.join(dir, 'app', 'pnpm-lock.yaml'));
});

test('this repository bundles from its own sources and lock file', () => {
  expect(findLockFile(PROJECT_ROOT)).toBe(path.join(PROJECT_ROOT, 'package-lock.json'));
  expect(resolveEntry(path.join(PROJECT_ROOT, 'lambda', 'handler.ts'))).toBe(path.join(PROJECT_ROOT, 'lambda', 'handler.ts'));
});

test('no lock file anywhere above: an error that says what to do', () => {
  // The file system root has no lock file on any machine that runs these tests.
  expect(() => findLockFile(path.parse(dir).root)).toThrow(/no package lock file \(package-lock\.json, yarn\.lock, pnpm-lock\.yaml, bun\.lock, bun\.lockb\) at or above .*: .*run `npm install` in the app first/);
});

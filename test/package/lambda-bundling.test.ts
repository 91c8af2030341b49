// How the construct finds what it bundles, in this repository and from an installed package (where only the
// compiled JavaScript exists and the lock file is the app's): lib/lambda-bundling.ts. The whole path, packed and
// installed, is package.long.test.ts.

import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SDK_MODULES, SDK_MODULES_DIR } from '../../lib/lambda-bundle-options';
import { PROJECT_ROOT, findLockFile, resolveEntry, sdkModulesCacheKey, sdkModulesCommand } from '../../lib/lambda-bundling';

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

describe('the AWS SDK modules build, cached across synths', () => {
  const lambdaDir = path.join(PROJECT_ROOT, 'lambda');
  const options = (outdir: string) => ({ entryPoints: SDK_MODULES.map((m) => path.join(lambdaDir, 'aws-sdk', `${m}.ts`)), outdir });

  test('the cache key follows esbuild, the options, the entry files and the lock file, not the output folder', () => {
    const lock = path.join(dir, 'package-lock.json');
    fs.writeFileSync(lock, '{"lockfileVersion": 3}');
    const key = sdkModulesCacheKey('0.28.2', options('/a'), lock);
    expect(sdkModulesCacheKey('0.28.2', options('/somewhere/else'), lock)).toBe(key);
    expect(sdkModulesCacheKey('0.28.3', options('/a'), lock)).not.toBe(key);
    expect(sdkModulesCacheKey('0.28.2', { ...options('/a'), entryPoints: options('/a').entryPoints.slice(1) }, lock)).not.toBe(key);
    fs.writeFileSync(lock, '{"lockfileVersion": 3, "packages": {}}');
    expect(sdkModulesCacheKey('0.28.2', options('/a'), lock)).not.toBe(key);
    const entry = path.join(dir, 'sns.ts');
    fs.writeFileSync(entry, "export { SNSClient } from '@aws-sdk/client-sns';\n");
    const withEntry = sdkModulesCacheKey('0.28.2', { entryPoints: [entry], outdir: '/a' }, lock);
    fs.appendFileSync(entry, "export { PublishCommand } from '@aws-sdk/client-sns';\n");
    expect(sdkModulesCacheKey('0.28.2', { entryPoints: [entry], outdir: '/a' }, lock)).not.toBe(withEntry);
  });

  test('two synths building at once: both outputs complete and equal, one cache entry, no temporary folder left', async () => {
    // The project root is the lock file's folder: the cache goes under <dir>/node_modules/.cache/auth0-sigma/.
    const lock = path.join(dir, 'package-lock.json');
    fs.writeFileSync(lock, '{}');
    const outs = [path.join(dir, 'out-a'), path.join(dir, 'out-b')];
    const runs = outs.map((out) => new Promise<number | null>((resolve) => {
      spawn(sdkModulesCommand(lambdaDir, out, lock), { shell: true, stdio: 'ignore' }).on('close', resolve);
    }));
    expect(await Promise.all(runs)).toEqual([0, 0]);
    const files = (out: string) => fs.readdirSync(path.join(out, SDK_MODULES_DIR)).sort();
    expect(files(outs[0])).toEqual(SDK_MODULES.map((m) => `${m}.js`).sort());
    for (const name of files(outs[0])) {
      expect(fs.readFileSync(path.join(outs[1], SDK_MODULES_DIR, name), 'utf8')).toBe(fs.readFileSync(path.join(outs[0], SDK_MODULES_DIR, name), 'utf8'));
    }
    const cacheRoot = path.join(dir, 'node_modules', '.cache', 'auth0-sigma', 'sdk-modules');
    const entries = fs.readdirSync(cacheRoot);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatch(/^[0-9a-f]{32}$/);
    // A third synth copies from the cache: a file changed there shows up in its output.
    fs.appendFileSync(path.join(cacheRoot, entries[0], 'sns.js'), '\n// from the cache\n');
    const third = path.join(dir, 'out-c');
    await new Promise((resolve) => spawn(sdkModulesCommand(lambdaDir, third, lock), { shell: true, stdio: 'ignore' }).on('close', resolve));
    expect(fs.readFileSync(path.join(third, SDK_MODULES_DIR, 'sns.js'), 'utf8')).toContain('// from the cache');
  });
});

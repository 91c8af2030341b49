// bin/auth0-sigma.js decides what runs: the compiled CLI (dist/) in an installed package; in a checkout, dist/
// only while it is newer than every source, else the TypeScript sources through tsx. Exercised on a copy of the
// shim in a scratch tree whose two CLIs say which one ran.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const REPO = path.join(__dirname, '..', '..');
let root: string;

function write(rel: string, text: string, mtimeSeconds: number): void {
  const file = path.join(root, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  fs.utimesSync(file, mtimeSeconds, mtimeSeconds);
}

function runShim(): { stdout: string; stderr: string; status: number | null } {
  const r = spawnSync(process.execPath, [path.join(root, 'bin', 'auth0-sigma.js')], {
    encoding: 'utf8',
    // tsx comes from this repository's node_modules, as it would from the checkout's.
    env: { ...process.env, NODE_PATH: path.join(REPO, 'node_modules') },
    timeout: 60000,
  });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

const SOURCE_CLI = "export async function main(): Promise<number> { process.stdout.write('source'); return 0; }\n";
const COMPILED_CLI = "exports.main = async () => { process.stdout.write('compiled'); return 0; };\n";
const T = 1_800_000_000;

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'bin-shim-'));
  fs.mkdirSync(path.join(root, 'bin'));
  fs.copyFileSync(path.join(REPO, 'bin', 'auth0-sigma.js'), path.join(root, 'bin', 'auth0-sigma.js'));
  for (const dir of ['lib', 'lambda']) fs.mkdirSync(path.join(root, dir));
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

test('a checkout without a build runs the sources', () => {
  write('bin/cli.ts', SOURCE_CLI, T);
  expect(runShim()).toMatchObject({ stdout: 'source', status: 0 });
});

test('a checkout runs dist/ while it is newer than every source, and the sources again after an edit', () => {
  write('bin/cli.ts', SOURCE_CLI, T);
  write('lambda/sigma/engine.ts', 'export {};\n', T);
  write('dist/bin/cli.js', COMPILED_CLI, T + 10);
  expect(runShim()).toMatchObject({ stdout: 'compiled', status: 0 });
  // An edit deep in lambda/ after the build: the build is stale.
  write('lambda/sigma/engine.ts', 'export const edited = 1;\n', T + 20);
  expect(runShim()).toMatchObject({ stdout: 'source', status: 0 });
});

test('an installed package (no sources) runs dist/, and says how to fix a missing build', () => {
  write('dist/bin/cli.js', COMPILED_CLI, T);
  expect(runShim()).toMatchObject({ stdout: 'compiled', status: 0 });
  fs.rmSync(path.join(root, 'dist'), { recursive: true });
  const r = runShim();
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(/auth0-sigma: .*dist\/bin\/cli\.js is missing: run `npm run build` in /);
});

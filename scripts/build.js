#!/usr/bin/env node
// `npm run build`: compiles bin/, lib/ and lambda/ to JavaScript with type declarations in dist/ (tsconfig.build.json),
// starting from an empty dist/ so a deleted source leaves no stale module behind. The compiled CLI reads its version
// from `../package.json`, as the source does from the project root: dist/package.json carries the name and
// version (nothing that would change how Node or esbuild resolve modules).

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const DIST = path.join(ROOT, 'dist');

fs.rmSync(DIST, { recursive: true, force: true });
const tsc = require.resolve('typescript/bin/tsc');
const run = spawnSync(process.execPath, [tsc, '-p', path.join(ROOT, 'tsconfig.build.json')], { cwd: ROOT, stdio: 'inherit' });
if (run.status !== 0) {
  process.stderr.write('build: tsc failed (see above); dist/ is incomplete\n');
  process.exit(run.status ?? 1);
}
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
fs.writeFileSync(path.join(DIST, 'package.json'), `${JSON.stringify({ name: pkg.name, version: pkg.version, private: true }, null, 2)}\n`);

#!/usr/bin/env node
// The `auth0-sigma` CLI. The installed package runs the compiled JavaScript in dist/ (built by `npm run build`,
// which `npm pack` runs): no TypeScript at run time. In a checkout, where the TypeScript sources sit beside this
// file, dist/ runs only while it is newer than every source file; otherwise the sources run through tsx (a
// devDependency), so an edit is never hidden behind a stale build and no build is needed before the first call.

const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const COMPILED = path.join(ROOT, 'dist', 'bin', 'cli.js');
const SOURCE = path.join(__dirname, 'cli.ts');
const SOURCE_DIRS = ['bin', 'lib', 'lambda'];

/** Newest modification time (ms) of the TypeScript and JSON sources the CLI is compiled from. */
function newestSourceMtime() {
  let newest = 0;
  const pending = SOURCE_DIRS.map((dir) => path.join(ROOT, dir));
  while (pending.length > 0) {
    const dir = pending.pop();
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) pending.push(full);
      else if (/\.(ts|json)$/.test(entry.name)) newest = Math.max(newest, fs.statSync(full).mtimeMs);
    }
  }
  return newest;
}

function mtime(file) {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}

function loadCli() {
  const compiledAt = mtime(COMPILED);
  if (!fs.existsSync(SOURCE)) {
    if (compiledAt === undefined) throw new Error(`${COMPILED} is missing: run \`npm run build\` in ${ROOT}`);
    return require(COMPILED);
  }
  if (compiledAt !== undefined && compiledAt >= newestSourceMtime()) return require(COMPILED);
  require('tsx/cjs');
  return require(SOURCE);
}

let cli;
try {
  cli = loadCli();
} catch (err) {
  process.stderr.write(`auth0-sigma: ${err && err.message ? err.message : err}\n`);
  process.exit(2);
}
cli.main(process.argv).then(
  (code) => { process.exitCode = code; },
  (err) => { process.stderr.write(`auth0-sigma: ${err && err.stack ? err.stack : err}\n`); process.exitCode = 2; },
);

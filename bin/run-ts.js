#!/usr/bin/env node
// Runs a TypeScript entry point through tsx's CommonJS loader, so the checkout works without a build step.
require('tsx/cjs');
const path = require('node:path');
const script = process.argv[2];
if (!script) {
  process.stderr.write('usage: run-ts.js SCRIPT.ts [args...]\n');
  process.exit(2);
}
process.argv.splice(1, 2, path.resolve(script));
require(path.resolve(script));

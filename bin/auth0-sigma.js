#!/usr/bin/env node
// The `auth0-sigma` CLI: TypeScript sources run through tsx, so `npx auth0-sigma` works right after `npm install`.
require('tsx/cjs');
require('./cli.ts').main(process.argv).then(
  (code) => { process.exitCode = code; },
  (err) => { process.stderr.write(`auth0-sigma: ${err && err.stack ? err.stack : err}\n`); process.exitCode = 2; },
);

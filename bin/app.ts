// CDK app entry (cdk.json: `node bin/run-ts.js bin/app.ts`). Configuration and rule errors are printed as the
// list they are, without a stack trace, and fail the synth.

import { App } from 'aws-cdk-lib';
import { buildApp } from '../lib/app';
import { ConfigError } from '../lib/config';
import { RulesError } from '../lib/rules-artifact';

const app = new App();
try {
  buildApp(app);
} catch (err) {
  if (err instanceof ConfigError || err instanceof RulesError) {
    process.stderr.write(`\n${err.message}\n\n`);
    process.exit(1);
  }
  throw err;
}
app.synth();

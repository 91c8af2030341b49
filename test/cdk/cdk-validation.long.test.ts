// aws-cdk-lib's built-in CloudFormation validation (a WebAssembly engine: about 4 s to start per test file, 1-2 s
// per template), as `cdk synth` runs it with cdk.json, on the widest configuration (test/cdk/channels-app.ts).
// test/helpers/jest-setup.ts turns it off for every other test file: without cdk.json's
// `@aws-cdk/core:validateAgainstDefaultRules` it only warns, and channels-stack.cases.ts checks that template's
// content. In `npm run test:long` for its start-up cost.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, CfnResource, Stack } from 'aws-cdk-lib';
import type { BuiltApp } from '../../lib/app';
import { CDK_JSON_CONTEXT, VALIDATE, synthChannelsApp } from './channels-app';

let work: string;
let built: BuiltApp;
let validationBefore: string | undefined;

beforeAll(() => {
  validationBefore = process.env.CDK_VALIDATION;
  delete process.env.CDK_VALIDATION;
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'sigma-validation-test-'));
  built = synthChannelsApp(work);
}, 300_000);

afterAll(() => {
  if (validationBefore === undefined) delete process.env.CDK_VALIDATION;
  else process.env.CDK_VALIDATION = validationBefore;
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

test('cdk.json makes validation errors fatal, and the every-channel synth passes it', () => {
  expect(CDK_JSON_CONTEXT[VALIDATE]).toBe(true);
  expect(built.stack.node.tryGetContext(VALIDATE)).toBe(true);
  // Written whenever validation runs; an error would have failed the synth in beforeAll.
  const report = fs.readFileSync(path.join(work, 'cdk.out', 'validation-report.json'), 'utf8');
  expect(JSON.parse(report).pluginReports).toBeDefined();
  expect(report).not.toMatch(/"severity":\s*"(error|fatal)"/i);
});

test('the same validation fails a synth whose template is invalid (so the synth above could fail)', () => {
  const app = new App({ outdir: path.join(work, 'invalid.out'), context: { [VALIDATE]: true } });
  const stack = new Stack(app, 'Invalid');
  new CfnResource(stack, 'Queue', { type: 'AWS::SQS::Queue', properties: { VisibilityTimeout: 'not a number', NoSuchProperty: true } });
  expect(() => app.synth()).toThrow(/ERROR NoSuchProperty: Additional properties are not allowed.*CloudFormation Validate/);
  expect(fs.readFileSync(path.join(work, 'invalid.out', 'validation-report.json'), 'utf8')).toContain('VisibilityTimeout');
});

// aws-cdk-lib's built-in CloudFormation validation, as `cdk synth` runs it from cdk.json (which sets
// `@aws-cdk/core:validateAgainstDefaultRules`, so an error fails the synth). test/helpers/jest-setup.ts turns it
// off for the rest of the suite (about 4 s of WebAssembly start-up per test file, and without that context it can
// only warn); this file turns it back on for the widest configuration: every channel, storm control (the sweep and
// the state table), two tenants, the rule set with a correlation.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, CfnResource, Stack } from 'aws-cdk-lib';
import { buildApp } from '../../lib/app';

const ROOT = path.join(__dirname, '..', '..');
const CDK_JSON_CONTEXT = JSON.parse(fs.readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')).context as Record<string, unknown>;
const VALIDATE = '@aws-cdk/core:validateAgainstDefaultRules';

let work: string;
let validationBefore: string | undefined;

beforeAll(() => {
  validationBefore = process.env.CDK_VALIDATION;
  delete process.env.CDK_VALIDATION;
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'sigma-cfn-validation-'));
});

afterAll(() => {
  if (validationBefore === undefined) delete process.env.CDK_VALIDATION;
  else process.env.CDK_VALIDATION = validationBefore;
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

test('cdk.json makes validation errors fatal (the premise of this file)', () => {
  expect(CDK_JSON_CONTEXT[VALIDATE]).toBe(true);
});

test('the widest configuration passes CloudFormation validation with errors fatal', () => {
  const rules = path.join(work, 'rules');
  fs.mkdirSync(rules);
  fs.copyFileSync(path.join(ROOT, 'rules', 'api_explorer_token_copy.yml'), path.join(rules, 'seed.yml'));
  fs.copyFileSync(path.join(ROOT, 'rules', 'login', 'failed_logins_from_one_ip.yml'), path.join(rules, 'failed_logins.yml'));
  const app = new App({
    outdir: path.join(work, 'cdk.out'),
    context: {
      ...CDK_JSON_CONTEXT,
      tenants: [
        { name: 'prod', eventSourceName: 'aws.partner/auth0.com/acme-1234/auth0.logs', auth0Domain: 'acme.eu.auth0.com', placeholders: { api_explorer_client_id: 'AbCdEf0123456789' } },
        { eventSourceName: 'aws.partner/auth0.com/acme-dev-5678/auth0.logs', minLevel: 'high', placeholders: { api_explorer_client_id: 'DevDevDev0000001' } },
      ],
      alertEmails: 'sec@example.com',
      alertPhoneNumbers: '+14155550100',
      alarmEmails: 'ops@example.com',
      rulesDir: rules,
      stormControl: 'true',
      dashboard: 'auth0-sigma-ops',
      securityHub: 'true',
      slackWorkspaceId: 'T0123ABCD',
      slackChannelId: 'C0123ABCD',
      teamsTeamId: '0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0',
      teamsChannelId: '19:0123456789abcdef0123456789abcdef@thread.tacv2',
      teamsTenantId: 'aa11bb22-cc33-dd44-ee55-ff6677889900',
      reservedConcurrency: '5',
      logRetentionDays: '30',
      // Validation reads the template only; the bundles are built and inspected in stack.test.ts.
      'aws:cdk:bundling-stacks': [],
    },
  });
  const built = buildApp(app, { rulesBuildDir: path.join(work, 'build'), log: () => undefined });
  expect(built.stack.detector.state).toBeDefined();
  expect(() => app.synth()).not.toThrow();
  // Written when validation ran; warnings may be there, errors would have thrown above.
  const report = fs.readFileSync(path.join(work, 'cdk.out', 'validation-report.json'), 'utf8');
  expect(report).toContain('CloudFormation');
  expect(report).not.toMatch(/"severity":\s*"(error|fatal)"/i);
});

test('the same validation fails a synth whose template is invalid (so the test above can fail)', () => {
  const app = new App({ outdir: path.join(work, 'bad.out'), context: { [VALIDATE]: true } });
  const stack = new Stack(app, 'Invalid');
  new CfnResource(stack, 'Queue', { type: 'AWS::SQS::Queue', properties: { VisibilityTimeout: 'not a number', NoSuchProperty: true } });
  expect(() => app.synth()).toThrow(/Validation failed/);
  expect(fs.readFileSync(path.join(work, 'bad.out', 'validation-report.json'), 'utf8')).toContain('NoSuchProperty');
});

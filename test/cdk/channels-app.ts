// The widest configuration of the app (every channel of docs/channels.md, storm control, two Auth0 tenants),
// synthesized with cdk.json's context (its feature flags, as `cdk synth` runs): channels-stack.cases.ts checks the
// template, cdk-validation.long.test.ts runs aws-cdk-lib's built-in CloudFormation validation on it.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { buildApp, type BuiltApp } from '../../lib/app';

export const SOURCE = 'aws.partner/auth0.com/acme-1234/auth0.logs';
export const DEV_SOURCE = 'aws.partner/auth0.com/acme-dev-5678/auth0.logs';
export const TEAMS_CHANNEL = '19:0123456789abcdef0123456789abcdef@thread.tacv2';
const ROOT = path.join(__dirname, '..', '..');

/** cdk.json's context, including `@aws-cdk/core:validateAgainstDefaultRules` (validation errors fatal). */
export const CDK_JSON_CONTEXT = JSON.parse(fs.readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')).context as Record<string, unknown>;
export const VALIDATE = '@aws-cdk/core:validateAgainstDefaultRules';

/**
 * Synthesizes the every-channel app into `<work>/cdk.out` (rules in `<work>/rules`, the rules build in
 * `<work>/build`), without bundling: nothing that uses it reads the bundle, and the two functions' bundles are the
 * same code whatever the channels (stack.cases.ts and correlation-stack.cases.ts build and inspect them).
 */
export function synthChannelsApp(work: string): BuiltApp {
  fs.mkdirSync(path.join(work, 'rules'));
  fs.copyFileSync(path.join(ROOT, 'rules', 'api_explorer_token_copy.yml'), path.join(work, 'rules', 'seed.yml'));
  const app = new App({
    outdir: path.join(work, 'cdk.out'),
    context: {
      ...CDK_JSON_CONTEXT,
      tenants: [
        { name: 'prod', eventSourceName: SOURCE, auth0Domain: 'acme.eu.auth0.com', placeholders: { api_explorer_client_id: 'AbCdEf0123456789' } },
        { eventSourceName: DEV_SOURCE, minLevel: 'high', placeholders: { api_explorer_client_id: 'DevDevDev0000001' } },
      ],
      alertEmails: 'sec@example.com',
      rulesDir: path.join(work, 'rules'),
      auth0Domain: 'acme.eu.auth0.com',
      stormControl: 'true',
      dashboard: 'auth0-sigma-ops',
      securityHub: 'true',
      securityHubMinLevel: 'medium',
      slackWorkspaceId: 'T0123ABCD',
      slackChannelId: 'C0123ABCD',
      teamsTeamId: '0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0',
      teamsChannelId: TEAMS_CHANNEL,
      teamsTenantId: 'aa11bb22-cc33-dd44-ee55-ff6677889900',
      chatMinLevel: 'high',
      'aws:cdk:bundling-stacks': [],
    },
  });
  const built = buildApp(app, { rulesBuildDir: path.join(work, 'build'), log: () => undefined });
  app.synth();
  return built;
}

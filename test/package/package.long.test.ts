// The published package as another team would use it: `npm pack`, install the tarball into a fresh project (from the
// local npm cache when it has everything, the npm registry otherwise), then
//  - `npx auth0-sigma scan` on a sample, through the installed bin (compiled JavaScript, no tsx installed);
//  - the engine (`auth0-sigma`) and the construct (`auth0-sigma/cdk`) type-checked through the package's
//    `exports` and declarations;
//  - a small CDK app with SigmaDetector synthesized: the Lambda bundled by esbuild from the installed package.
// Slow (builds, packs, installs aws-cdk-lib): `npm run test:long` only.

import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const REPO = path.join(__dirname, '..', '..');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const NPX = process.platform === 'win32' ? 'npx.cmd' : 'npx';

let work: string;
let app: string;

function sh(command: string, args: string[], cwd: string, input?: string): SpawnSyncReturns<string> {
  const r = spawnSync(command, args, {
    cwd,
    input,
    encoding: 'utf8',
    timeout: 10 * 60 * 1000,
    // CI sets CI=true; npm must not ask anything, and the consumer must not see this repository's tsx.
    env: { ...process.env, npm_config_yes: 'true', npm_config_audit: 'false', npm_config_fund: 'false', NODE_OPTIONS: '' },
  });
  if (r.error) throw r.error;
  return r;
}

function ok(r: SpawnSyncReturns<string>, what: string): string {
  if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status}):\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
  return r.stdout;
}

function installedVersion(name: string): string {
  return (JSON.parse(fs.readFileSync(path.join(REPO, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
}

// A rule of our own (not one of rules/): the package must work with the user's rule folder.
const RULE = `title: Login from the test network
id: 0d1b7b1e-5a57-4f0e-9d55-4d6f3b2f0a11
status: experimental
description: A successful login from 198.51.100.0/24, for the package test.
logsource:
  product: auth0
detection:
  selection:
    data.type: s
    data.ip|cidr: 198.51.100.0/24
  condition: selection
level: high
`;

const EVENTS = [
  { log_id: 'pkg-1', data: { date: '2026-11-20T08:00:00.000Z', type: 's', ip: '198.51.100.7', user_name: 'alice@example.org' } },
  { log_id: 'pkg-2', data: { date: '2026-11-20T08:00:01.000Z', type: 's', ip: '203.0.113.9', user_name: 'bob@example.org' } },
  { log_id: 'pkg-3', data: { date: '2026-11-20T08:00:02.000Z', type: 'f', ip: '198.51.100.8', user_name: 'carol@example.org' } },
];

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'auth0-sigma-package-'));
  // `npm pack` runs `prepack` (npm run build): the tarball holds freshly compiled dist/.
  const packed = JSON.parse(ok(sh(NPM, ['pack', '--json', '--pack-destination', work], REPO), 'npm pack')) as { filename: string; files: { path: string }[] }[];
  const tarball = path.join(work, packed[0]!.filename);
  const files = packed[0]!.files.map((f) => f.path);
  // What the package must and must not carry.
  expect(files).toEqual(expect.arrayContaining(['dist/bin/cli.js', 'dist/lambda/handler.js', 'dist/lambda/sigma/index.d.ts', 'dist/lib/index.d.ts', 'bin/auth0-sigma.js', 'LICENSE']));
  expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
  expect(files.filter((f) => f.startsWith('test/') || f.startsWith('node_modules/'))).toEqual([]);

  app = path.join(work, 'consumer');
  fs.mkdirSync(path.join(app, 'rules'), { recursive: true });
  fs.writeFileSync(path.join(app, 'rules', 'test-network.yml'), RULE);
  fs.writeFileSync(path.join(app, 'events.ndjson'), EVENTS.map((e) => JSON.stringify(e)).join('\n') + '\n');
  fs.writeFileSync(
    path.join(app, 'package.json'),
    JSON.stringify({
      name: 'auth0-sigma-consumer',
      version: '1.0.0',
      private: true,
      dependencies: {
        'auth0-sigma': `file:${tarball}`,
        // The app's own CDK, as any CDK app has it (the package takes them as peer dependencies).
        'aws-cdk-lib': installedVersion('aws-cdk-lib'),
        constructs: installedVersion('constructs'),
      },
    }, null, 2),
  );
  ok(sh(NPM, ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], app), 'npm install of the tarball');
}, 20 * 60 * 1000);

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

test('the installed bin runs compiled JavaScript: `npx auth0-sigma scan` finds the one matching event', () => {
  // The package does not depend on tsx: the bin cannot fall back to TypeScript.
  expect(fs.existsSync(path.join(app, 'node_modules', 'tsx'))).toBe(false);
  expect(fs.existsSync(path.join(app, 'node_modules', 'auth0-sigma', 'bin', 'cli.ts'))).toBe(false);
  const r = sh(NPX, ['--no-install', 'auth0-sigma', 'scan', '--format', 'json', '--rules', 'rules', 'events.ndjson'], app);
  ok(r, 'npx auth0-sigma scan');
  const detections = r.stdout.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as { rule: { id: string }; event?: unknown });
  expect(detections).toHaveLength(1);
  expect(detections[0]!.rule.id).toBe('0d1b7b1e-5a57-4f0e-9d55-4d6f3b2f0a11');
  expect(JSON.stringify(detections[0])).toContain('pkg-1');
  const version = sh(NPX, ['--no-install', 'auth0-sigma', '--version'], app);
  expect(ok(version, 'auth0-sigma --version').trim()).toBe((JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string }).version);
});

test('the engine and the construct type-check through the package exports', () => {
  fs.writeFileSync(
    path.join(app, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'node16', moduleResolution: 'node16', strict: true, noEmit: true, skipLibCheck: true, types: [] }, files: ['check.ts'] }),
  );
  fs.writeFileSync(
    path.join(app, 'check.ts'),
    [
      "import { loadRulesFromText, CompiledRuleSet, type RuleSetModel } from 'auth0-sigma';",
      "import * as engine from 'auth0-sigma/engine';",
      "import { SigmaDetector, type SigmaDetectorProps, loadDeployRules, writeRulesFile } from 'auth0-sigma/cdk';",
      'const model: RuleSetModel = loadRulesFromText([{ file: "r.yml", text: "" }]).model;',
      'export const compiled = new CompiledRuleSet(model);',
      'export const same: typeof engine.CompiledRuleSet = CompiledRuleSet;',
      'export const props: Pick<SigmaDetectorProps, "rulesFile"> = { rulesFile: writeRulesFile(model) };',
      'export const used = [SigmaDetector, loadDeployRules];',
      '',
    ].join('\n'),
  );
  const tsc = path.join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
  ok(sh(process.execPath, [tsc, '-p', 'tsconfig.json'], app), 'tsc on the consumer');
});

test('a CDK app using SigmaDetector from the installed package synthesizes, with the Lambda bundled from it', () => {
  const outdir = path.join(app, 'cdk.out');
  fs.writeFileSync(
    path.join(app, 'app.js'),
    `const path = require('node:path');
const { App, Stack } = require('aws-cdk-lib');
const events = require('aws-cdk-lib/aws-events');
const { SigmaDetector, loadDeployRules, writeRulesFile } = require('auth0-sigma/cdk');
const { buildEventPattern } = require('auth0-sigma');

const rules = loadDeployRules({ rulesDir: 'rules', placeholders: {}, minLevel: 'low', root: __dirname });
const app = new App({ outdir: ${JSON.stringify(outdir)} });
const stack = new Stack(app, 'ConsumerStack');
new SigmaDetector(stack, 'Detector', {
  sourceBus: events.EventBus.fromEventBusName(stack, 'Auth0Bus', 'auth0-logs'),
  rulesFile: writeRulesFile(rules.model, path.join(__dirname, 'build')),
  eventPattern: buildEventPattern(rules.model).pattern,
  alertEmails: ['secops@example.org'],
});
app.synth();
`,
  );
  ok(sh(process.execPath, ['app.js'], app), 'synth of the consumer app');
  const template = JSON.parse(fs.readFileSync(path.join(outdir, 'ConsumerStack.template.json'), 'utf8')) as { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };
  const functions = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function' && String((r.Properties.Description as string | undefined) ?? '').startsWith('auth0-sigma'));
  expect(functions).toHaveLength(1);
  const code = functions[0]!.Properties.Code as { S3Key: string };
  const asset = path.join(outdir, `asset.${code.S3Key.replace(/\.zip$/, '')}`);
  expect(fs.readdirSync(asset).sort()).toEqual(['aws-sdk', 'index.js', 'index.js.map', 'rules.json']);
  expect((JSON.parse(fs.readFileSync(path.join(asset, 'rules.json'), 'utf8')) as { rules: { id: string }[] }).rules.map((r) => r.id)).toEqual(['0d1b7b1e-5a57-4f0e-9d55-4d6f3b2f0a11']);
  // The bundled handler runs: required from the asset, it evaluates an event against the rule set beside it.
  const probe = `const { handler } = require(${JSON.stringify(path.join(asset, 'index.js'))});
handler(${JSON.stringify({ version: '0', id: '1', 'detail-type': 'Auth0 log', source: 'aws.partner/auth0.com/t', account: '123456789012', time: '2026-11-20T08:00:00Z', region: 'eu-west-1', resources: [], detail: EVENTS[1] })})
  .then((s) => process.stdout.write(JSON.stringify(s)), (e) => { console.error(e); process.exit(1); });`;
  const run = sh(process.execPath, ['-e', probe], app);
  ok(run, 'the bundled handler');
  expect(JSON.parse(run.stdout.trim().split('\n').pop()!)).toEqual({ evaluated: 1, malformed: 0, detections: 0 });
});

// The papercuts a new user hits first (issue 12): rule paths as arguments, counts and exit codes that tell the
// truth, typo hints, paths printed one way, JSON without repetition, and AWS errors that say what to do.

import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { Readable, Writable } from 'node:stream';
import { RulesError } from '../../lib/rules-artifact';
import { awsSetupProblem, redriveCommand } from '../../bin/cli/redrive';
import type { CliIO } from '../../bin/cli/io';
import { API_EXPLORER_ID, FIXTURES, REPO, lines, run } from './helpers';

const RULES = `${FIXTURES}/rules`;
const SEED = 'rules/api_explorer_token_copy.yml';
const SEED_ID = '90a9a856-716d-11f0-bb81-723487b9527c';
const LOGS = `${FIXTURES}/logs`;

const RULE = (title: string, selection: string[]) => [
  `title: ${title}`,
  'logsource:',
  '    product: auth0',
  'detection:',
  '    selection:',
  ...selection.map((l) => `        ${l}`),
  '    condition: selection',
  'level: low',
  '',
].join('\n');

/** A rule folder outside the working directory (the repository), so relative and absolute paths differ. */
function tempRules(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'auth0-sigma-front-door-'));
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

afterAll(() => {
  for (const entry of fs.readdirSync(os.tmpdir())) {
    if (entry.startsWith('auth0-sigma-front-door-')) fs.rmSync(path.join(os.tmpdir(), entry), { recursive: true, force: true });
  }
});

describe('rule paths as arguments', () => {
  test('check, test and explain take rule paths as arguments, like --rules', async () => {
    const positional = await run(['check', RULES]);
    const option = await run(['check', '--rules', RULES]);
    expect(positional.code).toBe(0);
    expect(positional.stdout).toBe(option.stdout);

    const tested = await run(['test', RULES]);
    expect(tested.code).toBe(0);
    expect(tested.stdout).toBe((await run(['test', '--rules', RULES])).stdout);
    expect(lines(tested.stdout).pop()).toMatch(/^[1-9]\d* passed, 0 failed$/);

    const args = ['--rule', SEED_ID, '--set', `api_explorer_client_id=${API_EXPLORER_ID}`];
    const explained = await run(['explain', SEED, ...args, `${LOGS}/seed-event.json`]);
    expect(explained.code).toBe(0);
    expect(explained.stdout).toContain('result: MATCH');
    // Without a rule path explain still reads ./rules, and the last argument is always the event file.
    expect((await run(['explain', ...args, `${LOGS}/seed-event.json`])).code).toBe(0);
  });

  test('arguments and --rules add up; a missing path is a usage error naming it', async () => {
    const both = await run(['check', SEED, '--rules', RULES, '--set', `api_explorer_client_id=${API_EXPLORER_ID}`]);
    expect(both.code).toBe(0);
    expect(both.stdout).toContain('4 rule files: 4 rules enabled');
    const missing = await run(['check', 'no-such-folder']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("rules path 'no-such-folder' does not exist");
  });

  test('the command cdk synth suggests when rules fail is one the CLI accepts', async () => {
    const message = new RulesError('rules', ['rules/x.yml:1:1: error: something']).message;
    const suggested = /`npx auth0-sigma ([^`]+)`/.exec(message);
    expect(suggested).not.toBeNull();
    const r = await run(suggested![1].split(' '));
    expect(r.code).not.toBe(2); // not a usage error: it runs the check (which fails here on the unset placeholder)
    expect(r.stdout).toMatch(/check (passed|failed)/);
  });
});

describe('check summary', () => {
  test('a YAML syntax error counts as a rule with errors', async () => {
    const dir = tempRules({
      'good.yml': RULE('Good rule', ['data.type: s']),
      'broken.yml': `${RULE('Fine rule in a broken file', ['data.type: f'])}---\ntitle: Broken\ndetection: [\n`,
    });
    const r = await run(['check', dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/: error: /);
    expect(r.stdout).toContain('2 rule files: 2 rules enabled (2 detection, 0 correlation), 0 skipped, 1 with errors');
  });

  test('an unknown modifier gets a "did you mean"', async () => {
    const r = await run(['check', `${FIXTURES}/rules-bad`]);
    expect(r.stdout).toMatch(/error: unknown modifier 'startwith' .* — did you mean 'startswith'\? \(supported modifiers: /);
    const far = tempRules({ 'far.yml': RULE('Far', ['data.type|zzzzzzzzzz: s']) });
    const farOut = await run(['check', far]);
    expect(farOut.stdout).toContain("unknown modifier 'zzzzzzzzzz'");
    expect(farOut.stdout).not.toContain('did you mean');
  });
});

describe('check and test print the same paths', () => {
  test('a rule folder outside the working directory is named the same way by both', async () => {
    const dir = tempRules({
      'r.yml': RULE('Needs a fixture fix', ['data.type: s']),
      'r.test.yml': 'tests:\n  - no-match: []\n',
      'other.yml': RULE('Has an error', ['data.type|startwith: s']),
    });
    const checked = await run(['check', dir]);
    const tested = await run(['test', dir]);
    const shown = path.relative(REPO, dir).split(path.sep).join('/');
    expect(shown.startsWith('../')).toBe(true);
    expect(checked.stdout).toContain(`${shown}/other.yml:`);
    expect(tested.stdout).toContain(`${shown}/r.test.yml`);
    // Never the absolute form (which the relative one contains, after its leading ../..).
    const absolute = new RegExp(`(^|[^.])${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`, 'm');
    expect(tested.stdout).not.toMatch(absolute);
    expect(checked.stdout).not.toMatch(absolute);
  });
});

describe('scan when rules fail to load', () => {
  const args = ['scan', '--rules', `${FIXTURES}/rules-bad`, `${LOGS}/stream.ndjson`];

  test('says so loudly, scans with the rest, and exits 1', async () => {
    const r = await run(args);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error: 1 rule failed to load and was NOT evaluated');
    expect(lines(r.stderr).pop()).toMatch(/^scan incomplete: 1 rule failed to load .* pass --allow-rule-errors to accept a scan without them$/);
    expect(lines(r.stdout)).toHaveLength(1); // the good rule still ran
  });

  test('--allow-rule-errors accepts it: a warning, exit 0', async () => {
    const r = await run([...args, '--allow-rule-errors']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('warning: 1 rule failed to load and was NOT evaluated');
    expect(r.stderr).not.toContain('scan incomplete');
  });

  test('an unset placeholder still only skips its rule (a warning, exit 0)', async () => {
    const r = await run(['scan', '--rules', SEED, `${LOGS}/stream.ndjson`]);
    expect(r.code).toBe(0);
    expect(r.stderr).not.toContain('scan incomplete');
  });
});

describe('scan --format json', () => {
  test('meta holds the rule keys the summary does not already carry', async () => {
    const r = await run(['scan', '--format', 'json', '--config', 'samples/placeholders.yml', 'samples/auth0-logs.ndjson']);
    expect(r.code).toBe(0);
    const detections = lines(r.stdout).map((l) => JSON.parse(l) as { rule: { id: string; meta: Record<string, unknown> } });
    expect(detections.length).toBeGreaterThan(0);
    for (const d of detections) {
      expect(d.rule.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(Object.keys(d.rule.meta)).toEqual(expect.not.arrayContaining(['id', 'title', 'level', 'tags']));
    }
    // What notifications read from meta is still there.
    expect(detections.some((d) => typeof d.rule.meta.description === 'string')).toBe(true);
  });
});

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _e: BufferEncoding, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

describe('redrive without a working AWS setup', () => {
  const QUEUE = 'https://sqs.eu-west-1.amazonaws.com/123456789012/FailedInvocationQueue';
  const sqsMock = mockClient(SQSClient);
  afterEach(() => sqsMock.reset());
  afterAll(() => sqsMock.restore());

  const io = (): CliIO & { stdout: Capture; stderr: Capture } => ({
    stdout: new Capture(), stderr: new Capture(), stdin: Readable.from([]), cwd: REPO, stderrIsTTY: false,
  });

  test('missing credentials: what is missing and how to provide it, exit 1', async () => {
    const noCredentials = Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' });
    sqsMock.on(ReceiveMessageCommand).rejects(noCredentials);
    const out = io();
    expect(await redriveCommand(out, { queue: QUEUE, dryRun: true })).toBe(1);
    expect(out.stderr.text).toMatch(/^auth0-sigma redrive: no AWS credentials found \(Could not load credentials from any providers\); provide them as for the AWS CLI: AWS_PROFILE=/);
    expect(out.stderr.text).toContain('AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY');
    expect(out.stderr.text).not.toMatch(/\n\s+at /);
  });

  test('a request AWS refuses is one line naming the error; other failures stay errors', () => {
    const denied = Object.assign(new Error('User is not authorized to perform: sqs:receivemessage'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    expect(awsSetupProblem(denied)).toMatch(/^AWS refused the request \(AccessDenied: User is not authorized/);
    expect(awsSetupProblem(new Error('Region is missing'))).toMatch(/^no AWS region: pass --region/);
    expect(awsSetupProblem(new TypeError('x is undefined'))).toBeUndefined();
    expect(awsSetupProblem('text')).toBeUndefined();
  });

  test('the installed command, with no credentials anywhere: no stack trace, exit 1', () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'auth0-sigma-front-door-'));
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: home,
      AWS_CONFIG_FILE: path.join(home, 'none'),
      AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'none'),
      AWS_EC2_METADATA_DISABLED: 'true',
    };
    const r = spawnSync(process.execPath, ['bin/auth0-sigma.js', 'redrive', '--queue', QUEUE, '--dry-run'], { cwd: REPO, env, encoding: 'utf8', timeout: 60000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('auth0-sigma redrive: no AWS credentials found');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

test('`auth0-sigma --help | head`: a reader that went away is no crash', async () => {
  const child = spawn(process.execPath, ['bin/auth0-sigma.js', 'check', '--help'], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.destroy(); // closed before the CLI writes anything: every write gets EPIPE
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  expect(stderr).not.toContain('EPIPE');
  expect(code).toBe(0);
}, 60000);


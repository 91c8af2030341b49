// AWS SDK clients loaded on first use (lambda/aws-clients.ts): the getters make a client once and only when asked,
// a sink built with a lazy client still reaches the class aws-sdk-client-mock replaced, and in the Lambda bundle
// (the stack's esbuild settings) a cold start that sends nothing loads no SDK module, while the SDK modules built
// beside index.js export what the getters use.

import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import * as esbuild from 'esbuild';
import { lambdaEsbuildOptions, SDK_MODULES, SDK_MODULES_DIR, sdkModulesBuildOptions } from '../../lib/lambda-bundle-options';
import { clientOf, lazyDynamoDbClient, lazySnsClient, snsSdk } from '../../lambda/aws-clients';
import { SnsNotifier } from '../../lambda/notify/sns-publisher';
import { loadRulesFromText } from '../../lambda/sigma/loader';
import type { Detection } from '../../lambda/sigma/types';

const ROOT = path.join(__dirname, '..', '..');
const DETECTION: Detection = {
  rule: { id: 'aaaaaaaa-1111-4222-8333-444444444444', title: 'Token copied from the API Explorer', level: 'high', tags: [] },
  log_id: '90020251202050000000000000000000000000000000000000001',
  date: '2026-12-02T04:59:58.000Z',
  type: 'seccft',
};

describe('lazy clients', () => {
  test('a getter makes its client on the first call, once, with the pipeline retry setting', async () => {
    const getSns = lazySnsClient();
    const first = getSns();
    expect(first).toBeInstanceOf(SNSClient);
    expect(getSns()).toBe(first);
    expect(await first.config.maxAttempts()).toBe(5);
    // Each getter is its own client: two sinks configured apart do not share one by accident.
    expect(lazySnsClient()()).not.toBe(first);
    expect(clientOf(first)).toBe(first);
    expect(clientOf(getSns)).toBe(first);
  });

  test('the SDK module is the package the tests mock: a sink with a lazy client sends through the mock', async () => {
    expect(snsSdk().SNSClient).toBe(SNSClient);
    expect(snsSdk().PublishCommand).toBe(PublishCommand);
    const snsMock = mockClient(SNSClient);
    try {
      snsMock.on(PublishCommand).resolves({ MessageId: 'm-1' });
      const notifier = new SnsNotifier(lazySnsClient(), { topicArn: 'arn:aws:sns:eu-west-1:123456789012:t' });
      await notifier.deliver([{ detection: DETECTION }]);
      expect(snsMock.commandCalls(PublishCommand)).toHaveLength(1);
      expect(snsMock.commandCalls(PublishCommand)[0].args[0].input.TopicArn).toBe('arn:aws:sns:eu-west-1:123456789012:t');
    } finally {
      snsMock.restore();
    }
  });

  test('a client getter runs only when a client is needed', () => {
    let calls = 0;
    const getter = lazyDynamoDbClient();
    const counted = (): ReturnType<typeof getter> => {
      calls++;
      return getter();
    };
    expect(calls).toBe(0);
    expect(clientOf(counted)).toBe(clientOf(counted));
    expect(calls).toBe(2);
  });
});

describe('the Lambda bundle', () => {
  let work: string;
  let bundledInputs: string[];
  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'aws-clients-'));
    const built = await esbuild.build({
      ...lambdaEsbuildOptions(), entryPoints: [path.join(ROOT, 'lambda', 'handler.ts')], outfile: path.join(work, 'index.js'), metafile: true, logLevel: 'silent',
    });
    bundledInputs = Object.keys(built.metafile.inputs);
    await esbuild.build({ ...sdkModulesBuildOptions(path.join(ROOT, 'lambda'), work), logLevel: 'silent' });
    // A detection rule and a correlation over it: with the state table named, the correlator and the delivery
    // ledger are built at start (their DynamoDB client included).
    const text = fs.readFileSync(path.join(ROOT, 'rules', 'login', 'failed_logins_from_one_ip.yml'), 'utf8');
    const loaded = loadRulesFromText([{ file: 'failed_logins_from_one_ip.yml', text }]);
    expect(loaded.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    fs.writeFileSync(path.join(work, 'rules.json'), JSON.stringify(loaded.model));
  });
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  test('index.js holds no AWS SDK client; a cold start whose event matches nothing loads none', () => {
    expect(bundledInputs.some((f) => f.includes('@aws-lambda-powertools/'))).toBe(true);
    expect(bundledInputs.filter((f) => /node_modules\/@(aws-sdk|smithy)\//.test(f))).toEqual([]);
    const script = [
      `const { handler } = require(${JSON.stringify(path.join(work, 'index.js'))});`,
      `const event = { 'detail-type': 'Auth0 log', source: 'aws.partner/auth0.com/x/auth0.logs', detail: { log_id: 'L-1', data: { log_id: 'L-1', type: 's', date: '2026-12-02T05:00:00.000Z', ip: '203.0.113.9' } } };`,
      `handler(event).then(() => process.stdout.write('LOADED ' + JSON.stringify(Object.keys(require.cache).map((f) => require('path').relative(${JSON.stringify(work)}, f)))));`,
    ].join('\n');
    const out = execFileSync(process.execPath, ['-e', script], {
      env: {
        PATH: process.env.PATH ?? '', AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'AKIDTEST', AWS_SECRET_ACCESS_KEY: 'secret-test',
        AWS_ENDPOINT_URL: 'http://127.0.0.1:9', SIGMA_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:topic',
        SIGMA_CORRELATION_TABLE: 'auth0-sigma-test', POWERTOOLS_LOG_LEVEL: 'ERROR',
      },
      encoding: 'utf8',
    });
    const loadedFiles = JSON.parse(out.slice(out.indexOf('LOADED ') + 'LOADED '.length)) as string[];
    expect(loadedFiles).toContain('index.js');
    expect(loadedFiles.filter((f) => f.startsWith(SDK_MODULES_DIR))).toEqual([]);
  });

  test('each SDK module beside index.js exports what lambda/aws-clients.ts takes from it', () => {
    for (const name of SDK_MODULES) {
      const built = require(path.join(work, SDK_MODULES_DIR, `${name}.js`)) as Record<string, unknown>;
      const source = require(path.join(ROOT, 'lambda', SDK_MODULES_DIR, name)) as Record<string, unknown>;
      const names = Object.keys(source).filter((k) => k !== '__esModule').sort();
      expect(names.length).toBeGreaterThan(1);
      expect(Object.keys(built).filter((k) => k !== '__esModule').sort()).toEqual(names);
      for (const k of names) expect(typeof built[k]).toBe('function');
    }
  });
});

// The deployable artifact: two synths that differ only in a rule placeholder (a rule change must change the
// Lambda asset), the variant without a partner bus and without detection events, and the real esbuild
// bundle run by a plain `node` process against a fake AWS endpoint on 127.0.0.1.

import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../lib/app';

/** Declares this file's tests: test/cdk/app-synths.test.ts runs them in a describe block of their own. */
export function rulesAssetCases(): void {
  const ROOT = path.join(__dirname, '..', '..');
  const BUS_ARN = 'arn:aws:events:eu-west-1:123456789012:event-bus/auth0-logs';
  const CLIENT_A = 'AbCdEf0123456789';

  let work: string;

  interface Synth {
    template: Template;
    assetDir: string;
    codeKey: string;
  }

  function synth(name: string, clientId: string): Synth {
    const app = new App({
      outdir: path.join(work, `${name}.out`),
      context: {
        eventBusArn: BUS_ARN,
        alertEmails: 'sec@example.com',
        detectionBus: 'none',
        placeholders: { api_explorer_client_id: clientId },
        rulesDir: path.join(work, 'rules'),
      },
    });
    const built = buildApp(app, { rulesBuildDir: path.join(work, 'build'), log: () => undefined });
    const assembly = app.synth();
    const template = Template.fromStack(built.stack);
    const code = Object.values(template.findResources('AWS::Lambda::Function'))[0].Properties.Code as { S3Key: string };
    return { template, codeKey: code.S3Key, assetDir: path.join(assembly.directory, `asset.${code.S3Key.replace(/\.zip$/, '')}`) };
  }

  let a: Synth;
  let b: Synth;

  beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'sigma-asset-test-'));
    fs.mkdirSync(path.join(work, 'rules'));
    fs.copyFileSync(path.join(ROOT, 'rules', 'api_explorer_token_copy.yml'), path.join(work, 'rules', 'seed.yml'));
    a = synth('a', CLIENT_A);
    b = synth('b', 'ZzYyXx9876543210');
  }, 400_000);

  afterAll(() => {
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  test('a rule change changes the Lambda asset (visible in cdk diff)', () => {
    expect(a.codeKey).not.toBe(b.codeKey);
    const rulesOf = (s: Synth) => JSON.parse(fs.readFileSync(path.join(s.assetDir, 'rules.json'), 'utf8')).rules[0].detection.identifiers.selection.items;
    expect(rulesOf(a)[1].values).toEqual([CLIENT_A]);
    expect(rulesOf(b)[1].values).toEqual(['ZzYyXx9876543210']);
  });

  describe('imported bus, detection events off', () => {
    test('no bus is created; the rule sits on the imported bus', () => {
      a.template.resourceCountIs('AWS::Events::EventBus', 0);
      a.template.hasResourceProperties('AWS::Events::Rule', { EventBusName: 'auth0-logs' });
      expect(a.template.findOutputs('EventBusName').EventBusName.Value).toBe('auth0-logs');
    });

    test('the function may not put events anywhere and is not told of a bus', () => {
      const policy = JSON.stringify(a.template.findResources('AWS::IAM::Policy'));
      expect(policy).not.toContain('events:PutEvents');
      const fn = Object.values(a.template.findResources('AWS::Lambda::Function'))[0].Properties;
      expect(fn.Environment.Variables.SIGMA_DETECTION_BUS).toBeUndefined();
      expect(fn.ReservedConcurrentExecutions).toBeUndefined();
    });
  });

  describe('the real bundle in a plain node process', () => {
    interface Captured {
      target?: string;
      body: string;
    }
    const requests: Captured[] = [];
    let server: http.Server;
    let endpoint: string;

    beforeAll(async () => {
      server = http.createServer((req, res) => {
        let body = '';
        req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
        req.on('end', () => {
          const target = req.headers['x-amz-target'] as string | undefined;
          requests.push({ target, body });
          if (target === 'AWSEvents.PutEvents') {
            res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
            res.end(JSON.stringify({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] }));
          } else if (body.includes('Action=Publish')) {
            res.writeHead(200, { 'content-type': 'text/xml' });
            res.end('<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>m-1</MessageId></PublishResult><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></PublishResponse>');
          } else {
            res.writeHead(400);
            res.end();
          }
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });

    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    const envelope = (logId: string, data: Record<string, unknown>) => ({
      'detail-type': 'Auth0 log',
      source: 'aws.partner/auth0.com/acme-1234/auth0.logs',
      detail: { log_id: logId, data },
    });
    const seed = envelope('9002025091700000000000000000000000000000000000001', {
      type: 'seccft', client_id: CLIENT_A, client_name: 'API Explorer Application', date: '2025-09-17T10:11:12.123Z',
      ip: '203.0.113.7', user_name: 'admin@acme.example', user_agent: 'UA-MARKER-not-to-be-logged',
    });
    const other = envelope('9002025091700000000000000000000000000000000000002', { type: 'seccft', client_id: 'other' });
    const malformed = { 'detail-type': 'Auth0 log', source: 'aws.partner/auth0.com/x/auth0.logs', detail: { log_id: 'bad-1' } };

    function runBundle(events: unknown[]): Promise<{ stdout: string; stderr: string }> {
      const script = [
        `const { handler } = require(${JSON.stringify(path.join(a.assetDir, 'index.js'))});`,
        `const context = { awsRequestId: 'req-bundle-1', functionName: 'auth0-sigma-test', functionVersion: '$LATEST', memoryLimitInMB: '512', invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:auth0-sigma-test' };`,
        `(async () => { for (const e of ${JSON.stringify(events)}) process.stdout.write('RESULT ' + JSON.stringify(await handler(e, context)) + '\\n'); })()`,
        `.catch((e) => { process.stderr.write('FAILED ' + e.message); process.exit(3); });`,
      ].join('\n');
      const env = {
        PATH: process.env.PATH ?? '',
        AWS_REGION: 'eu-west-1',
        AWS_ACCESS_KEY_ID: 'AKIDTEST',
        AWS_SECRET_ACCESS_KEY: 'secret-test',
        AWS_ENDPOINT_URL: endpoint,
        AWS_CONFIG_FILE: path.join(work, 'no-config'),
        AWS_SHARED_CREDENTIALS_FILE: path.join(work, 'no-credentials'),
        // As in Lambda: the rule set is loaded and compiled when the module loads.
        AWS_LAMBDA_FUNCTION_NAME: 'auth0-sigma-test',
        SIGMA_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:topic',
        SIGMA_DETECTION_BUS: BUS_ARN,
        POWERTOOLS_SERVICE_NAME: 'auth0-sigma',
      };
      return new Promise((resolve, reject) => {
        // cwd outside the repository: the bundle must not need node_modules.
        execFile(process.execPath, ['-e', script], { cwd: work, env, timeout: 60_000 }, (error, stdout, stderr) => {
          if (error) reject(new Error(`${error.message}\n${stdout}\n${stderr}`));
          else resolve({ stdout, stderr });
        });
      });
    }

    test('matching, non-matching and malformed events: one publish, one PutEvents, nothing thrown', async () => {
      const { stdout } = await runBundle([seed, other, malformed]);
      const results = stdout.split('\n').filter((l) => l.startsWith('RESULT ')).map((l) => JSON.parse(l.slice(7)));
      expect(results).toEqual([
        { evaluated: 1, malformed: 0, detections: 1 },
        { evaluated: 1, malformed: 0, detections: 0 },
        { evaluated: 0, malformed: 1, detections: 0 },
      ]);

      const publishes = requests.filter((r) => r.body.includes('Action=Publish'));
      expect(publishes).toHaveLength(1);
      const form = new URLSearchParams(publishes[0].body);
      expect(form.get('MessageStructure')).toBe('json');
      expect(form.get('Subject')).toMatch(/^\[auth0-sigma\] MEDIUM: High Risk Actions/);
      const attributes = new Map<string, string | null>();
      for (let i = 1; form.has(`MessageAttributes.entry.${i}.Name`); i++) {
        attributes.set(form.get(`MessageAttributes.entry.${i}.Name`)!, form.get(`MessageAttributes.entry.${i}.Value.StringValue`));
      }
      expect(attributes.get('level')).toBe('medium');
      expect(attributes.get('rule_id')).toBe('90a9a856-716d-11f0-bb81-723487b9527c');
      expect(JSON.parse(JSON.parse(form.get('Message')!).default).log_id).toBe('9002025091700000000000000000000000000000000000001');

      const puts = requests.filter((r) => r.target === 'AWSEvents.PutEvents');
      expect(puts).toHaveLength(1);
      expect(JSON.parse(puts[0].body).Entries[0]).toMatchObject({ Source: 'auth0-sigma', DetailType: 'Sigma detection', EventBusName: BUS_ARN });

      // Powertools wrote structured logs and EMF metrics, and no event content.
      expect(stdout).toContain('"EventsEvaluated"');
      expect(stdout).toContain('"MalformedEvents"');
      expect(stdout).toMatch(/"message":"detector ready".*"rules":1/);
      expect(stdout).toContain('"function_request_id":"req-bundle-1"');
      expect(stdout).not.toContain('UA-MARKER-not-to-be-logged');
    }, 90_000);
  });
}

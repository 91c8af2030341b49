// Rules at synth: every rule error and unresolved placeholder fails the synth with the full list; the
// validated model is written as a content-addressed rules.json.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { buildApp } from '../../lib/app';
import { ConfigError } from '../../lib/config';
import { loadDeployRules, RulesError, writeRulesFile } from '../../lib/rules-artifact';

/** Declares this file's tests: test/cdk/app-synths.test.ts runs them in a describe block of their own. */
export function rulesArtifactCases(): void {
  const SEED = fs.readFileSync(path.join(__dirname, '..', '..', 'rules', 'api_explorer_token_copy.yml'), 'utf8');
  let dir: string;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sigma-rules-test-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  function write(name: string, text: string): void {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }

  const BROKEN = `title: Broken rule
id: 11111111-2222-3333-4444-555555555555
level: high
logsource: { product: auth0 }
detection:
  selection:
    data.type|nosuchmodifier: f
  condition: selection
`;

  test('valid rules with their placeholders load into a model', () => {
    write('seed.yml', SEED);
    const rules = loadDeployRules({ rulesDir: dir, placeholders: { api_explorer_client_id: 'abc' }, minLevel: 'informational', root: dir });
    expect(rules.model.version).toBe(1);
    expect(rules.model.rules.map((r) => r.id)).toEqual(['90a9a856-716d-11f0-bb81-723487b9527c']);
    expect(rules.files).toHaveLength(1);
  });

  test('every rule error and unresolved placeholder is listed, with file and line', () => {
    write('seed.yml', SEED);
    write('sub/broken.yml', BROKEN);
    let error: unknown;
    try {
      loadDeployRules({ rulesDir: dir, placeholders: {}, minLevel: 'informational', root: dir });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(RulesError);
    const { problems, message } = error as RulesError;
    expect(problems).toHaveLength(2);
    expect(problems.some((p) => /^seed\.yml:\d+:\d+: error: .*api_explorer_client_id/.test(p))).toBe(true);
    expect(problems.some((p) => /^sub\/broken\.yml:7:\d+: error: .*nosuchmodifier/.test(p))).toBe(true);
    expect(message).toMatch(/cannot be deployed \(2 problems\)/);
    expect(message).toContain("-c placeholders='{\"name\":\"value\"}'");
  });

  test('rules below minLevel are left out and reported as skipped', () => {
    write('seed.yml', SEED);
    const rules = loadDeployRules({ rulesDir: dir, placeholders: { api_explorer_client_id: 'abc' }, minLevel: 'high', root: dir });
    expect(rules.model.rules).toHaveLength(0);
    expect(rules.skipped).toHaveLength(1);
  });

  test('a missing or empty rules directory says what to set', () => {
    expect(() => loadDeployRules({ rulesDir: path.join(dir, 'nope'), placeholders: {}, minLevel: 'low', root: dir })).toThrow(/is not a directory: set 'rulesDir'/);
    expect(() => loadDeployRules({ rulesDir: dir, placeholders: {}, minLevel: 'low', root: dir })).toThrow(/holds no rule files/);
  });

  test('rules.json is content-addressed: same rules, same file; changed rules, another file', () => {
    write('seed.yml', SEED);
    const load = (value: string) => loadDeployRules({ rulesDir: dir, placeholders: { api_explorer_client_id: value }, minLevel: 'informational', root: dir }).model;
    const a = writeRulesFile(load('abc'), dir);
    const again = writeRulesFile(load('abc'), dir);
    const b = writeRulesFile(load('xyz'), dir);
    expect(again).toBe(a);
    expect(b).not.toBe(a);
    expect(JSON.parse(fs.readFileSync(b, 'utf8')).rules[0].detection.identifiers.selection.items[1].values).toEqual(['xyz']);
  });

  describe('buildApp (what bin/app.ts runs) fails before creating anything', () => {
    const build = (context: Record<string, unknown>) => buildApp(new App({ context }), { rulesBuildDir: dir, log: () => undefined });

    test('on configuration errors', () => {
      expect(() => build({ alertEmails: 'sec@example.com' })).toThrow(ConfigError);
    });

    test('on rule errors, naming every problem', () => {
      write('broken.yml', BROKEN);
      expect(() => build({ eventBusName: 'auth0', alertEmails: 'sec@example.com', rulesDir: dir })).toThrow(/broken\.yml:7:\d+: error: .*nosuchmodifier/);
    });
  });
}

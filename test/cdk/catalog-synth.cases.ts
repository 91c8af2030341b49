// `cdk synth` with a detection config file (-c config=auth0-sigma.yml) naming several rule folders, overrides and
// filters: one synth for the file (bundling skipped, so it stays quick), then the cheap checks of rulesDir lists and
// config mistakes through loadDeployRules and readConfig.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp, type BuiltApp } from '../../lib/app';
import { readConfig } from '../../lib/config';
import { RulesError, loadDeployRules } from '../../lib/rules-artifact';
import type { RuleSetModel } from '../../lambda/sigma/types';

/** Declares this file's tests: test/cdk/app-synths.test.ts runs them in a describe block of their own. */
export function catalogSynthCases(): void {
  const ROOT = path.join(__dirname, '..', '..');
  const CATALOG = path.join(ROOT, 'test', 'fixtures', 'catalog');
  const SEED_ID = '90a9a856-716d-11f0-bb81-723487b9527c';
  const M2M_ID = 'c0a1b2c3-0000-4000-8000-000000000001';
  const SIGNUP_ID = 'c0a1b2c3-0000-4000-8000-000000000004';
  const BUS = { eventBusName: 'auth0-logs', alertEmails: 'sec@example.com' };

  let work: string;
  let built: BuiltApp;
  let template: Template;
  let deployed: RuleSetModel;
  const log: string[] = [];

  function writeConfig(name: string, text: string): string {
    fs.writeFileSync(path.join(work, name), text);
    return name;
  }

  beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'sigma-catalog-synth-'));
    // Relative rule sources resolve against the config file's folder: a `project/` folder beside a catalog clone.
    fs.mkdirSync(path.join(work, 'project'));
    fs.cpSync(path.join(ROOT, 'rules'), path.join(work, 'project', 'rules'), { recursive: true });
    fs.cpSync(CATALOG, path.join(work, 'auth0-customer-detections'), { recursive: true });
    fs.writeFileSync(path.join(work, 'project', 'auth0-sigma.yml'), [
      'rules:',
      '  - rules',
      '  - ../auth0-customer-detections/upstream',
      '  - ../auth0-customer-detections/filters',
      'placeholders:',
      '  api_explorer_client_id: ApiExpl0rerClient0123456789abcdeF',
      '  trusted_client_id: TrustedClient000000000000000001',
      '  deploy_client_id: DeployPipeline0000000000000001',
      'overrides:',
      `  ${M2M_ID}: {level: critical}`,
      `  ${SIGNUP_ID}: {enabled: false}`,
      'filters:',
      '  - title: The deploy pipeline updates client grants',
      '    filter:',
      `      rules: [${M2M_ID}]`,
      "      deploy: {data.client_id: '{deploy_client_id}'}",
      '      condition: not deploy',
    ].join('\n'));
    const app = new App({
      outdir: path.join(work, 'cdk.out'),
      context: { ...BUS, config: 'auth0-sigma.yml', 'aws:cdk:bundling-stacks': [] },
    });
    built = buildApp(app, { root: path.join(work, 'project'), rulesBuildDir: path.join(work, 'build'), log: (line) => log.push(line) });
    app.synth();
    template = Template.fromStack(built.stack);
    deployed = JSON.parse(fs.readFileSync(built.rulesFile, 'utf8')) as RuleSetModel;
  }, 300_000);

  afterAll(() => {
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  test('synth reads the config file: every rule folder it names, in order', () => {
    expect(built.config.configFile).toBe('auth0-sigma.yml');
    const folders = [...new Set(built.rules.files.map((f) => f.split('/').slice(0, f.startsWith('..') ? 2 : 1).join('/')))];
    expect(folders).toEqual(['rules', '../auth0-customer-detections']);
    expect(log.find((l) => l.includes(' rule(s) from '))).toMatch(/in auth0-sigma\.yml \(rules, \.\.\/auth0-customer-detections\/upstream, \.\.\/auth0-customer-detections\/filters\)/);
    // The seed rule arrives from rules/ and from the catalog copy: deployed once, from rules/.
    expect(deployed.rules.filter((r) => r.id === SEED_ID).map((r) => r.file)).toEqual(['rules/api_explorer_token_copy.yml']);
    expect(log.some((l) => l.includes('note: rule 90a9a856-716d-11f0-bb81-723487b9527c is also in rules/api_explorer_token_copy.yml:1'))).toBe(true);
  });

  test('the deployed rule set carries the overrides and the filters', () => {
    const m2m = deployed.rules.find((r) => r.id === M2M_ID)!;
    expect(m2m.level).toBe('critical');
    expect(m2m.filters!.map((f) => f.title)).toEqual(['The deploy pipeline updates client grants']);
    expect(JSON.stringify(m2m.detection!.identifiers)).toContain('DeployPipeline0000000000000001');
    expect(deployed.rules.some((r) => r.id === SIGNUP_ID)).toBe(false);
    expect(deployed.rules.find((r) => r.id === 'c0a1b2c3-0000-4000-8000-000000000002')!.filters!.map((f) => f.file))
      .toEqual(['../auth0-customer-detections/filters/mf_office_egress_ip.yml']);
    // The bus rule's prefilter is compiled from the same (filtered) model.
    expect(built.prefilter).toBeDefined();
    // One line about it in the synth output, not one per widening.
    expect(log.filter((l) => /^auth0-sigma: (prefilter|PREFILTER)/.test(l))).toEqual([`auth0-sigma: ${built.prefilter!.summary}`]);
    template.hasResourceProperties('AWS::Events::Rule', { EventBusName: 'auth0-logs' });
  });

  describe('rulesDir lists and config mistakes (no synth)', () => {
    test('rulesDir takes several folders: a JSON list (cdk.json) or commas (-c)', () => {
      expect(readConfig((k) => ({ ...BUS, rulesDir: 'rules, ../auth0-customer-detections/detections' } as Record<string, unknown>)[k]).rulesDir)
        .toEqual(['rules', '../auth0-customer-detections/detections']);
      expect(readConfig((k) => ({ ...BUS, rulesDir: ['rules', 'more'] } as Record<string, unknown>)[k]).rulesDir).toEqual(['rules', 'more']);
      const rules = loadDeployRules({
        rulesDir: ['project/rules', 'auth0-customer-detections/upstream'], root: work, minLevel: 'informational',
        placeholders: { api_explorer_client_id: 'A1', trusted_client_id: 'T1' },
      });
      expect(rules.model.rules.filter((r) => r.id === SEED_ID)).toHaveLength(1);
      expect(rules.sources).toBe('project/rules, auth0-customer-detections/upstream');
    });

    test('a missing folder, rule sources set twice, and a broken config fail with located problems', () => {
      const fail = (run: () => unknown): RulesError => {
        try {
          run();
        } catch (err) {
          expect(err).toBeInstanceOf(RulesError);
          return err as RulesError;
        }
        throw new Error('expected a RulesError');
      };
      const base = { root: work, minLevel: 'informational' as const, placeholders: {} };
      const missing = fail(() => loadDeployRules({ ...base, rulesDir: ['project/rules', 'nowhere'] }));
      expect(missing.problems).toEqual([`${path.join(work, 'nowhere')} is not a directory: set 'rulesDir' (cdk.json context or -c rulesDir=..., several separated by commas) to the folders holding your Sigma rules`]);
      expect(missing.message).toContain('npx auth0-sigma check --rules project/rules --rules nowhere');

      const twice = fail(() => loadDeployRules({ ...base, rulesDir: ['elsewhere'], configFile: 'project/auth0-sigma.yml' }));
      expect(twice.problems[0]).toContain("the rule sources are set twice: 'rulesDir' (elsewhere) and 'rules:' in project/auth0-sigma.yml");

      writeConfig('broken.yml', 'rules: [project/rules]\noverrides:\n  x: {level: loud}\nfilter: []\n');
      const broken = fail(() => loadDeployRules({ ...base, rulesDir: 'rules', configFile: 'broken.yml' }));
      expect(broken.problems).toEqual([
        'broken.yml:3:14: error: overrides: \'x\': level "loud" is not a Sigma level — use one of informational, low, medium, high, critical',
        "broken.yml:4:1: error: unknown key 'filter' — did you mean 'filters'? (keys: rules, placeholders, overrides, filters)",
      ]);
      expect(broken.message).toContain('npx auth0-sigma check --config broken.yml');

      const absent = fail(() => loadDeployRules({ ...base, rulesDir: 'rules', configFile: 'none.yml' }));
      expect(absent.problems[0]).toMatch(/^none\.yml:1:1: error: config file '.*none\.yml' does not exist/);
    });

    test('context placeholders win over the config file, name by name', () => {
      writeConfig('ph.yml', 'rules: [project/rules]\nplaceholders:\n  api_explorer_client_id: FromFile\n');
      const rules = loadDeployRules({ rulesDir: 'rules', configFile: 'ph.yml', root: work, minLevel: 'informational', placeholders: { api_explorer_client_id: 'FromContext' } });
      expect(JSON.stringify(rules.model.rules.find((r) => r.id === SEED_ID)!.detection)).toContain('FromContext');
    });
  });
}

// Several rule sources, the detection config file, per-rule overrides and Sigma filters, at the engine level.
// The CLI side is in test/cli/catalog.test.ts, the synth side in test/cdk/catalog-synth.cases.ts.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findRuleFiles, loadDetectionConfig, loadRules, loadRulesFromText, type LoadOptions } from '../../lambda/sigma/loader';
import { parseDetectionConfig } from '../../lambda/sigma/detection-config';
import { filtersThatSuppressed } from '../../lambda/sigma/filters';
import { CompiledRuleSet } from '../../lambda/sigma/ruleset';
import { Correlator } from '../../lambda/sigma/correlation';
import { MemoryCorrelationStore } from '../../lambda/sigma/correlation-store';
import { buildDetection } from '../../lambda/sigma/detection';
import { normalizeEvent } from '../../lambda/sigma/events';
import { formatDiagnostic } from '../../lambda/sigma/diagnostics';
import { AUTH0_DETAIL_TYPE, AUTH0_PARTNER_SOURCE_PREFIX, buildEventPattern } from '../../lambda/sigma/prefilter';
import { buildSnsMessage } from '../../lambda/notify/sns-message';
import { levelsAtOrAbove } from '../../lib/config';
import { matchesEventPattern } from '../helpers/eventbridge-pattern';
import type { Diagnostic, NormalizedEvent, RuleSetModel } from '../../lambda/sigma/types';

const REPO = path.resolve(__dirname, '../..');
const CATALOG = path.join(REPO, 'test/fixtures/catalog');
const UPSTREAM = path.join(CATALOG, 'upstream');
const SEED_ID = '90a9a856-716d-11f0-bb81-723487b9527c';
const M2M_ID = 'c0a1b2c3-0000-4000-8000-000000000001';
const FAILED_ID = 'c0a1b2c3-0000-4000-8000-000000000002';
const BURST_ID = 'c0a1b2c3-0000-4000-8000-000000000003';
const SIGNUP_ID = 'c0a1b2c3-0000-4000-8000-000000000004';
const PLACEHOLDERS = { api_explorer_client_id: 'ApiExpl0rerClient0123456789abcdeF', trusted_client_id: 'Trusted01', deploy_client_id: 'Deploy01' };

const codes = (ds: Diagnostic[], severity?: string): string[] => ds.filter((d) => !severity || d.severity === severity).map((d) => d.code);
const only = (ds: Diagnostic[], code: string): Diagnostic => {
  const found = ds.filter((d) => d.code === code);
  if (found.length !== 1) throw new Error(`expected one '${code}', got ${found.length}:\n${ds.map(formatDiagnostic).join('\n')}`);
  return found[0];
};
const event = (data: Record<string, unknown>, logId = '90020261202'): NormalizedEvent => ({ log_id: logId, data });
const matchedIds = (model: RuleSetModel, e: NormalizedEvent): string[] => new CompiledRuleSet(model).match(e).map((m) => m.rule.id);

function loadText(files: Record<string, string>, options: LoadOptions = {}) {
  return loadRulesFromText(Object.entries(files).map(([file, text]) => ({ file, text })), { placeholders: PLACEHOLDERS, ...options });
}

const BASE_RULE = [
  'title: Failed login',
  `id: ${FAILED_ID}`,
  'name: failed_login',
  'logsource: {product: auth0}',
  'detection:',
  '  selection:',
  '    data.type: [f, fp]',
  '  condition: selection',
  'level: low',
].join('\n');

const filterDoc = (lines: string[]): string => ['title: Office IP', 'logsource: {product: auth0}', 'filter:', ...lines].join('\n');

describe('several rule sources', () => {
  it('keeps the order of the sources: files sorted within each, the first source first', () => {
    const files = findRuleFiles([UPSTREAM, path.join(REPO, 'rules', 'login')]).map((f) => path.relative(REPO, f).split(path.sep).join('/'));
    expect(files[0]).toBe('test/fixtures/catalog/upstream/api_explorer_token_copy.yml');
    expect(files.indexOf('rules/login/failed_logins_from_one_ip.yml')).toBeGreaterThan(files.indexOf('test/fixtures/catalog/upstream/signup_from_test_network.yml'));
    const reversed = findRuleFiles([path.join(REPO, 'rules', 'login'), UPSTREAM]).map((f) => path.basename(f));
    expect(reversed[0]).toBe('failed_logins_from_one_ip.yml');
  });

  it('a rule that arrives twice with the same logic loads once, from the first source, with a note naming both files and the differing fields', () => {
    const r = loadRules([path.join(REPO, 'rules'), UPSTREAM], { root: REPO, placeholders: PLACEHOLDERS });
    expect(codes(r.diagnostics, 'error')).toEqual([]);
    const seed = r.model.rules.filter((x) => x.id === SEED_ID);
    expect(seed).toHaveLength(1);
    expect(seed[0].file).toBe('rules/api_explorer_token_copy.yml');
    const note = only(r.diagnostics, 'duplicate-rule');
    expect(note.severity).toBe('note');
    expect(formatDiagnostic(note)).toMatch(/^test\/fixtures\/catalog\/upstream\/api_explorer_token_copy\.yml:3:1: note: rule 90a9a856-716d-11f0-bb81-723487b9527c is also in rules\/api_explorer_token_copy\.yml:1 with the same detection logic: loaded once, from rules\/api_explorer_token_copy\.yml/);
    expect(note.message).toContain('fields that differ: description, author, date, modified, explanation, splunk, comments, tenant_logs, prevention');

    // Named the other way round, the upstream copy wins.
    const flipped = loadRules([UPSTREAM, path.join(REPO, 'rules')], { root: REPO, placeholders: PLACEHOLDERS });
    expect(flipped.model.rules.find((x) => x.id === SEED_ID)!.file).toBe('test/fixtures/catalog/upstream/api_explorer_token_copy.yml');
    expect(only(flipped.diagnostics, 'duplicate-rule').loc.file).toBe('rules/api_explorer_token_copy.yml');
  });

  it('the same id with other detection logic stays an error naming both files and what differs', () => {
    const r = loadRules([path.join(REPO, 'rules'), path.join(CATALOG, 'upstream-conflict')], { root: REPO, placeholders: PLACEHOLDERS });
    const d = only(r.diagnostics, 'duplicate-id');
    expect(d.severity).toBe('error');
    expect(d.loc.file).toBe('test/fixtures/catalog/upstream-conflict/api_explorer_token_copy.yml');
    expect(d.message).toContain("(rules/api_explorer_token_copy.yml:1) with different detection logic (detection, level differ)");
    expect(r.model.rules.filter((x) => x.id === SEED_ID)).toHaveLength(1);
  });

  it('two copies in one file are still an error, whatever their logic', () => {
    const r = loadText({ 'a.yml': `${BASE_RULE}\n---\n${BASE_RULE.replace('name: failed_login', 'name: again')}` });
    expect(only(r.diagnostics, 'duplicate-id').severity).toBe('error');
  });
});

describe('overrides', () => {
  const noLevel = BASE_RULE.replace('level: low\n', '').replace(/\nlevel: low$/, '');

  it('sets a level (the missing-level warning is answered), keeps meta in step, and the notification level follows', () => {
    const before = loadText({ 'a.yml': noLevel });
    expect(codes(before.diagnostics, 'warning')).toContain('missing-level');
    const r = loadText({ 'a.yml': noLevel }, { overrides: [{ ruleId: FAILED_ID, level: 'critical', loc: { file: 'auth0-sigma.yml', line: 4, col: 3 } }] });
    expect(codes(r.diagnostics, 'warning')).not.toContain('missing-level');
    expect(only(r.diagnostics, 'level-override').message).toBe('level critical (was medium) set by the override at auth0-sigma.yml:4');
    const rule = r.model.rules[0];
    expect(rule.level).toBe('critical');

    // What the channels see: the detection's level, the SNS level attribute the subscription filter policies test.
    const detection = buildDetection(new CompiledRuleSet(r.model).match(event({ type: 'f' }))[0], event({ type: 'f' }));
    expect(detection.rule.level).toBe('critical');
    expect(buildSnsMessage(detection).attributes.level).toEqual({ DataType: 'String', StringValue: 'critical' });
    expect(levelsAtOrAbove('high')).toContain(detection.rule.level);
    expect(levelsAtOrAbove('critical')).not.toContain(loadText({ 'a.yml': BASE_RULE }).model.rules[0].level);
  });

  it('a lowered level drops the rule below minLevel; a raised one lifts it above', () => {
    const lowered = loadText({ 'a.yml': BASE_RULE.replace('level: low', 'level: high') }, { minLevel: 'medium', overrides: [{ ruleId: FAILED_ID, level: 'low', loc: { file: 'c.yml', line: 1, col: 1 } }] });
    expect(lowered.model.rules).toEqual([]);
    expect(lowered.skipped[0].reason).toContain('below the minimum level medium');
    const raised = loadText({ 'a.yml': BASE_RULE }, { minLevel: 'high', overrides: [{ ruleId: FAILED_ID, level: 'high', loc: { file: 'c.yml', line: 1, col: 1 } }] });
    expect(raised.model.rules.map((x) => x.level)).toEqual(['high']);
  });

  it('enabled: false turns a rule off before validation: its unset placeholders and errors do not count', () => {
    const broken = BASE_RULE.replace('data.type: [f, fp]', "data.client_id: '{not_given}'");
    const off = loadText({ 'a.yml': broken }, { overrides: [{ ruleId: FAILED_ID, enabled: false, loc: { file: 'c.yml', line: 7, col: 3 } }] });
    expect(codes(off.diagnostics, 'error')).toEqual([]);
    expect(off.model.rules).toEqual([]);
    expect(off.skipped).toEqual([{ file: 'a.yml', line: 1, title: 'Failed login', reason: 'disabled by the override at c.yml:7' }]);
    expect(off.placeholderUse).toEqual([]);
    expect(codes(loadText({ 'a.yml': broken }).diagnostics, 'error')).toEqual(['unresolved-placeholder']);
  });

  it('an override naming no rule is a warning at the override', () => {
    const r = loadText({ 'a.yml': BASE_RULE }, { overrides: [{ ruleId: 'nope', level: 'high', loc: { file: 'c.yml', line: 9, col: 3 } }] });
    expect(formatDiagnostic(only(r.diagnostics, 'override-unknown-rule'))).toMatch(/^c\.yml:9:3: warning: override: no rule has the id 'nope'/);
  });
});

describe('Sigma filters', () => {
  const OFFICE = filterDoc(['  rules: [failed_login]', '  office:', '    data.ip: 192.0.2.10', '  condition: not office']);

  it('a filter document suppresses the events its condition rejects; explain names it', () => {
    const r = loadText({ 'a.yml': BASE_RULE, 'mf_office.yml': OFFICE });
    expect(codes(r.diagnostics, 'error')).toEqual([]);
    const rule = r.model.rules[0];
    expect(rule.filters).toEqual([{ id: expect.any(String), title: 'Office IP', file: 'mf_office.yml', line: 1, identifiers: ['filter:office_ip:office'] }]);
    expect(rule.detection!.conditionText).toEqual(['(selection) and (not filter:office_ip:office)']);
    expect(matchedIds(r.model, event({ type: 'f', ip: '203.0.113.5' }))).toEqual([FAILED_ID]);
    expect(matchedIds(r.model, event({ type: 'f', ip: '192.0.2.10' }))).toEqual([]);

    const set = new CompiledRuleSet(r.model);
    const suppressed = set.explain(FAILED_ID, event({ type: 'f', ip: '192.0.2.10' }));
    expect(filtersThatSuppressed(rule, suppressed).map((f) => f.title)).toEqual(['Office IP']);
    expect(filtersThatSuppressed(rule, set.explain(FAILED_ID, event({ type: 's', ip: '192.0.2.10' })))).toEqual([]);
    expect(filtersThatSuppressed(rule, set.explain(FAILED_ID, event({ type: 'f', ip: '203.0.113.5' })))).toEqual([]);
  });

  it('a filter on a rule a correlation counts removes those events from the count', async () => {
    const correlation = [
      'title: Burst', `id: ${BURST_ID}`, 'correlation:', '  type: event_count', '  rules: [failed_login]', '  group-by: [data.ip]',
      '  timespan: 5m', '  condition: {gte: 3}', 'level: high',
    ].join('\n');
    const run = async (model: RuleSetModel, ip: string): Promise<number> => {
      const set = new CompiledRuleSet(model);
      const correlator = new Correlator(model.rules, new MemoryCorrelationStore());
      let count = 0;
      for (let i = 0; i < 4; i++) {
        const e = event({ type: 'f', ip, date: `2026-12-02T09:00:0${i}.000Z` }, `9002026120200${i}`);
        count += (await correlator.processEvent(e, set.match(e))).filter((d) => d.correlation).length;
      }
      return count + (await correlator.closeWindows(Infinity)).filter((d) => d.correlation).length;
    };
    const unfiltered = loadText({ 'a.yml': `${BASE_RULE}\n---\n${correlation}` });
    const filtered = loadText({ 'a.yml': `${BASE_RULE}\n---\n${correlation}`, 'mf.yml': OFFICE });
    expect(await run(unfiltered.model, '192.0.2.10')).toBe(1);
    expect(await run(filtered.model, '192.0.2.10')).toBe(0);
    expect(await run(filtered.model, '203.0.113.5')).toBe(1);

    // On the correlation itself: refused, naming the rules to filter instead.
    const onCorrelation = loadText({ 'a.yml': `${BASE_RULE}\n---\n${correlation}`, 'mf.yml': OFFICE.replace('[failed_login]', `[${BURST_ID}]`) });
    const d = only(onCorrelation.diagnostics, 'filter-on-correlation');
    expect(d.severity).toBe('error');
    expect(d.hint).toContain('name the rules it counts instead (failed_login)');
  });

  it('the prefilter stays sound: every event a filtered rule matches passes the pattern', () => {
    // A filter whose condition has no `not` narrows the rule: the pattern may use it, it must never drop a match.
    const positive = filterDoc(['  rules: [failed_login]', '  mine:', '    data.client_id: AppA', '  condition: mine']);
    for (const files of [{ 'a.yml': BASE_RULE, 'f.yml': OFFICE }, { 'a.yml': BASE_RULE, 'f.yml': positive }]) {
      const model = loadText(files).model;
      const pattern = buildEventPattern(model).pattern;
      const set = new CompiledRuleSet(model);
      let matched = 0;
      for (const type of ['f', 'fp', 's', 'F']) {
        for (const ip of ['192.0.2.10', '203.0.113.5', undefined]) {
          for (const client of ['AppA', 'AppB', undefined]) {
            const data: Record<string, unknown> = { type, ...(ip ? { ip } : {}), ...(client ? { client_id: client } : {}) };
            const env = { version: '0', id: 'x', 'detail-type': AUTH0_DETAIL_TYPE, source: `${AUTH0_PARTNER_SOURCE_PREFIX}/acme/auth0.logs`, account: '1', time: 't', region: 'r', resources: [], detail: { log_id: '1', data } };
            const n = normalizeEvent(env);
            if ('error' in n) throw new Error(n.error);
            if (set.match(n.event).length > 0) {
              matched += 1;
              expect(matchesEventPattern(pattern, env)).toBe(true);
            }
          }
        }
      }
      expect(matched).toBeGreaterThan(0);
    }
  });

  it('a filter condition without `not` is a warning: it keeps only what it matches', () => {
    const r = loadText({ 'a.yml': BASE_RULE, 'f.yml': filterDoc(['  rules: [failed_login]', '  mine:', '    data.client_id: AppA', '  condition: mine']) });
    const d = only(r.diagnostics, 'filter-condition-keeps');
    expect(formatDiagnostic(d)).toMatch(/^f\.yml:7:14: warning: the filter condition 'mine' has no `not`/);
    expect(d.hint).toContain('write `condition: not mine`');
    expect(matchedIds(r.model, event({ type: 'f', client_id: 'AppA' }))).toEqual([FAILED_ID]);
    expect(matchedIds(r.model, event({ type: 'f', client_id: 'AppB' }))).toEqual([]);
  });

  it('placeholders in filters are substituted and listed; an unset one is an error at the filter', () => {
    const f = filterDoc(['  rules: [failed_login]', '  deploy:', "    data.client_id: '{deploy_client_id}'", '  condition: not deploy']);
    const r = loadText({ 'a.yml': BASE_RULE, 'f.yml': f });
    expect(matchedIds(r.model, event({ type: 'f', client_id: 'Deploy01' }))).toEqual([]);
    expect(r.placeholderUse).toEqual([{ name: 'deploy_client_id', hasValue: true, usedBy: [{ id: expect.any(String), title: 'Office IP', file: 'f.yml', line: 1 }] }]);
    const unset = loadRulesFromText([{ file: 'a.yml', text: BASE_RULE }, { file: 'f.yml', text: f }], {});
    expect(formatDiagnostic(only(unset.diagnostics, 'unresolved-placeholder'))).toMatch(/^f\.yml:6:5: error: placeholder '\{deploy_client_id\}' has no value/);
    expect(unset.placeholderUse[0]).toMatchObject({ name: 'deploy_client_id', hasValue: false });
  });

  it.each([
    [['  rules: [nope]', '  s: {data.ip: 1.2.3.4}', '  condition: not s'], 'filter-unknown-rule', 'warning', '4:11'],
    [['  s: {data.ip: 1.2.3.4}', '  condition: not s'], 'filter-missing-rules', 'error', '3:1'],
    [['  rules: []', '  s: {data.ip: 1.2.3.4}', '  condition: not s'], 'bad-filter-rules', 'error', '4:10'],
    [['  rules: any', '  s: {data.ip: 1.2.3.4}', '  condition: not s'], 'bad-filter-rules', 'error', '4:10'],
    [['  rules: [failed_login]', '  s: {data.ip: 1.2.3.4}'], 'filter-missing-condition', 'error', '3:1'],
    [['  rules: [failed_login]', '  condition: not s'], 'filter-missing-selection', 'error', '3:1'],
    [['  rules: [failed_login]', '  s: {data.ip: 1.2.3.4}', '  condition: [not s]'], 'bad-filter-condition', 'error', '6:14'],
    [['  rules: [failed_login]', '  s: {data.ip: 1.2.3.4}', '  condition: not t'], 'undefined-identifier', 'error', '6:18'],
    [['  rules: [failed_login]', '  s: {data.ip|nope: 1.2.3.4}', '  condition: not s'], 'unknown-modifier', 'error', '5:7'],
  ])('filter %j: %s (%s) at %s', (lines, code, severity, at) => {
    const r = loadText({ 'a.yml': BASE_RULE, 'f.yml': filterDoc(lines) });
    const d = r.diagnostics.find((x) => x.code === code);
    expect(d).toBeDefined();
    expect(d!.severity).toBe(severity);
    expect(`${d!.loc.file}:${d!.loc.line}:${d!.loc.col}`).toBe(`f.yml:${at}`);
    expect(d!.hint).toBeTruthy();
    // A broken filter filters nothing; the rule itself still loads.
    expect(r.model.rules.map((x) => x.id)).toEqual([FAILED_ID]);
    expect(r.model.rules[0].filters).toBeUndefined();
  });

  it('a filter without a title is an error', () => {
    const r = loadText({ 'a.yml': BASE_RULE, 'f.yml': filterDoc(['  rules: [failed_login]', '  s: {data.ip: 1.2.3.4}', '  condition: not s']).replace('title: Office IP\n', '') });
    expect(formatDiagnostic(only(r.diagnostics, 'missing-title'))).toMatch(/^f\.yml:1:1: error: the filter has no title/);
    expect(r.model.rules[0].filters).toBeUndefined();
  });

  it('a filter for another product is skipped with a note; one without logsource in a rule file gets a warning', () => {
    const other = loadText({ 'a.yml': BASE_RULE, 'f.yml': filterDoc(['  rules: [failed_login]', '  s: {data.ip: 1.2.3.4}', '  condition: not s']).replace('product: auth0', 'product: windows') });
    expect(only(other.diagnostics, 'filter-skipped').severity).toBe('note');
    expect(other.model.rules[0].filters).toBeUndefined();
    const bare = loadText({ 'a.yml': BASE_RULE, 'f.yml': filterDoc(['  rules: [failed_login]', '  s: {data.ip: 1.2.3.4}', '  condition: not s']).replace('logsource: {product: auth0}\n', '') });
    expect(only(bare.diagnostics, 'filter-missing-logsource').severity).toBe('warning');
    expect(bare.model.rules[0].filters).toHaveLength(1);
  });

  it('several filters on one rule: each is one more conjunct, and explain names the one that suppressed', () => {
    const second = filterDoc(['  rules: [failed_login]', '  kiosk:', '    data.user_name|startswith: kiosk', '  condition: not kiosk']).replace('Office IP', 'Kiosk accounts');
    const r = loadText({ 'a.yml': BASE_RULE, 'f1.yml': OFFICE, 'f2.yml': second });
    const rule = r.model.rules[0];
    expect(rule.filters!.map((f) => f.title)).toEqual(['Office IP', 'Kiosk accounts']);
    expect(rule.detection!.conditionText).toEqual(['(selection) and (not filter:office_ip:office) and (not filter:kiosk_accounts:kiosk)']);
    const set = new CompiledRuleSet(r.model);
    const kiosk = event({ type: 'f', ip: '203.0.113.5', user_name: 'kiosk-3' });
    expect(set.match(kiosk)).toEqual([]);
    expect(filtersThatSuppressed(rule, set.explain(FAILED_ID, kiosk)).map((f) => f.title)).toEqual(['Kiosk accounts']);
  });
});

describe('the detection config file', () => {
  it('reads rule sources (relative to its folder), placeholders, overrides and filters', () => {
    const loaded = loadDetectionConfig(path.join(CATALOG, 'auth0-sigma.yml'), REPO);
    expect(loaded.diagnostics).toEqual([]);
    expect(loaded.ruleSources).toEqual([UPSTREAM, path.join(CATALOG, 'filters')]);
    expect(loaded.config.placeholders).toMatchObject({ trusted_client_id: 'TrustedClient000000000000000001' });
    expect(loaded.config.overrides.map((o) => [o.ruleId, o.enabled, o.level, o.loc.line])).toEqual([[M2M_ID, undefined, 'high', 10], [SIGNUP_ID, false, undefined, 12]]);
    expect(loaded.config.filters).toHaveLength(1);

    const r = loadRules(loaded.ruleSources, {
      root: REPO, placeholders: loaded.config.placeholders, overrides: loaded.config.overrides, configFilters: loaded.config.filters,
    });
    expect(codes(r.diagnostics, 'error')).toEqual([]);
    expect(codes(r.diagnostics, 'warning')).toEqual([]);
    const byId = new Map(r.model.rules.map((x) => [x.id, x]));
    expect(byId.get(M2M_ID)!.level).toBe('high');
    expect(byId.has(SIGNUP_ID)).toBe(false);
    expect(byId.get(M2M_ID)!.filters!.map((f) => [f.title, f.file, f.line])).toEqual([['The deploy pipeline updates client grants', 'test/fixtures/catalog/auth0-sigma.yml', 15]]);
    expect(byId.get(FAILED_ID)!.filters!.map((f) => f.file)).toEqual(['test/fixtures/catalog/filters/mf_office_egress_ip.yml']);
    expect(matchedIds(r.model, event({ type: 'sapi', description: 'Update client grant', client_id: 'DeployPipeline0000000000000001' }))).toEqual([]);
    expect(matchedIds(r.model, event({ type: 'sapi', description: 'Update client grant', client_id: 'Other' }))).toEqual([M2M_ID]);
    expect(matchedIds(r.model, event({ type: 'ss', ip: '198.51.100.7' }))).toEqual([]);
  });

  it('every mistake is located, names the key and says how to fix it', () => {
    const text = [
      'rule:', '  - rules', 'rules: [3]', 'placeholders:', '  a: [x]', 'overrides:', '  abc:', '    level: severe', '    enabled: no',
      '    colour: red', '  def: true', 'filters:', '  - title: no filter body',
    ].join('\n');
    const { diagnostics } = parseDetectionConfig(text, 'auth0-sigma.yml');
    expect(diagnostics.map((d) => `${d.loc.line}:${d.loc.col} ${d.message}${d.hint ? ` — ${d.hint}` : ''}`)).toEqual([
      "1:1 unknown key 'rule' — did you mean 'rules'? (keys: rules, placeholders, overrides, filters)",
      '3:9 rules: a rule source must be a file or folder path, not 3 — write the path as text, relative to this file',
      `8:12 overrides: 'abc': level "severe" is not a Sigma level — use one of informational, low, medium, high, critical`,
      "9:14 overrides: 'abc': enabled must be true or false, not \"no\" — write `enabled: false` to turn the rule off",
      "10:5 overrides: 'abc': unknown key 'colour' — an override sets enabled and/or level",
      "11:8 overrides: the override of 'def' must be a mapping with enabled and/or level — write `'def': {enabled: false}` or `{level: high}`",
      '13:5 filters: each entry must be a Sigma filter: title, filter: {rules, selections, condition} — write `- title: <why>` then `  filter:` with `rules:`, a selection and `condition: not selection`',
    ]);
  });

  it('a rule source that does not exist is an error at its line; a missing file is an error', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sigma-config-'));
    try {
      fs.writeFileSync(path.join(dir, 'auth0-sigma.yml'), 'rules:\n  - ./rules\n  - ./nowhere\n');
      fs.mkdirSync(path.join(dir, 'rules'));
      const loaded = loadDetectionConfig(path.join(dir, 'auth0-sigma.yml'), dir);
      expect(loaded.ruleSources).toEqual([path.join(dir, 'rules')]);
      expect(formatDiagnostic(loaded.diagnostics[0])).toMatch(/^auth0-sigma\.yml:3:5: error: rule source '\.\/nowhere' does not exist \(resolved against the config file's folder: nowhere\)/);
      expect(loadDetectionConfig(path.join(dir, 'none.yml'), dir).diagnostics[0]).toMatchObject({ code: 'config-not-found', loc: { file: 'none.yml' } });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('filters while scanning (unset placeholders skip instead of failing)', () => {
  it('a filter with an unset placeholder is skipped with a warning saying the rules are not filtered', () => {
    const f = filterDoc(['  rules: [failed_login]', '  deploy:', "    data.client_id: '{deploy_client_id}'", '  condition: not deploy']);
    const r = loadRulesFromText([{ file: 'a.yml', text: BASE_RULE }, { file: 'f.yml', text: f }], { unresolvedPlaceholders: 'skip-rule' });
    const d = only(r.diagnostics, 'filter-skipped-placeholder');
    expect(d.severity).toBe('warning');
    expect(d.message).toBe("filter skipped: unresolved placeholder 'deploy_client_id': the rules it names are NOT filtered");
    expect(r.model.rules.map((x) => [x.id, x.filters])).toEqual([[FAILED_ID, undefined]]);
    expect(r.filters.map((x) => x.status)).toEqual(['skipped']);
  });
});

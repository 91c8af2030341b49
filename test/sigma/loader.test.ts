import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findRuleFiles, isRuleFile, loadRules, loadRulesFromText, relativeName } from '../../lambda/sigma/loader';
import { Diagnostics, RuleError, formatDiagnostic } from '../../lambda/sigma/diagnostics';
import { locOf, nodeAt, parseYamlDocument, parseYamlDocuments } from '../../lambda/sigma/yaml-source';

const REPO = path.join(__dirname, '..', '..');
const FIXTURES = path.join(REPO, 'test', 'fixtures', 'rules-loading');
const SEED = path.join(REPO, 'rules', 'api_explorer_token_copy.yml');

describe('parseYamlDocuments', () => {
  const text = [
    'title: x', // 1
    'detection:', // 2
    '    selection:', // 3
    '        data.type: seccft', // 4
    '        data.client_id: {global_client_id}', // 5
    '        list:', // 6
    '          - a', // 7
    "          -   'c'", // 8
    '        empty:', // 9
    '    condition: selection   # comment', // 10
    '---', // 11
    '# leading comment', // 12
    'correlation:', // 13
    '  rules: [a, b]', // 14
  ].join('\n');

  it('keeps the line and column of every key and value, across documents', () => {
    const { docs, diagnostics } = parseYamlDocuments(text, 'f.yml');
    expect(diagnostics).toEqual([]);
    expect(docs.map((d) => [d.index, d.root.line])).toEqual([[0, 1], [1, 13]]);
    const [a, b] = docs;
    const pos = (doc: typeof a, p: (string | number)[], part?: 'key' | 'value'): string => {
      const l = locOf(doc, p, part);
      return `${l.line}:${l.col}`;
    };
    expect(pos(a, ['detection', 'selection', 'data.type'])).toBe('4:9');
    expect(pos(a, ['detection', 'selection', 'data.type'], 'value')).toBe('4:20');
    expect(pos(a, ['detection', 'selection', 'data.client_id'], 'value')).toBe('5:25');
    expect(pos(a, ['detection', 'selection', 'data.client_id', 'global_client_id'])).toBe('5:26');
    expect(pos(a, ['detection', 'selection', 'list', 1])).toBe('8:15');
    expect(pos(a, ['detection', 'selection', 'empty'])).toBe('9:9');
    expect(pos(a, ['detection', 'condition'], 'value')).toBe('10:16');
    expect(pos(b, ['correlation', 'rules', 1])).toBe('14:14');
    expect(locOf(b, ['correlation']).file).toBe('f.yml');
    // A missing path falls back to its deepest existing ancestor (here the value of `detection`).
    expect(pos(a, ['detection', 'nope', 'deeper'])).toBe('3:5');
    expect(nodeAt(a, ['detection', 'selection', 'list'])?.kind).toBe('sequence');
    expect(nodeAt(a, ['detection', 'missing'])).toBeUndefined();
  });

  it('places empty sequence entries, explicit keys and flow mappings', () => {
    const { docs } = parseYamlDocuments('- a\n-\n- [b]\n', 's.yml');
    expect(docs[0].root.items!.map((n) => `${n.line}:${n.col}`)).toEqual(['1:3', '1:3', '3:3']);
    const explicit = parseYamlDocuments('? key\n: value\nnext: {x, y: 1}\n', 'e.yml').docs[0];
    expect([...explicit.root.entries!.keys()]).toEqual(['key', 'next']);
    expect(locOf(explicit, ['key'], 'value')).toMatchObject({ line: 2, col: 3 });
    expect(locOf(explicit, ['next', 'y'])).toMatchObject({ line: 3, col: 11 });
  });

  it('reads dates as strings (core schema)', () => {
    expect(parseYamlDocuments('date: 2025-07-11\n', 'f.yml').docs[0].value).toEqual({ date: '2025-07-11' });
  });

  it('handles a BOM and CRLF line ends without shifting positions', () => {
    const { docs } = parseYamlDocuments('\ufeffa: 1\r\nb:\r\n  c: 2\r\n', 'f.yml');
    expect(locOf(docs[0], ['b', 'c'])).toEqual({ file: 'f.yml', line: 3, col: 3 });
  });

  it('turns a syntax error into a located diagnostic and keeps the other documents', () => {
    const { docs, diagnostics } = parseYamlDocuments('a: 1\n---\nb: [1, 2\n---\nc: 3\n', 'g.yml');
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]).toMatchObject({ severity: 'error', code: 'yaml-syntax', loc: { file: 'g.yml', line: 4, col: 1 } });
    expect(diagnostics[0].message).toContain('flow collection');
    expect(docs.map((d) => [d.index, d.value])).toEqual([[0, { a: 1 }], [2, { c: 3 }]]);
    const dup = parseYamlDocuments('a: 1\nb: 2\na: 3\n', 'd.yml');
    expect(dup.diagnostics[0]).toMatchObject({ loc: { line: 3, col: 1 } });
    expect(dup.diagnostics[0].message).toContain('duplicated mapping key');
  });

  it('parses a single document and rejects several', () => {
    expect(parseYamlDocument('a: 1\n', 'c.yml').doc?.value).toEqual({ a: 1 });
    expect(parseYamlDocument('a: 1\n---\nb: 2\n', 'c.yml').diagnostics[0]).toMatchObject({ code: 'yaml-multiple-documents', loc: { line: 3, col: 1 } });
  });
});

describe('findRuleFiles', () => {
  it('finds *.yml and *.yaml recursively, sorted, skipping fixtures, other files and hidden folders', () => {
    const files = findRuleFiles([FIXTURES]).map((f) => path.relative(FIXTURES, f).split(path.sep).join('/'));
    expect(files).toEqual(['login/failed_logins.yml', 'login/nested/windows_only.yaml', 'other/broken.yml']);
  });

  it('accepts files, skips a named fixture file and warns about other extensions', () => {
    const ds = new Diagnostics();
    const files = findRuleFiles([
      path.join(FIXTURES, 'other', 'broken.yml'),
      path.join(FIXTURES, 'login', 'failed_logins.test.yml'),
      path.join(FIXTURES, 'other', 'README.md'),
    ], ds);
    expect(files).toEqual([path.join(FIXTURES, 'other', 'broken.yml')]);
    expect(ds.all().map((d) => [d.severity, d.code])).toEqual([['warning', 'not-a-rule-file']]);
    expect(isRuleFile('a.YAML')).toBe(true);
    expect(isRuleFile('a.test.yaml')).toBe(false);
  });

  it('reports a missing path as an error diagnostic, or throws without a collector', () => {
    const ds = new Diagnostics();
    expect(findRuleFiles(['no/such/dir'], ds)).toEqual([]);
    expect(ds.errors()[0]).toMatchObject({ code: 'path-not-found', loc: { file: 'no/such/dir', line: 1, col: 1 } });
    expect(formatDiagnostic(ds.errors()[0])).toContain("rules path 'no/such/dir' does not exist");
    expect(() => findRuleFiles(['no/such/dir'])).toThrow(RuleError);
  });

  it('does not loop on a symlinked folder cycle', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sigma-rules-'));
    try {
      fs.writeFileSync(path.join(dir, 'r.yml'), 'title: x\n');
      fs.symlinkSync(dir, path.join(dir, 'loop'));
      expect(findRuleFiles([dir])).toEqual([path.join(dir, 'r.yml')]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('warns about a dangling link named like a rule file instead of skipping it silently', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sigma-rules-'));
    try {
      fs.writeFileSync(path.join(dir, 'r.yml'), 'title: x\n');
      fs.symlinkSync(path.join(dir, 'gone.yml'), path.join(dir, 'moved.yml'));
      fs.symlinkSync(path.join(dir, 'gone'), path.join(dir, 'notes'));
      const ds = new Diagnostics();
      expect(findRuleFiles([dir], ds)).toEqual([path.join(dir, 'r.yml')]);
      expect(ds.all().map((d) => [d.severity, d.code, d.loc.file])).toEqual([
        ['warning', 'dangling-link', path.join(dir, 'moved.yml').split(path.sep).join('/')],
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('loadRules', () => {
  it('loads a folder: files relative to root, skipped rules, YAML errors located, multi-document files', () => {
    const r = loadRules([FIXTURES], { root: REPO });
    expect(r.files).toEqual([
      'test/fixtures/rules-loading/login/failed_logins.yml',
      'test/fixtures/rules-loading/login/nested/windows_only.yaml',
      'test/fixtures/rules-loading/other/broken.yml',
    ]);
    expect(r.model.version).toBe(1);
    expect(r.model.options).toEqual({ regexValueCap: 4096 });
    expect(r.model.rules.map((x) => [x.title, x.kind, x.file, x.line, x.docIndex, x.alerts])).toEqual([
      ['Failed login (fixture base rule)', 'detection', 'test/fixtures/rules-loading/login/failed_logins.yml', 1, 0, false],
      ['Many failed logins from one IP (fixture)', 'correlation', 'test/fixtures/rules-loading/login/failed_logins.yml', 12, 1, true],
      ['Fine after the broken document (fixture)', 'detection', 'test/fixtures/rules-loading/other/broken.yml', 8, 1, true],
    ]);
    expect(r.model.rules[1].correlation).toMatchObject({ rules: ['3b0e5a0c-5a3e-4c57-9a55-0d5f6f0d2a01'], groupBy: ['data.ip'], timespanMs: 600_000, condition: { gte: 5 } });
    expect(r.skipped).toEqual([{
      file: 'test/fixtures/rules-loading/login/nested/windows_only.yaml', line: 1, title: 'A rule for another product (fixture)', reason: "logsource product 'windows' is not auth0",
    }]);
    const yamlError = r.diagnostics.find((d) => d.code === 'yaml-syntax')!;
    expect(formatDiagnostic(yamlError)).toMatch(/^test\/fixtures\/rules-loading\/other\/broken\.yml:6:5: error: YAML syntax error: /);
  });

  it('names files relative to the current directory by default', () => {
    const r = loadRules([path.join(FIXTURES, 'login')]);
    expect(r.files).toEqual([
      relativeName(path.join(FIXTURES, 'login', 'failed_logins.yml'), process.cwd()),
      relativeName(path.join(FIXTURES, 'login', 'nested', 'windows_only.yaml'), process.cwd()),
    ]);
    expect(r.files[0]).not.toContain('\\');
  });

  it('reports a missing path among good ones and still loads the rest', () => {
    const r = loadRules([path.join(FIXTURES, 'login'), path.join(REPO, 'no-such-rules')], { root: REPO });
    expect(r.diagnostics.filter((d) => d.severity === 'error').map((d) => d.code)).toEqual(['path-not-found']);
    expect(r.model.rules).toHaveLength(2);
  });

  it('rejects a bad engine option', () => {
    const r = loadRulesFromText([], { engine: { regexValueCap: -1 } });
    expect(r.diagnostics[0]).toMatchObject({ severity: 'error', code: 'bad-engine-option' });
    expect(r.model.options.regexValueCap).toBe(4096);
    expect(loadRulesFromText([], { engine: { regexValueCap: 100 } }).model.options.regexValueCap).toBe(100);
  });
});

describe('the seed rule', () => {
  it('loads with its placeholder set', () => {
    const r = loadRules([SEED], { root: REPO, placeholders: { api_explorer_client_id: 'AbCdEf0123456789' } });
    expect(r.diagnostics.filter((d) => d.severity !== 'note')).toEqual([]);
    const [rule] = r.model.rules;
    expect(rule).toMatchObject({
      id: '90a9a856-716d-11f0-bb81-723487b9527c', idDerived: false, level: 'medium', status: 'experimental',
      file: 'rules/api_explorer_token_copy.yml', tags: ['attack.credential-access', 'attack.t1528'], alerts: true,
      placeholders: ['api_explorer_client_id'],
    });
    expect(rule.detection!.identifiers.selection).toEqual({
      kind: 'map', loc: { file: 'rules/api_explorer_token_copy.yml', line: 14, col: 5 },
      items: [
        { field: 'data.type', modifiers: [], values: ['seccft'], loc: { file: 'rules/api_explorer_token_copy.yml', line: 15, col: 9 } },
        { field: 'data.client_id', modifiers: [], values: ['AbCdEf0123456789'], loc: { file: 'rules/api_explorer_token_copy.yml', line: 16, col: 9 } },
      ],
    });
    // Custom keys reach the model as written; placeholders outside detection are not touched.
    expect(Object.keys(rule.meta)).toEqual(expect.arrayContaining(['explanation', 'splunk', 'comments', 'tenant_logs', 'prevention', 'falsepositives', 'author', 'date', 'modified']));
    expect(rule.meta.tenant_logs).toContain('{api_explorer_client_id}');
    expect(rule.meta.date).toBe('2025-07-11');
  });

  it('is an error without its placeholder, naming it and how to set it', () => {
    const r = loadRules([SEED], { root: REPO });
    expect(r.model.rules).toEqual([]);
    const errors = r.diagnostics.filter((d) => d.severity === 'error');
    expect(errors.map(formatDiagnostic)).toEqual([
      expect.stringMatching(
        /^rules\/api_explorer_token_copy\.yml:16:9: error: placeholder '\{api_explorer_client_id\}' has no value \(rule 'High Risk Actions - copying of the most powerful token through API Explorer', identifier 'selection', field 'data\.client_id'\) — set it with `--set api_explorer_client_id=VALUE`/,
      ),
    ]);
  });

  it("is skipped with a warning in 'skip-rule' mode", () => {
    const r = loadRules([SEED], { root: REPO, unresolvedPlaceholders: 'skip-rule' });
    expect(r.model.rules).toEqual([]);
    expect(r.skipped).toEqual([{ file: 'rules/api_explorer_token_copy.yml', line: 1, title: expect.stringContaining('API Explorer'), reason: "unresolved placeholder 'api_explorer_client_id'" }]);
    expect(r.diagnostics.filter((d) => d.severity === 'warning').map((d) => d.code)).toEqual(['rule-skipped-placeholder']);
  });
});

import { loadRulesFromText, type LoadOptions, type LoadResult } from '../../lambda/sigma/loader';
import { deriveRuleId } from '../../lambda/sigma/validate';
import { formatDiagnostic } from '../../lambda/sigma/diagnostics';
import type { Diagnostic } from '../../lambda/sigma/types';

const FILE = 'rules/t.yml';

function load(lines: string[], options: LoadOptions = {}, file = FILE): LoadResult {
  return loadRulesFromText([{ file, text: lines.join('\n') + '\n' }], options);
}

function only(result: LoadResult, code: string): Diagnostic {
  const found = result.diagnostics.filter((d) => d.code === code);
  if (found.length !== 1) throw new Error(`expected one '${code}', got:\n${result.diagnostics.map(formatDiagnostic).join('\n')}`);
  return found[0];
}

const at = (d: Diagnostic): string => `${d.loc.file}:${d.loc.line}:${d.loc.col}`;
const errors = (r: LoadResult): Diagnostic[] => r.diagnostics.filter((d) => d.severity === 'error');

const HEADER = ['title: Test rule', 'id: 6f1c2a3b-1111-4222-8333-444455556666', 'level: high', 'logsource:', '  product: auth0'];

describe('rule metadata', () => {
  it('builds the model and keeps every top-level key but detection, id, title, level and tags in meta', () => {
    const r = load([
      ...HEADER, // lines 1-5
      'status: experimental',
      'description: something',
      'tags: [attack.t1528]',
      'falsepositives: Admins',
      'fields: [data.ip]',
      'explanation: why',
      'date: 2025-07-11',
      'detection:',
      '  selection:',
      '    data.type: seccft',
      '  condition: selection',
    ]);
    expect(errors(r)).toEqual([]);
    const rule = r.model.rules[0];
    expect(rule).toMatchObject({
      kind: 'detection', id: '6f1c2a3b-1111-4222-8333-444455556666', idDerived: false, title: 'Test rule', level: 'high',
      status: 'experimental', description: 'something', tags: ['attack.t1528'], falsepositives: ['Admins'], fields: ['data.ip'],
      references: [], file: FILE, line: 1, docIndex: 0, alerts: true, placeholders: [],
    });
    // id, title, level and tags travel in the rule summary of every detection, so meta does not repeat them.
    expect(Object.keys(rule.meta)).toEqual(['logsource', 'status', 'description', 'falsepositives', 'fields', 'explanation', 'date']);
    // Dates stay as written: the model is plain JSON.
    expect(rule.meta.date).toBe('2025-07-11');
    expect(JSON.parse(JSON.stringify(r.model))).toEqual(r.model);
  });

  it('derives a stable UUID-shaped id from file and title when id is missing', () => {
    const text = ['title: No id here', 'level: low', 'detection:', '  sel:', '    data.type: f', '  condition: sel'];
    const a = load(text).model.rules[0];
    expect(a.idDerived).toBe(true);
    expect(a.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a.id).toBe(deriveRuleId(FILE, 'No id here'));
    expect(load(text).model.rules[0].id).toBe(a.id);
    expect(load(text, {}, 'rules/other.yml').model.rules[0].id).not.toBe(a.id);
    expect(deriveRuleId(FILE, 'Other title')).not.toBe(a.id);
  });

  it('warns about an id that is not a UUID, at the value', () => {
    const r = load(['title: T', 'id: my-rule', 'level: low', 'detection:', '  sel: {a: 1}', '  condition: sel']);
    const d = only(r, 'id-not-uuid');
    expect(d.severity).toBe('warning');
    expect(at(d)).toBe('rules/t.yml:2:5');
    expect(d.message).toContain("'my-rule'");
    expect(r.model.rules[0].id).toBe('my-rule');
  });

  it('requires a title', () => {
    const r = load(['level: low', 'detection:', '  sel: {a: 1}', '  condition: sel']);
    const d = only(r, 'missing-title');
    expect(at(d)).toBe('rules/t.yml:1:1');
    expect(d.hint).toContain('title:');
    expect(r.model.rules).toEqual([]);
  });

  it('rejects an unknown level and defaults a missing one to medium with a warning', () => {
    const bad = load(['title: T', 'level: severe', 'detection:', '  sel: {a: 1}', '  condition: sel']);
    const d = only(bad, 'bad-level');
    expect(at(d)).toBe('rules/t.yml:2:8');
    expect(d.hint).toContain('informational, low, medium, high, critical');
    expect(d.ruleTitle).toBe('T');
    const missing = load(['title: T', 'detection:', '  sel: {a: 1}', '  condition: sel']);
    expect(only(missing, 'missing-level').severity).toBe('warning');
    expect(missing.model.rules[0].level).toBe('medium');
  });

  it('checks tags are a list of strings', () => {
    const r = load(['title: T', 'level: low', 'tags:', '  - ok', '  - {a: b}', 'detection:', '  sel: {a: 1}', '  condition: sel']);
    const d = only(r, 'bad-tags');
    expect(at(d)).toBe('rules/t.yml:5:5');
    expect(load(['title: T', 'level: low', 'tags: attack', 'detection:', '  sel: {a: 1}', '  condition: sel']).diagnostics.map((x) => [x.code, at(x)])).toContainEqual([
      'bad-tags', 'rules/t.yml:3:7',
    ]);
  });

  it.each([
    [['id: 42'], 'bad-id', '2:5', 'error'],
    [['name: [a]'], 'bad-name', '2:7', 'error'],
    [['status: frozen'], 'unknown-status', '2:9', 'warning'],
    [['status: 3'], 'bad-status', '2:9', 'error'],
    [['description: [a]'], 'bad-description', '2:14', 'error'],
    [['logsource: auth0'], 'bad-logsource', '2:12', 'error'],
    [['references: {a: 1}'], 'bad-references', '2:13', 'error'],
    [['fields:', '  - 3'], 'bad-fields', '3:5', 'error'],
  ])('reports metadata %j as %s', (lines, code, loc, severity) => {
    const r = load(['title: T', ...lines, 'level: low', 'detection:', '  sel: {a: 1}', '  condition: sel']);
    const d = only(r, code);
    expect(`${d.loc.line}:${d.loc.col}`).toBe(loc);
    expect(d.severity).toBe(severity);
    expect(d.ruleTitle).toBe('T');
    expect(d.hint).toBeTruthy();
    expect(r.model.rules).toHaveLength(severity === 'error' ? 0 : 1);
  });

  it('rejects a document that is not a mapping, and ignores empty documents', () => {
    const r = load(['- just', '- a list', '---', '---', 'title: T', 'level: low', 'detection:', '  sel: {a: 1}', '  condition: sel']);
    expect(at(only(r, 'rule-not-mapping'))).toBe('rules/t.yml:1:1');
    expect(r.model.rules.map((x) => [x.title, x.docIndex, x.line])).toEqual([['T', 2, 5]]);
  });

  it('keeps a __proto__ key as an ordinary meta key', () => {
    const r = load(['title: T', 'level: low', '__proto__: {polluted: true}', 'detection:', '  sel: {a: 1}', '  condition: sel']);
    const rule = r.model.rules[0];
    expect(Object.prototype.hasOwnProperty.call(rule.meta, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('enablement', () => {
  const body = ['detection:', '  sel: {a: 1}', '  condition: sel'];

  it('skips rules for other products and deprecated/unsupported rules with a note', () => {
    const r = load(['title: Windows', 'level: low', 'logsource:', '  product: windows', ...body]);
    expect(r.model.rules).toEqual([]);
    expect(r.skipped).toEqual([{ file: FILE, line: 1, title: 'Windows', reason: "logsource product 'windows' is not auth0" }]);
    expect(only(r, 'rule-skipped').severity).toBe('note');
    const dep = load(['title: Old', 'level: low', 'status: deprecated', ...body]);
    expect(dep.skipped[0].reason).toBe('status is deprecated');
    expect(load(['title: U', 'level: low', 'status: unsupported', ...body]).skipped[0].reason).toBe('status is unsupported');
    expect(load(['title: NoProduct', 'level: low', 'logsource:', '  service: x', ...body]).skipped[0].reason).toContain('no product');
  });

  it('enables auth0 rules and rules without logsource, and does not validate skipped ones', () => {
    expect(load(['title: A', 'level: low', 'logsource: {product: auth0}', ...body]).model.rules).toHaveLength(1);
    const noLogsource = load(['title: B', 'level: low', ...body]);
    expect(noLogsource.model.rules).toHaveLength(1);
    // The specification requires logsource: still enabled, with a warning (which --strict turns into an error).
    expect(only(noLogsource, 'missing-logsource')).toMatchObject({ severity: 'warning', loc: { line: 1 } });
    expect(only(noLogsource, 'missing-logsource').message).toBe('the rule has no logsource (the Sigma specification requires one)');
    // A broken detection in a rule for another product is not reported: the rule does not run here.
    const r = load(['title: C', 'level: low', 'logsource: {product: okta}', 'detection:', '  sel: 5', '  condition: nope']);
    expect(errors(r)).toEqual([]);
  });

  it('skips rules below minLevel with a note', () => {
    const r = load(['title: Low', 'level: low', ...body], { minLevel: 'medium' });
    expect(r.model.rules).toEqual([]);
    expect(r.skipped[0].reason).toBe('level low is below the minimum level medium');
    expect(only(r, 'rule-skipped').severity).toBe('note');
    expect(load(['title: High', 'level: high', ...body], { minLevel: 'medium' }).model.rules).toHaveLength(1);
  });
});

describe('detection structure', () => {
  it('builds maps, lists of maps, keyword lists and keyword maps with modifiers', () => {
    const r = load([
      'title: T', 'level: low',
      'detection:',
      '  sel_map:',
      '    data.type: [s, f]',
      '    data.ip|cidr: 10.0.0.0/8',
      '  sel_any:',
      '    - data.type: s',
      '    - data.type: f',
      '      data.user_name|endswith: admin',
      '  words:',
      '    - evil',
      '    - 42',
      '  all_words:',
      "    '|all': [a, b]",
      '  condition: 1 of sel_* or words or all_words',
    ]);
    expect(errors(r)).toEqual([]);
    const ids = r.model.rules[0].detection!.identifiers;
    expect(ids.sel_map).toEqual({
      kind: 'map', loc: { file: FILE, line: 4, col: 3 },
      items: [
        { field: 'data.type', modifiers: [], values: ['s', 'f'], loc: { file: FILE, line: 5, col: 5 } },
        { field: 'data.ip', modifiers: ['cidr'], values: ['10.0.0.0/8'], loc: { file: FILE, line: 6, col: 5 } },
      ],
    });
    expect(ids.sel_any.kind).toBe('anyOf');
    expect(ids.sel_any.kind === 'anyOf' && ids.sel_any.alternatives.map((a) => a.kind === 'map' && a.items.map((i) => i.field))).toEqual([
      ['data.type'], ['data.type', 'data.user_name'],
    ]);
    expect(ids.words).toMatchObject({ kind: 'keywords', item: { field: null, modifiers: [], values: ['evil', 42] } });
    expect(ids.all_words).toMatchObject({ kind: 'keywords', item: { field: null, modifiers: ['all'], values: ['a', 'b'] } });
  });

  it.each([
    [['  sel: just-a-string'], 'scalar-search', '5:3', "search identifier 'sel' must be a map"],
    [['  sel: {}'], 'empty-search', '5:3', 'empty map'],
    [['  sel: []'], 'empty-search', '5:3', 'empty list'],
    [['  sel:', '    - a: 1', '    - plain'], 'mixed-search-list', '5:3', 'mixes maps and plain values'],
    [['  sel:', '    a: []'], 'empty-value-list', '6:8', 'empty'],
    [['  sel:', '    a:', '      nested: 1'], 'bad-value', '7:7', 'not a map'],
    [['  sel:', '    a|: 1'], 'empty-modifier', '6:5', 'empty modifier'],
    [['  sel:', '    - x', '    - null'], 'null-keyword', '7:7', 'keyword cannot be null'],
    [['  sel:', '    a: 1', "    '|contains': x"], 'keyword-in-map', '7:5', 'keyword search'],
  ])('reports %j as %s at its location', (detection, code, loc, message) => {
    const r = load(['title: T', 'level: low', 'detection:', '  unused: {x: 1}', ...detection, '  condition: sel or unused']);
    const d = only(r, code);
    expect(d.severity).toBe('error');
    expect(`${d.loc.line}:${d.loc.col}`).toBe(loc);
    expect(d.message).toContain(message);
    expect(d.identifier).toBe('sel');
    expect(d.hint).toBeTruthy();
    expect(r.model.rules).toEqual([]);
  });

  it('passes every field item to the modifier checks and reports their problems located at the key', () => {
    const r = load([
      'title: Mods', 'level: low',
      'detection:',
      '  sel:',
      '    data.type|contians: x',
      '    data.ip|cidr: 10.0.0.0/33',
      '    data.user_name|all: one',
      '    data.details|re: "(unclosed"',
      '  condition: sel',
    ]);
    const got = errors(r).map((d) => [d.code, `${d.loc.line}:${d.loc.col}`, d.field, d.identifier, d.ruleTitle]);
    expect(got).toEqual([
      ['unknown-modifier', '5:5', 'data.type', 'sel', 'Mods'],
      ['invalid-cidr', '6:5', 'data.ip', 'sel', 'Mods'],
      ['all-single-value', '7:5', 'data.user_name', 'sel', 'Mods'],
      ['invalid-regex', '8:5', 'data.details', 'sel', 'Mods'],
    ]);
    expect(only(r, 'unknown-modifier').modifier).toBe('contians');
    expect(formatDiagnostic(only(r, 'unknown-modifier'))).toMatch(/^rules\/t\.yml:5:5: error: .*contians.*\(rule 'Mods', identifier 'sel', field 'data\.type', modifier 'contians'\) — /);
  });

  it('reports every problem of a rule, not only the first', () => {
    const r = load(['title: T', 'level: loud', 'tags: x', 'detection:', '  sel: 1', '  other: {}', '  condition: sel and missing']);
    expect(errors(r).map((d) => d.code).sort()).toEqual(['bad-level', 'bad-tags', 'empty-search', 'scalar-search', 'undefined-identifier']);
  });

  it('warns about unused identifiers and an ignored timeframe', () => {
    const r = load(['title: T', 'level: low', 'detection:', '  sel: {a: 1}', '  spare: {b: 2}', '  timeframe: 5m', '  condition: sel']);
    expect(at(only(r, 'unused-identifier'))).toBe('rules/t.yml:5:3');
    expect(only(r, 'timeframe-ignored').severity).toBe('warning');
    expect(r.model.rules).toHaveLength(1);
  });

  it('requires a detection with a condition', () => {
    expect(at(only(load(['title: T', 'level: low']), 'missing-detection'))).toBe('rules/t.yml:1:1');
    expect(at(only(load(['title: T', 'level: low', 'detection:', '  sel: {a: 1}']), 'missing-condition'))).toBe('rules/t.yml:3:1');
    expect(at(only(load(['title: T', 'level: low', 'detection: 5']), 'bad-detection'))).toBe('rules/t.yml:3:12');
  });
});

describe('conditions in rules', () => {
  const rule = (condition: string): string[] => ['title: T', 'level: low', 'detection:', '  selection: {a: 1}', '  filter: {b: 2}', `  condition: ${condition}`];

  it('points the old aggregation syntax at the pipe and suggests a correlation rule', () => {
    const d = only(load(rule('selection | count() by data.ip > 5')), 'aggregation-syntax');
    expect(at(d)).toBe('rules/t.yml:6:24');
    expect(d.hint).toContain('correlation');
  });

  it('reports each undefined identifier at its column, quoted or not', () => {
    const plain = load(rule('selection and not filtr or other'));
    expect(plain.diagnostics.filter((d) => d.code === 'undefined-identifier').map(at)).toEqual(['rules/t.yml:6:32', 'rules/t.yml:6:41']);
    expect(only(load(rule("'selection and filtr'")), 'undefined-identifier').loc.col).toBe(29);
    expect(only(load(rule('selection and filtr')), 'undefined-identifier').message).toContain("'filtr'");
  });

  it('reports a `1 of` pattern that matches nothing', () => {
    const d = only(load(rule('1 of sel_*')), 'pattern-matches-nothing');
    expect(at(d)).toBe('rules/t.yml:6:19');
    expect(d.hint).toContain('selection, filter');
  });

  it('ORs a list of conditions', () => {
    const r = load(['title: T', 'level: low', 'detection:', '  a: {x: 1}', '  b: {y: 2}', '  condition:', '    - a', '    - b and not a']);
    expect(r.model.rules[0].detection!.condition).toEqual({
      op: 'or', args: [{ op: 'id', name: 'a' }, { op: 'and', args: [{ op: 'id', name: 'b' }, { op: 'not', arg: { op: 'id', name: 'a' } }] }],
    });
    expect(r.model.rules[0].detection!.conditionText).toEqual(['a', 'b and not a']);
    const bad = load(['title: T', 'level: low', 'detection:', '  a: {x: 1}', '  condition:', '    - a', '    - nope']);
    expect(at(only(bad, 'undefined-identifier'))).toBe('rules/t.yml:7:7');
  });
});

describe('placeholders in rules', () => {
  const rule = ['title: P', 'level: low', 'detection:', '  sel:', '    data.type: seccft', '    data.client_id: "{client}"', '  condition: sel'];

  it('substitutes a value, and a list ORs', () => {
    const one = load(rule, { placeholders: { client: 'abc' } });
    expect(errors(one)).toEqual([]);
    const sel = one.model.rules[0].detection!.identifiers.sel;
    expect(sel.kind === 'map' && sel.items[1].values).toEqual(['abc']);
    expect(one.model.rules[0].placeholders).toEqual(['client']);
    const many = load(rule, { placeholders: { client: ['a*', 'b'] } });
    const sel2 = many.model.rules[0].detection!.identifiers.sel;
    expect(sel2.kind === 'map' && sel2.items[1].values).toEqual(['a*', 'b']);
  });

  it('is an error, by default, naming the placeholder and how to set it', () => {
    const r = load(rule);
    const d = only(r, 'unresolved-placeholder');
    expect(at(d)).toBe('rules/t.yml:6:5');
    expect(d.message).toContain('{client}');
    expect(d.hint).toContain('--set client=VALUE');
    expect(d.hint).toContain('--config');
    expect(d.hint).toContain('placeholders');
    expect(r.model.rules).toEqual([]);
  });

  it("skips the rule with a warning under 'skip-rule'", () => {
    const r = load(rule, { unresolvedPlaceholders: 'skip-rule' });
    expect(errors(r)).toEqual([]);
    expect(only(r, 'rule-skipped-placeholder').severity).toBe('warning');
    expect(r.skipped).toEqual([{ file: FILE, line: 1, title: 'P', reason: "unresolved placeholder 'client'" }]);
  });

  it('takes an unquoted {name} (a YAML map) as the placeholder and warns at the value', () => {
    const r = load(['title: P', 'level: low', 'detection:', '  sel:', '    data.client_id: {global_client_id}', '    data.x:', '      - {other}', '  condition: sel'],
      { placeholders: { global_client_id: 'g1', other: 'o1' } });
    const warnings = r.diagnostics.filter((d) => d.code === 'unquoted-placeholder');
    expect(warnings.map(at)).toEqual(['rules/t.yml:5:21', 'rules/t.yml:7:9']);
    expect(warnings[0].message).toContain('{global_client_id}');
    expect(warnings[0].hint).toBe("quote it: '{global_client_id}'");
    const sel = r.model.rules[0].detection!.identifiers.sel;
    expect(sel.kind === 'map' && sel.items.map((i) => i.values)).toEqual([['g1'], ['o1']]);
  });

  it('reads {name} among keywords as a placeholder, but a list made only of maps as alternatives', () => {
    const r = load(['title: P', 'level: low', 'detection:', '  words:', '    - evil', '    - {who}', '  nulls:', '    - user_id: null', '    - user_name: null', '  condition: words or nulls'],
      { placeholders: { who: 'mallory' } });
    expect(errors(r)).toEqual([]);
    const { words, nulls } = r.model.rules[0].detection!.identifiers;
    expect(words).toMatchObject({ kind: 'keywords', item: { values: ['evil', 'mallory'] } });
    expect(at(only(r, 'unquoted-placeholder'))).toBe('rules/t.yml:6:7');
    expect(nulls.kind === 'anyOf' && nulls.alternatives.map((a) => a.kind === 'map' && [a.items[0].field, a.items[0].values])).toEqual([
      ['user_id', [null]], ['user_name', [null]],
    ]);
  });

  it('splits a map into alternatives when a list placeholder sits under all', () => {
    const r = load(['title: P', 'level: low', 'detection:', '  sel:', '    data.type: s', "    data.description|contains|all: ['{who}', 'deleted']", '  condition: sel'],
      { placeholders: { who: ['alice', 'bob'] } });
    expect(errors(r)).toEqual([]);
    const sel = r.model.rules[0].detection!.identifiers.sel;
    expect(sel.kind).toBe('anyOf');
    expect(sel.kind === 'anyOf' && sel.alternatives.map((a) => a.kind === 'map' && a.items[1].values)).toEqual([['alice', 'deleted'], ['bob', 'deleted']]);
  });

  it('substitutes %name% under expand and drops the expand modifier', () => {
    const r = load(['title: P', 'level: low', 'detection:', '  sel:', "    data.user_name|expand: '%admins%'", '  condition: sel'], { placeholders: { admins: ['root', 'ops'] } });
    const sel = r.model.rules[0].detection!.identifiers.sel;
    expect(sel.kind === 'map' && sel.items[0]).toMatchObject({ field: 'data.user_name', modifiers: [], values: ['root', 'ops'] });
    // Without expand, %name% is literal text.
    const lit = load(['title: P', 'level: low', 'detection:', '  sel:', "    data.user_name: '%admins%'", '  condition: sel'], { placeholders: { admins: 'x' } });
    const sel2 = lit.model.rules[0].detection!.identifiers.sel;
    expect(sel2.kind === 'map' && sel2.items[0].values).toEqual(['%admins%']);
  });
});

describe('correlations', () => {
  const base = [
    'title: Failed login', 'name: failed_login', 'id: 11111111-1111-4111-8111-111111111111', 'level: low',
    'detection:', '  sel: {data.type: f}', '  condition: sel',
  ];
  const correlation = (lines: string[]): string[] => [...base, '---', 'title: Many failures', 'id: 22222222-2222-4222-8222-222222222222', 'level: high', 'correlation:', ...lines];

  it('parses a multi-document file: detection then correlation', () => {
    const r = load(correlation([
      '  type: event_count', '  rules:', '    - failed_login', '  group-by:', '    - data.ip', '  timespan: 5m', '  condition:', '    gte: 10',
    ]));
    expect(errors(r)).toEqual([]);
    const [det, corr] = r.model.rules;
    expect(det).toMatchObject({ kind: 'detection', docIndex: 0, alerts: false, name: 'failed_login' });
    expect(corr).toMatchObject({ kind: 'correlation', docIndex: 1, line: 9, alerts: true });
    expect(corr.correlation).toEqual({
      type: 'event_count', rules: ['11111111-1111-4111-8111-111111111111'], groupBy: ['data.ip'], timespanMs: 300_000, timespan: '5m',
      condition: { gte: 10 }, aliases: {}, loc: { file: FILE, line: 12, col: 1 },
    });
    expect(corr.meta).not.toHaveProperty('correlation');
  });

  it('lets the referenced rule alert on its own with generate: true', () => {
    const r = load(correlation(['  type: event_count', '  rules: [failed_login]', '  timespan: 1h', '  condition: {gt: 3}', '  generate: true']));
    expect(r.model.rules.map((x) => x.alerts)).toEqual([true, true]);
    expect(r.model.rules[1].correlation!.timespanMs).toBe(3_600_000);
  });

  it('converts timespans and validates conditions of every type', () => {
    const two = [...base, '---', 'title: Other', 'name: other', 'level: low', 'detection:', '  s: {x: 1}', '  condition: s', '---', 'title: C', 'level: high', 'correlation:'];
    const ok = load([...two, '  type: temporal_ordered', '  rules: [failed_login, other]', '  group-by: [data.user_id]', '  timespan: 2d',
      '  aliases:', '    user:', '      failed_login: data.user_id', '      other: data.details.user']);
    expect(errors(ok)).toEqual([]);
    const c = ok.model.rules[2].correlation!;
    expect(c.timespanMs).toBe(2 * 86_400_000);
    expect(c.condition).toEqual({ gte: 2 });
    expect(c.aliases).toEqual({ user: { '11111111-1111-4111-8111-111111111111': 'data.user_id', [ok.model.rules[1].id]: 'data.details.user' } });
    const vc = load(correlation(['  type: value_count', '  rules: [failed_login]', '  timespan: 30s', '  condition: {gte: 5, field: data.user_name}']));
    expect(vc.model.rules[1].correlation!.condition).toEqual({ gte: 5, field: 'data.user_name' });
    expect(vc.model.rules[1].correlation!.timespanMs).toBe(30_000);
  });

  it.each([
    [['  type: event_cnt', '  rules: [failed_login]', '  timespan: 5m', '  condition: {gte: 1}'], 'bad-correlation-type', '13:9'],
    [['  type: event_count', '  rules: [failed_login]', '  timespan: 5 minutes', '  condition: {gte: 1}'], 'bad-timespan', '15:13'],
    [['  type: event_count', '  rules: [failed_login]', '  timespan: 5m'], 'missing-correlation-condition', '12:1'],
    [['  type: event_count', '  rules: [failed_login]', '  timespan: 5m', '  condition: {more: 1}'], 'bad-correlation-condition', '16:15'],
    [['  type: event_count', '  rules: [failed_login]', '  timespan: 5m', '  condition: {gte: ten}'], 'bad-correlation-condition', '16:20'],
    [['  type: value_count', '  rules: [failed_login]', '  timespan: 5m', '  condition: {gte: 1}'], 'missing-correlation-field', '16:3'],
    [['  type: event_count', '  rules: [nobody]', '  timespan: 5m', '  condition: {gte: 1}'], 'unknown-rule-reference', '14:11'],
    [['  type: event_count', '  timespan: 5m', '  condition: {gte: 1}'], 'missing-correlation-rules', '12:1'],
    [['  type: temporal', '  rules: [failed_login]', '  timespan: 5m'], 'temporal-needs-rules', '14:10'],
    [['  type: event_count', '  rules: [failed_login]', '  timespan: 5m', '  condition: {gte: 1}', '  generate: yes'], 'bad-generate', '17:13'],
    [['  type: event_count', '  rules: [failed_login]', '  timespan: 5m', '  condition: {gte: 1}', '  aliases: {ip: {stranger: data.ip}}'], 'alias-unknown-rule', '17:18'],
  ])('reports %j as %s', (lines, code, loc) => {
    const r = load(correlation(lines));
    const d = only(r, code);
    expect(d.severity).toBe('error');
    expect(`${d.loc.line}:${d.loc.col}`).toBe(loc);
    expect(d.ruleTitle).toBe('Many failures');
    expect(d.hint).toBeTruthy();
    expect(r.model.rules.map((x) => x.kind)).toEqual(['detection']);
    // The detection rule is not silenced by a correlation that did not load.
    expect(r.model.rules[0].alerts).toBe(true);
  });

  it('resolves names in the same file first, then across files', () => {
    const other = ['title: Elsewhere', 'name: failed_login', 'level: low', 'detection:', '  s: {x: 1}', '  condition: s'];
    const corrOnly = ['title: C', 'level: high', 'correlation:', '  type: event_count', '  rules: [failed_login]', '  timespan: 5m', '  condition: {gte: 2}'];
    const local = loadRulesFromText([
      { file: 'rules/a.yml', text: other.join('\n') },
      { file: 'rules/b.yml', text: correlation(['  type: event_count', '  rules: [failed_login]', '  timespan: 5m', '  condition: {gte: 2}']).join('\n') },
    ]);
    expect(errors(local)).toEqual([]);
    expect(local.model.rules.find((x) => x.kind === 'correlation')!.correlation!.rules).toEqual(['11111111-1111-4111-8111-111111111111']);
    // From a third file both are candidates: ambiguous.
    const ambiguous = loadRulesFromText([
      { file: 'rules/a.yml', text: other.join('\n') },
      { file: 'rules/b.yml', text: base.join('\n') },
      { file: 'rules/c.yml', text: corrOnly.join('\n') },
    ]);
    const d = only(ambiguous, 'ambiguous-rule-reference');
    expect(at(d)).toBe('rules/c.yml:5:11');
    expect(d.message).toContain('rules/a.yml:1');
    expect(d.message).toContain('rules/b.yml:1');
    // By id it is unique.
    const byId = loadRulesFromText([
      { file: 'rules/a.yml', text: other.join('\n') },
      { file: 'rules/b.yml', text: base.join('\n') },
      { file: 'rules/c.yml', text: corrOnly.join('\n').replace('[failed_login]', '[11111111-1111-4111-8111-111111111111]') },
    ]);
    expect(errors(byId)).toEqual([]);
    expect(byId.model.rules.filter((x) => x.kind === 'detection').map((x) => [x.title, x.alerts])).toEqual([['Elsewhere', true], ['Failed login', false]]);
  });

  it('skips a correlation whose rule is skipped, and keeps a low base rule that a kept correlation needs', () => {
    const skippedBase = load(correlation(['  type: event_count', '  rules: [failed_login]', '  timespan: 5m', '  condition: {gte: 2}']).map((l) => (l === 'level: low' ? 'status: deprecated' : l)));
    expect(skippedBase.model.rules).toEqual([]);
    expect(skippedBase.skipped.map((s) => s.title)).toEqual(['Failed login', 'Many failures']);
    expect(only(skippedBase, 'rule-skipped-reference').severity).toBe('warning');
    const minLevel = load(correlation(['  type: event_count', '  rules: [failed_login]', '  timespan: 5m', '  condition: {gte: 2}']), { minLevel: 'high' });
    expect(minLevel.model.rules.map((x) => [x.title, x.alerts])).toEqual([['Failed login', false], ['Many failures', true]]);
    expect(minLevel.skipped).toEqual([]);
  });

  it.each([
    [['  rules: [failed_login]', '  timespan: 5m', '  condition: {gte: 1}'], 'missing-correlation-type', '12:1', 'error'],
    [['  type: event_count', '  rules: [failed_login]', '  condition: {gte: 1}'], 'missing-timespan', '12:1', 'error'],
    [['  type: value_percentile', '  rules: [failed_login]', '  timespan: 5m', '  condition: {gte: 1, field: x}'], 'missing-correlation-percentile', '16:3', 'error'],
    [['  type: event_count', '  rules: [failed_login]', '  timespan: 5m', '  condition: {gte: 1, field: x}'], 'correlation-field-ignored', '16:23', 'warning'],
    [['  type: event_count', '  rules: [failed_login]', '  timespan: 5m', '  condition: {gte: 1}', '  window: 3'], 'unknown-correlation-key', '17:3', 'warning'],
    [['  type: event_count', '  rules: [failed_login]', '  group-by: {a: 1}', '  timespan: 5m', '  condition: {gte: 1}'], 'bad-group-by', '15:13', 'error'],
    [['  type: event_count', '  rules: [failed_login]', '  timespan: 5m', '  condition: {gte: 1}', '  aliases: [x]'], 'bad-aliases', '17:12', 'error'],
    [['  type: event_count', '  rules: [failed_login, 22222222-2222-4222-8222-222222222222]', '  timespan: 5m', '  condition: {gte: 1}'], 'self-reference', '14:25', 'error'],
  ])('reports correlation %j as %s', (lines, code, loc, severity) => {
    const d = only(load(correlation(lines)), code);
    expect(`${d.loc.line}:${d.loc.col}`).toBe(loc);
    expect(d.severity).toBe(severity);
    expect(d.hint).toBeTruthy();
  });

  it('reports a correlation whose rule has errors', () => {
    const r = load(correlation(['  type: event_count', '  rules: [failed_login]', '  timespan: 5m', '  condition: {gte: 1}']).map((l) => (l === '  condition: sel' ? '  condition: nope' : l)));
    const d = only(r, 'reference-to-broken-rule');
    expect(at(d)).toBe('rules/t.yml:14:11');
    expect(d.message).toContain("'Failed login' (rules/t.yml:1)");
    expect(r.model.rules).toEqual([]);
  });

  it('reports a duplicate id', () => {
    const r = load([...base, '---', ...base.map((l) => l.replace('name: failed_login', 'name: again'))]);
    const d = only(r, 'duplicate-id');
    expect(at(d)).toBe('rules/t.yml:9:1');
    expect(d.message).toContain('rules/t.yml:1');
    expect(r.model.rules).toHaveLength(1);
  });

  it('rejects a document with both detection and correlation', () => {
    const r = load([...base, 'correlation: {type: event_count}']);
    expect(at(only(r, 'detection-and-correlation'))).toBe('rules/t.yml:8:1');
  });
});

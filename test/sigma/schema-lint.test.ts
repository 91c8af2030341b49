// The schema lint: rules checked against the Auth0 field catalog (the committed one, generated from
// auth0/auth0-log-schemas, and small catalogs built here from hand-written schemas).

import Ajv from 'ajv';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  buildFieldCatalog, buildValidationSchemas, DEFAULT_DOCUMENTED_CODES, readDocumentedCodes, serializeCatalog, type SchemaSource,
} from '../../scripts/gen-field-catalog';
import { findFixtureFiles, loadFixtureFile } from '../../lambda/sigma/fixtures';
import { loadRules } from '../../lambda/sigma/loader';
import {
  FieldCatalog, fieldCatalog, lintRules, logTypesOf, nearestKnownPath, nearestLogType, nearestLogTypes, schemaKnowsField,
} from '../../lambda/sigma/schema-lint';
import type { ConditionNode, CorrelationCondition, FieldItem, RuleModel, Scalar, SearchNode, SourceLocation, ValueModifier } from '../../lambda/sigma/types';

const ROOT = path.join(__dirname, '..', '..');

// ---- hand-built rule models (independent of the loader) ----

let nextLine = 10;
const at = (): SourceLocation => ({ file: 'rules/lint-test.yml', line: nextLine++, col: 9 });

function item(field: string | null, values: Scalar | Scalar[], modifiers: ValueModifier[] = []): FieldItem {
  return { field, modifiers, values: Array.isArray(values) ? values : [values], loc: at() };
}

function map(...items: FieldItem[]): SearchNode {
  return { kind: 'map', items, loc: at() };
}

const id = (name: string): ConditionNode => ({ op: 'id', name });
const and = (...args: ConditionNode[]): ConditionNode => ({ op: 'and', args });
const or = (...args: ConditionNode[]): ConditionNode => ({ op: 'or', args });
const not = (arg: ConditionNode): ConditionNode => ({ op: 'not', arg });

function rule(identifiers: Record<string, SearchNode>, condition?: ConditionNode, extra: Partial<RuleModel> = {}): RuleModel {
  const names = Object.keys(identifiers);
  return {
    kind: 'detection',
    id: extra.id ?? `rule-${nextLine}`,
    idDerived: false,
    title: extra.title ?? 'lint test rule',
    level: 'medium',
    tags: [],
    falsepositives: [],
    references: [],
    fields: [],
    meta: {},
    file: 'rules/lint-test.yml',
    line: 1,
    docIndex: 0,
    detection: {
      identifiers,
      conditionText: ['test'],
      condition: condition ?? (names.length === 1 ? id(names[0]!) : and(...names.map(id))),
      conditionLoc: at(),
    },
    alerts: true,
    placeholders: [],
    ...extra,
  };
}

// ---- the committed catalog (facts checked against the Auth0 schemas of 8b58c73) ----

describe('lint against the committed Auth0 catalog', () => {
  it('catches a wrong path on a sapi rule and suggests the path Auth0 writes', () => {
    // sapi's schema lists details.request as an object without properties: the body lives below it.
    const wrong = item('data.request.body.allowlist', '198.51.100.0/24', ['contains']);
    const diagnostics = lintRules([rule({ selection: map(item('data.type', 'sapi'), wrong) })]);
    expect(diagnostics).toHaveLength(1);
    const d = diagnostics[0]!;
    expect(d).toMatchObject({
      severity: 'warning',
      code: 'unknown-field',
      loc: wrong.loc,
      field: 'data.request.body.allowlist',
      identifier: 'selection',
      modifier: 'contains',
      hint: 'did you mean data.details.request.body.allowlist?',
    });
    expect(d.message).toContain('log type sapi');
  });

  it('accepts paths below objects the schema leaves free-form', () => {
    const rules = [rule({
      selection: map(
        item('data.type', 'sapi'),
        item('data.details.request.body.allowlist', '0.0.0.0/0', ['contains']),
        item('data.details.response.body.client_id', 'abc'),
        item('data.auth0_client.env.node', '20*'), // one anyOf alternative of auth0_client is a bare object
      ),
    })];
    expect(lintRules(rules)).toEqual([]);
    expect(schemaKnowsField('data.details.request.body.anything.at.all', ['sapi'])).toBe(true);
  });

  it('warns on a misspelt type code with the nearest code, and on a pattern no code matches', () => {
    const typo = item('data.type', ['seccfr']);
    const prefix = item('data.type', 'zz_', ['startswith']);
    const diagnostics = lintRules([rule({ a: map(typo), b: map(prefix) }, or(id('a'), id('b')))]);
    expect(diagnostics.map((d) => [d.code, d.loc, d.hint?.startsWith('did you mean seccft')])).toEqual([
      ['unknown-log-type', typo.loc, true],
      ['unknown-log-type', prefix.loc, false],
    ]);
    expect(diagnostics[0]!.message).toBe("'seccfr' is not a documented Auth0 log type code (as of 2026-12-02)");
    expect(diagnostics[0]!.message).not.toMatch(/never/);
    expect(nearestLogType('seccfr')).toBe('seccft');
    expect(nearestLogType('SAPII')).toBe('sapi');
    expect(nearestLogType('completely-unrelated')).toBeUndefined();
  });

  it('accepts codes in any case, with wildcards and string modifiers', () => {
    const rules = [rule({
      a: map(item('data.type', ['SECCFT', 's*'])),
      b: map(item('data.type', 'gd_', ['startswith'])),
      c: map(item('data.type', '^f(p|u)$', ['re'])),
    }, or(id('a'), id('b'), id('c')))];
    expect(lintRules(rules)).toEqual([]);
  });

  it('warns when a scalar is compared with an object or an array of objects', () => {
    const objectField = item('data.details.request', 'POST');
    const arrayOfObjects = item('data.details.prompts', 'login');
    const diagnostics = lintRules([
      rule({ selection: map(item('data.type', 'sapi'), objectField) }),
      rule({ selection: map(item('data.type', 's'), arrayOfObjects) }),
    ]);
    expect(diagnostics.map((d) => [d.code, d.loc])).toEqual([
      ['scalar-vs-object', objectField.loc],
      ['scalar-vs-object', arrayOfObjects.loc],
    ]);
    expect(diagnostics[0]!.message).toContain("'data.details.request' is typed object");
  });

  it('does not warn for exists, null or fieldref on an object field, nor for an array of strings', () => {
    const rules = [rule({
      selection: map(
        item('data.type', 'sapi'),
        item('data.details.request', true, ['exists']),
        item('data.details.response', null),
        item('data.details.accessedSecrets', 'client_secret'), // array of strings: the engine compares each element
      ),
    })];
    expect(lintRules(rules)).toEqual([]);
  });

  it('warns when a numeric modifier reads a string-only field, not a number field', () => {
    const onString = item('data.client_name', 5, ['gt']);
    const onNumber = item('data.details.elapsedTime', 5000, ['gte']);
    const diagnostics = lintRules([rule({ a: map(item('data.type', 's'), onString, onNumber) })]);
    expect(diagnostics.map((d) => [d.code, d.loc, d.modifier])).toEqual([['numeric-on-string', onString.loc, 'gt']]);
  });

  it('understands {} array steps and arrays crossed without them', () => {
    const ok = [
      item('data.details.prompts{}.name', 'login'),
      item('data.details.prompts.name', 'login'),
      item('data.details.prompts{}.stats.loginsCount', 1, ['gt']),
    ];
    expect(lintRules([rule({ s: map(item('data.type', 's'), ...ok) })])).toEqual([]);
    const typo = item('data.details.prompts{}.nmae', 'login');
    const notArray = item('data.details.session_id{}', 'x');
    const diagnostics = lintRules([rule({ s: map(item('data.type', 's'), typo, notArray) })]);
    expect(diagnostics.map((d) => [d.code, d.loc])).toEqual([['unknown-field', typo.loc], ['unknown-field', notArray.loc]]);
    expect(diagnostics[0]!.hint).toBe('did you mean data.details.prompts.name?');
  });

  it('knows log_id at the event root and data. as the prefix of everything else', () => {
    const diagnostics = lintRules([rule({ a: map(item('data.type', 'sapi'), item('log_id', '900*'), item('type', 'sapi')) })]);
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]).toMatchObject({ code: 'unknown-field', field: 'type', hint: 'did you mean data.type?' });
  });

  it('checks the fields list, fieldref values, and correlation group-by against the base rules', () => {
    const base = rule({ a: map(item('data.type', 'f'), item('data.user_id', 'x', ['fieldref'])) }, undefined, {
      id: 'base', fields: ['data.ip', 'data.detials.error.message'],
    });
    (base.detection!.identifiers.a as { items: FieldItem[] }).items[1]!.values = ['data.user_nmae'];
    const correlation: RuleModel = {
      ...rule({}),
      kind: 'correlation',
      id: 'corr',
      detection: undefined,
      correlation: {
        type: 'value_count', rules: ['base'], groupBy: ['data.ip', 'data.ipp'], timespanMs: 60000, timespan: '1m',
        condition: { gte: 5, field: 'data.user_name' }, aliases: {}, loc: at(),
      },
    };
    const diagnostics = lintRules([base, correlation]);
    expect(diagnostics.map((d) => [d.code, d.field, d.hint])).toEqual([
      ['unknown-field', 'data.user_nmae', 'did you mean data.user_name?'],
      ['unknown-field', 'data.detials.error.message', 'did you mean data.details.error.message?'],
      ['unknown-field', 'data.ipp', 'did you mean data.ip?'],
    ]);
    expect(diagnostics[1]!.message).toMatch(/^fields entry /);
    expect(diagnostics[2]!.message).toMatch(/^group-by /);
  });

  it('checks a field against the types its own map allows (data.type in the same selection)', () => {
    const sOnly = item('data.details.prompts.name', 'login');
    const rules = [rule({
      s_login: map(item('data.type', 's'), sOnly),
      api: map(item('data.type', 'sapi'), item('data.details.request.method', 'POST')),
    }, or(id('s_login'), id('api')))];
    expect(lintRules(rules)).toEqual([]);
    const misplaced = item('data.details.prompts.name', 'login');
    const wrong = [rule({
      s_login: map(item('data.type', 's'), item('data.user_id', 'x')),
      api: map(item('data.type', 'sapi'), misplaced),
    }, or(id('s_login'), id('api')))];
    expect(lintRules(wrong).map((d) => [d.code, d.loc])).toEqual([['unknown-field', misplaced.loc]]);
  });

  it('reads keyword lists as a search over all values: nothing to check', () => {
    const keywords: SearchNode = { kind: 'keywords', item: item(null, ['mimikatz']), loc: at() };
    expect(lintRules([rule({ keywords })])).toEqual([]);
  });

  it('suggests across every type for a rule without a data.type constraint, or stays silent when nothing is close', () => {
    const [d] = lintRules([rule({ a: map(item('data.user_agnet', 'curl*')) })]);
    expect(d).toMatchObject({ code: 'unknown-field', hint: 'did you mean data.user_agent?' });
    expect(d!.message).toContain('any Auth0 log type');
    const [far] = lintRules([rule({ a: map(item('data.zzzzzz.qqqqqq.wwwwww', 'x')) })]);
    expect(far!.code).toBe('unknown-field');
    expect(far!.hint).not.toMatch(/did you mean/);
  });

  it('lints the shipped rules clean', () => {
    const fixtures = findFixtureFiles([path.join(ROOT, 'rules')]);
    const placeholders: Record<string, string | string[]> = {};
    for (const f of fixtures) Object.assign(placeholders, loadFixtureFile(f).placeholders);
    const loaded = loadRules([path.join(ROOT, 'rules')], { placeholders, root: ROOT });
    expect(loaded.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(loaded.skipped).toEqual([]);
    expect(loaded.model.rules.length).toBeGreaterThan(5);
    expect(lintRules(loaded.model.rules)).toEqual([]);
    // Every detection rule shipped is anchored to known log types (none is 'all' or empty).
    for (const r of loaded.model.rules.filter((x) => x.kind === 'detection')) {
      const types = logTypesOf(r);
      expect({ rule: r.title, anchored: types !== 'all' && types.length > 0 }).toEqual({ rule: r.title, anchored: true });
    }
  });
});

describe('logTypesOf', () => {
  const all = fieldCatalog().codes;

  it('reads values and lists', () => {
    expect(logTypesOf(rule({ a: map(item('data.type', 'sapi')) }))).toEqual(['sapi']);
    expect(logTypesOf(rule({ a: map(item('data.type', ['fp', 'fu', 'nope'])) }))).toEqual(['fp', 'fu']);
    expect(logTypesOf(rule({ a: map(item('data.type', 'fc*')) }))).toEqual(all.filter((c) => c.startsWith('fc')));
    expect(logTypesOf(rule({ a: map(item('data.type', 'seccfr')) }))).toEqual([]);
  });

  it('is all types when the rule says nothing about data.type', () => {
    expect(logTypesOf(rule({ a: map(item('data.ip', '1.2.3.4')) }))).toBe('all');
    expect(logTypesOf(rule({ a: map(item('data.type', 'sapi')), b: map(item('data.ip', 'x')) }, or(id('a'), id('b'))))).toBe('all');
  });

  it('intersects across and, unions across or and 1 of / all of', () => {
    const ids = { a: map(item('data.type', ['f', 'fp'])), b: map(item('data.type', ['fp', 'fu'])) };
    expect(logTypesOf(rule(ids, and(id('a'), id('b'))))).toEqual(['fp']);
    expect(logTypesOf(rule(ids, or(id('a'), id('b'))))).toEqual(['f', 'fp', 'fu']);
    expect(logTypesOf(rule(ids, { op: 'of', quantifier: 'one', pattern: '*', names: ['a', 'b'] }))).toEqual(['f', 'fp', 'fu']);
    expect(logTypesOf(rule(ids, { op: 'of', quantifier: 'all', pattern: '*', names: ['a', 'b'] }))).toEqual(['fp']);
  });

  it('follows negations: not, neq, and selections excluded by the condition', () => {
    const notF = logTypesOf(rule({ a: map(item('data.type', 'f')) }, not(id('a'))));
    expect(notF).toEqual(all.filter((c) => c !== 'f'));
    const neq = logTypesOf(rule({ a: map(item('data.type', ['s', 'f'], ['neq'])) }));
    expect(neq).toEqual(all.filter((c) => c !== 's' && c !== 'f'));
    const excluded = logTypesOf(rule({
      sel: map(item('data.type', ['f', 'fp', 'fu'])),
      filter: map(item('data.type', 'fp')),
    }, and(id('sel'), not(id('filter')))));
    expect(excluded).toEqual(['f', 'fu']);
    // not of a map with another item can be true for any type: no narrowing (sound).
    const mixed = logTypesOf(rule({
      sel: map(item('data.type', ['f', 'fp'])),
      filter: map(item('data.type', 'fp'), item('data.ip', '10.*')),
    }, and(id('sel'), not(id('filter')))));
    expect(mixed).toEqual(['f', 'fp']);
    expect(logTypesOf(rule({ a: map(item('data.type', 'f')) }, not(not(id('a')))))).toEqual(['f']);
  });

  it('widens on what it cannot evaluate and for correlations', () => {
    expect(logTypesOf(rule({ a: map(item('data.type', 'c2FwaQ==', ['base64'])) }))).toBe('all');
    expect(logTypesOf({ ...rule({}), kind: 'correlation', detection: undefined })).toBe('all');
  });

  it('reads anyOf lists of maps', () => {
    const anyOf: SearchNode = { kind: 'anyOf', alternatives: [map(item('data.type', 's')), map(item('data.type', 'f'))], loc: at() };
    expect(logTypesOf(rule({ a: anyOf }))).toEqual(['f', 's']);
    const withFree: SearchNode = { kind: 'anyOf', alternatives: [map(item('data.type', 's')), map(item('data.ip', 'x'))], loc: at() };
    expect(logTypesOf(rule({ a: withFree }))).toBe('all');
  });
});

describe('schemaKnowsField and nearestKnownPath', () => {
  it('answers for given types, for all types, and undefined for unknown types', () => {
    expect(schemaKnowsField('data.details.prompts.name', ['s'])).toBe(true);
    expect(schemaKnowsField('data.details.prompts.name', ['sapi'])).toBe(false);
    expect(schemaKnowsField('data.details.prompts.name')).toBe(true);
    expect(schemaKnowsField('data.nothing_like_this')).toBe(false);
    expect(schemaKnowsField('data.ip', ['not-a-type'])).toBeUndefined();
  });

  it('re-roots a path onto a free-form object that ends with one of its segments', () => {
    expect(nearestKnownPath('data.request.body.allowlist', ['sapi'])).toBe('data.details.request.body.allowlist');
    expect(nearestKnownPath('details.request.method', ['sapi'])).toBe('data.details.request.method');
  });
});

// ---- the generator, on small hand-written schemas ----

function source(code: string, schema: Record<string, unknown> | boolean): SchemaSource {
  return { code, schema, file: `${code}.schema.json` };
}

const INFO = { repository: 'test', license: 'Apache-2.0' };

describe('gen-field-catalog', () => {
  const shared = { type: 'object', properties: { name: { type: 'string' }, version: { type: 'string' } } };
  const sources = [
    source('one', {
      type: 'object',
      definitions: { node: { type: 'object', properties: { label: { type: 'string' }, child: { $ref: '#/definitions/node' } } } },
      properties: {
        type: { const: 'one', type: 'string', description: 'The first type' },
        client: shared,
        count: { type: ['integer', 'null'] },
        tags: { type: 'array', items: { type: 'string' } },
        entries: { type: 'array', items: { type: 'object', properties: { 'key.with.dots': { type: 'string' }, value: { type: 'number' } } } },
        headers: { type: 'object', additionalProperties: { type: 'string' } },
        closed: { type: 'object', additionalProperties: false },
        blob: { type: 'object' },
        either: { anyOf: [{ type: 'object', properties: { a: { type: 'string' } } }, { type: 'null' }] },
        loose: { anyOf: [{ type: 'object', properties: { a: { type: 'string' } } }, { type: 'object' }] },
        both: { allOf: [{ type: 'object', properties: { x: { type: 'string' } } }, { properties: { y: { type: 'boolean' } } }] },
        tree: { $ref: '#/definitions/node' },
        anything: {},
      },
    }),
    source('two', { type: 'object', properties: { type: { const: 'two', type: 'string' }, client: shared } }),
  ];
  const file = buildFieldCatalog(sources, INFO);
  const catalog = new FieldCatalog(file);
  const known = (field: string): boolean => catalog.resolve(field, 'one').known;
  const types = (field: string): string[] => [...catalog.resolve(field, 'one').valueTypes].sort();

  it('lists every type with its description and an event root holding log_id and data', () => {
    expect(catalog.codes).toEqual(['one', 'two']);
    expect(catalog.describe('one')).toBe('The first type');
    expect(known('log_id')).toBe(true);
    expect(known('data.type')).toBe(true);
    expect(known('type')).toBe(false);
  });

  it('records JSON types from type arrays, const and items', () => {
    expect(types('data.count')).toEqual(['i', 'z']);
    expect(types('data.tags')).toEqual(['s']); // arrays yield their elements
    expect(types('data.entries.value')).toEqual(['i', 'n']);
    expect(types('data.client')).toEqual(['o']);
  });

  it('marks free-form objects and accepts any path below them, but not below closed or listed ones', () => {
    expect(catalog.resolve('data.blob.x.y', 'one')).toMatchObject({ known: true, free: true });
    expect(known('data.anything.deep.path')).toBe(true);
    expect(known('data.anything{}.deep')).toBe(true); // an unconstrained position may be an array too
    expect(known('data.closed.x')).toBe(false);
    expect(known('data.client.other')).toBe(false);
    expect(known('data.either.a')).toBe(true);
    expect(known('data.either.b')).toBe(false);
    expect(known('data.loose.b')).toBe(true); // one alternative is a bare object
  });

  it('treats additionalProperties schemas as maps with typed values', () => {
    expect(types('data.headers.x-forwarded-for')).toEqual(['s']);
    expect(known('data.headers.a.b')).toBe(true); // a literal dotted key of the map
  });

  it('resolves literal dotted keys in any split, {} steps and arrays crossed without them', () => {
    expect(known('data.entries.key.with.dots')).toBe(true);
    expect(known('data.entries{}.key.with.dots')).toBe(true);
    expect(known('data.entries{}.value')).toBe(true);
    expect(known('data.entries.key.with')).toBe(false);
    expect(known('data.client{}.name')).toBe(false);
  });

  it('merges allOf properties and follows $ref, widening recursion', () => {
    expect(known('data.both.x')).toBe(true);
    expect(known('data.both.y')).toBe(true);
    expect(known('data.both.z')).toBe(false);
    expect(known('data.tree.child.child.label')).toBe(true);
    expect(known('data.tree.child.nope')).toBe(false);
    // Unrolled three times, then free-form: deeper paths are accepted rather than looping.
    expect(known('data.tree.child.child.nope')).toBe(false);
    expect(known('data.tree.child.child.child.anything')).toBe(true);
  });

  it('stores shared subtrees once and serialises to valid JSON', () => {
    const clientOf = (code: string): number => file.nodes[file.nodes[file.types[code]![1]]!.p!.data!]!.p!.client!;
    expect(clientOf('one')).toBe(clientOf('two'));
    const text = serializeCatalog(file);
    expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(file)));
    expect(text.split('\n').length).toBe(file.nodes.length + 3);
  });

  it('refuses remote $refs with a message naming the file', () => {
    expect(() => buildFieldCatalog([source('bad', { properties: { a: { $ref: 'http://x/y.json' } } })], INFO))
      .toThrow(/bad\.schema\.json: .*only local \$ref/);
  });

  it('builds a validation copy: annotations dropped (not property names), subtrees shared, same verdicts', () => {
    const simple = [
      source('one', { type: 'object', description: 'drop me', required: ['description'], properties: { description: { type: 'string', examples: ['x'] }, client: shared } }),
      source('two', { type: 'object', properties: { client: shared } }),
    ];
    const doc = buildValidationSchemas(simple, INFO);
    const text = JSON.stringify(doc);
    expect(text).not.toContain('drop me');
    expect(text).not.toContain('examples');
    expect(doc.definitions.one).toMatchObject({ properties: { description: { type: 'string' } } });
    expect(text.match(/"version"/g)).toHaveLength(1);
    const ajv = new Ajv({ strict: true, allowUnionTypes: true });
    ajv.addSchema(doc);
    const validate = ajv.getSchema('auth0-log-schemas#/definitions/one')!;
    expect(validate({ description: 'x', client: { name: 'n' } })).toBe(true);
    expect(validate({ client: { name: 'n' } })).toBe(false);
    expect(validate({ description: 'x', client: { name: 1 } })).toBe(false);
  });
});

describe('the committed catalog file', () => {
  it('is the generator output format and names its source and license', () => {
    const text = fs.readFileSync(path.join(ROOT, 'lambda', 'sigma', 'auth0-field-catalog.json'), 'utf8');
    const file = JSON.parse(text) as ReturnType<typeof buildFieldCatalog>;
    expect(file.source).toMatchObject({ repository: 'https://github.com/auth0/auth0-log-schemas', license: 'Apache-2.0' });
    expect(Object.keys(file.types).length).toBeGreaterThan(100);
    expect(serializeCatalog(file)).toBe(text);
  });
});

// ---- documented codes without a schema, and the catalog's kinds of mistakes ----

function correlation(condition: CorrelationCondition, type: 'event_count' | 'value_count' = 'event_count'): RuleModel {
  return {
    ...rule({ a: map(item('data.type', 's')) }),
    kind: 'correlation',
    detection: undefined,
    id: `corr-${nextLine}`,
    correlation: { type, rules: [], groupBy: ['data.ip'], timespanMs: 3600000, timespan: '1h', condition, aliases: {}, loc: at() },
  };
}

describe('documented Auth0 type codes', () => {
  it('knows every code of the committed list, schema file or not, and records where the list comes from', () => {
    const documented = readDocumentedCodes(DEFAULT_DOCUMENTED_CODES);
    const catalog = fieldCatalog();
    for (const code of [...Object.keys(documented.table), ...Object.keys(documented.pages ?? {})]) expect({ code, known: catalog.hasType(code) }).toEqual({ code, known: true });
    expect(catalog.hasSchema('signup_pwd_leak')).toBe(false);
    expect(catalog.describe('signup_pwd_leak')).toBe('Breached Password on Signup');
    expect(catalog.file.documentedSource).toEqual({ pages: documented.sources.map((s) => s.page), taken: documented.taken });
    expect(documented.sources[0]!.page).toBe('https://auth0.com/docs/deploy-monitor/logs/log-event-type-codes');
  });

  it('accepts signup_pwd_leak and checks its fields against every schema', () => {
    const known = item('data.ip', '198.51.100.1');
    const unknown = item('data.no_such_field_anywhere', 'x');
    const diagnostics = lintRules([rule({ a: map(item('data.type', ['signup_pwd_leak', 'pwd_leak']), known, unknown) })]);
    expect(diagnostics.map((d) => [d.code, d.field])).toEqual([['unknown-field', 'data.no_such_field_anywhere']]);
    expect(logTypesOf(rule({ a: map(item('data.type', 'signup_pwd_leak')) }))).toEqual(['signup_pwd_leak']);
  });

  it('names every equally near code, and never says "never matches" of an unknown code', () => {
    expect(nearestLogTypes('sx')).toEqual(['s', 'sd', 'si', 'ss', 'sv']);
    expect(nearestLogTypes('signup_leak')).toEqual(['signup_pwd_leak']);
    expect(nearestLogTypes('zz')).toEqual([]);
    expect(nearestLogType('sx')).toBeUndefined();
    const [d] = lintRules([rule({ a: map(item('data.type', 'sx')) })]);
    expect(d).toMatchObject({ code: 'unknown-log-type', message: "'sx' is not a documented Auth0 log type code (as of 2026-12-02)" });
    expect(d!.hint).toMatch(/^did you mean one of s \(.+\), sd \(.+\), si \(.+\), ss \(.+\) or sv \(.+\)\?$/);
  });

  it('adds to the generated catalog the documented codes that have no schema file, and checks the list file', () => {
    const file = buildFieldCatalog([source('one', { type: 'object', properties: { type: { const: 'one' } } })], INFO, {
      sources: [{ page: 'https://example.test/codes' }], taken: '2026-12-01', table: { one: 'One', two: 'Two' }, pages: { three: 'Three' },
    });
    expect(file.documented).toEqual({ three: 'Three', two: 'Two' });
    expect(new FieldCatalog(JSON.parse(serializeCatalog(file))).codes).toEqual(['one', 'three', 'two']);
    const bad = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'codes-')), 'codes.json');
    fs.writeFileSync(bad, JSON.stringify({ sources: [{ page: 'x' }], taken: 'yesterday', table: {} }));
    expect(() => readDocumentedCodes(bad)).toThrow(`${bad}: 'taken' must be the date the lists were read, YYYY-MM-DD`);
    fs.writeFileSync(bad, JSON.stringify({ sources: [{ page: 'x' }], taken: '2026-12-01', table: { 'Bad Code': 'x' } }));
    expect(() => readDocumentedCodes(bad)).toThrow("'table.Bad Code'");
  });
});

describe('mistakes found in real rules', () => {
  it('warns that field: null on a field every Auth0 log has can never match, naming the likely cause', () => {
    const typeNull = item('data.type', [null]);
    const dateNull = item('data.date', [null]);
    const diagnostics = lintRules([rule({ emptied: map(typeNull), other: map(item('data.type', 's')), dated: map(item('data.type', 's'), dateNull) },
      or(id('emptied'), id('other'), id('dated')))]);
    expect(diagnostics.map((d) => [d.code, d.identifier, d.field, d.loc])).toEqual([
      ['null-on-always-present-field', 'emptied', 'data.type', typeNull.loc],
      ['null-on-always-present-field', 'dated', 'data.date', dateNull.loc],
    ]);
    expect(diagnostics[0]!.message).toBe("'data.type: null' never holds (every Auth0 log has data.type): selection 'emptied' can never match");
    expect(diagnostics[0]!.hint).toMatch(/YAML list whose items are all commented out/);
    // Fields Auth0 does not always write: null is a meaningful "missing" test.
    expect(lintRules([rule({ a: map(item('data.type', 's'), item('data.user_id', [null])) })])).toEqual([]);
  });

  it('warns that a count condition every group meets alerts on every group', () => {
    const warned = (c: CorrelationCondition, type?: 'event_count' | 'value_count'): string[] =>
      lintRules([correlation(c, type)]).filter((d) => d.code === 'correlation-every-group').map((d) => d.message);
    expect(warned({ gte: 1 })).toEqual([
      "condition 'gte: 1' holds for every group (every group has at least one event): this event_count correlation alerts on every group of 'data.ip' within 1h",
    ]);
    expect(warned({ gt: 0 })).toHaveLength(1);
    expect(warned({ gte: 0, field: 'data.user_name' }, 'value_count')[0]).toMatch(/at least zero distinct values/);
    expect(warned({ gte: 1, field: 'data.user_agent' }, 'value_count')[0]).toMatch(/every group whose events carry 'data.user_agent'/);
    expect(warned({ gte: 2 })).toEqual([]);
    expect(warned({ gt: 1 })).toEqual([]);
    expect(warned({ gte: 1, lte: 5 })).toEqual([]);
    expect(warned({ lt: 3 })).toEqual([]);
  });

  it('warns that a not over a path Auth0 never writes excludes nothing, and only then', () => {
    const selection = map(item('data.type', 'sapi'), item('data.description', 'Update Brute-force settings'));
    const wrongPath = map(item('data.request.body.allowlist', '192.0.2.0/24'));
    const [fieldWarning, negation] = lintRules([rule({ selection, filter: wrongPath }, and(id('selection'), not(id('filter'))))]);
    expect(fieldWarning!.code).toBe('unknown-field');
    expect(negation).toMatchObject({ code: 'negation-excludes-nothing', identifier: 'filter', field: 'data.request.body.allowlist' });
    expect(negation!.message).toMatch(/^'not filter' never excludes anything: field 'data.request.body.allowlist' is not in the Auth0 schema of log type sapi/);
    const rightPath = map(item('data.details.request.body.allowlist', '192.0.2.0/24'));
    expect(lintRules([rule({ selection, filter: rightPath }, and(id('selection'), not(id('filter'))))])).toEqual([]);
    // exists: false and null hold on a missing field: the filter may exclude something.
    const absent = map(item('data.request.body.allowlist', false, ['exists']));
    expect(lintRules([rule({ selection, filter: absent }, and(id('selection'), not(id('filter'))))]).map((d) => d.code)).toEqual(['unknown-field']);
    // One alternative of an or-filter may still match: no negation warning.
    const either = map(item('data.details.request.body.allowlist', 'x'));
    expect(lintRules([rule({ selection, filter: wrongPath, other: either }, and(id('selection'), not(or(id('filter'), id('other')))))])
      .map((d) => d.code)).toEqual(['unknown-field']);
  });
});

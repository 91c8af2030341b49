// Our own data against Auth0's published log schemas: every fixture event under rules/ and every sample event
// validates (ajv) against the schema of its log type, and names no field the schema does not define (the schemas
// allow unknown properties; we hold our data to the field catalog so a fixture cannot exercise an invented field).
// The schemas come from the committed validation copy test/data/auth0-log-schemas/log-types.schema.json
// (auth0/auth0-log-schemas, Apache-2.0), generated with `npm run gen:catalog`.

import Ajv, { type ValidateFunction } from 'ajv';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { normalizeEvent } from '../../lambda/sigma/events';
import { findFixtureFiles, loadFixtureFile } from '../../lambda/sigma/fixtures';
import { fieldCatalog, schemaKnowsField } from '../../lambda/sigma/schema-lint';
import { testScale } from '../helpers/scale';

const ROOT = path.join(__dirname, '..', '..');
const VALIDATION_SCHEMAS = path.join(__dirname, 'auth0-log-schemas', 'log-types.schema.json');

/**
 * Fields our data may carry although the schemas do not list them, each with the reason it is realistic.
 * Keys are `<type>:<path>`, with arrays crossed implicitly (the path a rule would use).
 */
const LOGINS_COUNT = 'Success logins carry the user\'s login count in details.stats.loginsCount; the schema lists stats only '
  + 'inside details.prompts[], while the logs Auth0 writes have it at details.stats too.';
const FAILURE_ERROR = 'Auth0 failure logs put the reason in details.error (message; oauthError for token-endpoint failures): '
  + '30 failure types\' schemas define details.error.message (f, fp, fu, fcoa, ...); the schema of this type lists '
  + 'fewer details than its events carry.';
const FIELD_DEVIATIONS: Record<string, string> = {
  's:data.details.stats.loginsCount': LOGINS_COUNT,
  'ssa:data.details.stats.loginsCount': LOGINS_COUNT,
  'feccft:data.details.error.message': FAILURE_ERROR,
  'fertft:data.details.error.message': FAILURE_ERROR,
  'feacft:data.details.error.message': FAILURE_ERROR,
  'feacft:data.details.error.oauthError': FAILURE_ERROR,
  'fs:data.details.error.message': FAILURE_ERROR,
};

interface DataEvent {
  where: string;
  raw: unknown;
}

/**
 * Documented codes without a schema file, validated against the schema of a sibling type: Auth0's per-type page of
 * signup_pwd_leak lists the fields of pwd_leak (both are breached-password detections).
 */
const SCHEMA_STAND_INS: Record<string, string> = { signup_pwd_leak: 'pwd_leak' };

function createValidator(): { hasDefinition(type: string): boolean; validatorFor(type: string): ValidateFunction | undefined } {
  const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
  // The schemas use three formats; ajv-formats is not a dependency, so they are defined here.
  ajv.addFormat('ipv4', (s: string) => net.isIPv4(s));
  ajv.addFormat('ipv6', (s: string) => net.isIPv6(s));
  ajv.addFormat('date-time', (s: string) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i.test(s) && !Number.isNaN(Date.parse(s)));
  const document = JSON.parse(fs.readFileSync(VALIDATION_SCHEMAS, 'utf8')) as { $id: string; definitions: Record<string, unknown> };
  ajv.addSchema(document);
  const cache = new Map<string, ValidateFunction | undefined>();
  const hasDefinition = (type: string): boolean => Object.prototype.hasOwnProperty.call(document.definitions, type) && !type.startsWith('_');
  return {
    hasDefinition,
    validatorFor(type: string): ValidateFunction | undefined {
      if (!cache.has(type)) {
        cache.set(type, hasDefinition(type)
          ? ajv.getSchema(`${document.$id}#/definitions/${type}`)
          : undefined);
      }
      return cache.get(type);
    },
  };
}

/** Every leaf of an object as the path a rule would write (arrays crossed, empty objects/arrays kept as leaves). */
function leafPaths(value: unknown, prefix: string, out: Set<string>): void {
  if (Array.isArray(value)) {
    if (value.length === 0) out.add(prefix);
    for (const element of value) leafPaths(element, prefix, out);
  } else if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value);
    if (keys.length === 0) out.add(prefix);
    for (const key of keys) leafPaths((value as Record<string, unknown>)[key], `${prefix}.${key}`, out);
  } else {
    out.add(prefix);
  }
}

/** The problems of one event: schema validation errors and fields the catalog does not know. */
function checkEvent(validator: ReturnType<typeof createValidator>, event: DataEvent): string[] {
  const normalized = normalizeEvent(event.raw);
  if ('error' in normalized) return [`${event.where}: not a log event: ${normalized.error}`];
  const data = normalized.event.data;
  const type = String(data.type);
  const standIn = SCHEMA_STAND_INS[type];
  const validate = validator.validatorFor(standIn ?? type);
  if (!validate) return [`${event.where}: data.type '${type}' has no Auth0 log schema`];
  const problems: string[] = [];
  // A stand-in schema fixes data.type to its own code: validate the event as that code.
  if (!validate(standIn ? { ...data, type: standIn } : data)) {
    for (const e of validate.errors ?? []) {
      problems.push(`${event.where}: ${type}: data${e.instancePath.replace(/\//g, '.')} ${e.message ?? 'is invalid'}`
        + (e.params && 'allowedValues' in e.params ? ` (${JSON.stringify(e.params.allowedValues)})` : ''));
    }
  }
  const leaves = new Set<string>();
  leafPaths(data, 'data', leaves);
  for (const leaf of leaves) {
    if (leaf === 'data' || FIELD_DEVIATIONS[`${type}:${leaf}`] !== undefined) continue;
    if (schemaKnowsField(leaf, [type]) === false) problems.push(`${event.where}: ${type}: ${leaf} is not in the Auth0 schema of ${type}`);
  }
  return problems;
}

function fixtureEvents(file: string): DataEvent[] {
  const fixture = loadFixtureFile(file, path.relative(ROOT, file));
  if (fixture.diagnostics.some((d) => d.severity === 'error')) {
    throw new Error(`${file}: the fixture file has errors: ${fixture.diagnostics.map((d) => d.message).join('; ')}`);
  }
  const events: DataEvent[] = [];
  for (const test of fixture.tests) {
    for (const e of [...test.match, ...test.noMatch, ...(test.sequence ?? [])]) {
      events.push({ where: `${e.loc.file}:${e.loc.line}`, raw: e.raw });
    }
  }
  return events;
}

function sampleEvents(file: string): DataEvent[] {
  const name = path.relative(ROOT, file);
  const text = fs.readFileSync(file, 'utf8');
  if (file.endsWith('.ndjson')) {
    return text.split('\n').flatMap((line, index) => (line.trim() === '' ? [] : [{ where: `${name}:${index + 1}`, raw: JSON.parse(line) as unknown }]));
  }
  const parsed = JSON.parse(text) as unknown;
  return (Array.isArray(parsed) ? parsed : [parsed]).map((raw, index) => ({ where: `${name} (event ${index + 1})`, raw }));
}

const fixtureFiles = findFixtureFiles([path.join(ROOT, 'rules')]);
const sampleDir = path.join(ROOT, 'samples');
const sampleFiles = fs.existsSync(sampleDir)
  ? fs.readdirSync(sampleDir).filter((f) => f.endsWith('.ndjson') || f.endsWith('.json')).sort().map((f) => path.join(sampleDir, f))
  : [];

describe('the validation copy of the schemas', () => {
  const validator = createValidator();

  it('has a schema for every log type of the field catalog, and they compile', () => {
    const catalog = fieldCatalog();
    const codes = catalog.codes.filter((code) => catalog.hasSchema(code));
    expect(codes.filter((code) => !validator.hasDefinition(code))).toEqual([]);
    // Compiling every one (ajv, strict) takes about 2 s: every 8th in `npm test`, all in `npm run test:long`.
    const compiled = testScale(codes.filter((_, i) => i % 8 === 0), codes);
    expect(compiled.filter((code) => !validator.validatorFor(code))).toEqual([]);
  });

  it('rejects what the Auth0 schema rejects: wrong types, bad formats, missing required fields', () => {
    const good = {
      type: 'sapi', date: '2026-11-20T09:15:44.120Z', description: 'Update a client', client_name: '', ip: '198.51.100.29',
      tenant_name: 'acme-prod', environment_name: 'prod-us-1', log_id: '900', details: { request: {}, response: {} },
    };
    expect(checkEvent(validator, { where: 'good', raw: { log_id: '900', data: good } })).toEqual([]);
    expect(checkEvent(validator, { where: 'ip', raw: { data: { ...good, ip: 'not-an-ip' } } }).join('\n')).toMatch(/data\.ip must match format/);
    expect(checkEvent(validator, { where: 'type', raw: { data: { ...good, is_mobile: 'yes' } } }).join('\n')).toMatch(/data\.is_mobile must be boolean/);
    const { details: _details, ...withoutDetails } = good;
    expect(checkEvent(validator, { where: 'req', raw: { data: withoutDetails } }).join('\n')).toMatch(/must have required property 'details'/);
  });

  it('flags a field the schema does not define, and accepts fields below free-form objects', () => {
    const data = {
      type: 'sapi', date: '2026-11-20T09:15:44.120Z', description: 'd', client_name: '', ip: '198.51.100.29', tenant_name: 't',
      environment_name: 'e', log_id: '900', details: { request: { body: { allowlist: ['198.51.100.0/24'] } }, response: {} },
    };
    expect(checkEvent(validator, { where: 'x', raw: { data } })).toEqual([]);
    expect(checkEvent(validator, { where: 'x', raw: { data: { ...data, request: { body: {} } } } }))
      .toEqual(['x: sapi: data.request.body is not in the Auth0 schema of sapi']);
  });
});

describe('the named deviations', () => {
  it('each names a log type the catalog has and a field its schema does not define (else it is stale)', () => {
    for (const key of Object.keys(FIELD_DEVIATIONS)) {
      const [type, field] = key.split(':') as [string, string];
      expect({ key, knows: schemaKnowsField(field, [type]) }).toEqual({ key, knows: false });
    }
  });
});

describe('fixture events under rules/ validate against their log type schema', () => {
  const validator = createValidator();
  it('finds fixture files', () => {
    expect(fixtureFiles.length).toBeGreaterThan(0);
  });
  it.each(fixtureFiles.map((f) => [path.relative(ROOT, f), f]))('%s', (_name, file) => {
    const events = fixtureEvents(file);
    expect(events.length).toBeGreaterThan(0);
    expect(events.flatMap((e) => checkEvent(validator, e))).toEqual([]);
  });
});

describe('sample events validate against their log type schema', () => {
  const validator = createValidator();
  it('finds sample files', () => {
    expect(sampleFiles.length).toBeGreaterThan(0);
  });
  it.each(sampleFiles.map((f) => [path.relative(ROOT, f), f]))('%s', (_name, file) => {
    const events = sampleEvents(file);
    expect(events.length).toBeGreaterThan(0);
    expect(events.flatMap((e) => checkEvent(validator, e))).toEqual([]);
  });
});

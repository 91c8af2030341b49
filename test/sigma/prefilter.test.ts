import * as fc from 'fast-check';
import { loadRulesFromText } from '../../lambda/sigma/loader';
import { CompiledRuleSet } from '../../lambda/sigma/ruleset';
import { normalizeEvent } from '../../lambda/sigma/events';
import {
  AUTH0_DETAIL_TYPE,
  AUTH0_PARTNER_SOURCE_PREFIX,
  buildEventPattern,
  caseRepresentatives,
  PrefilterOptions,
} from '../../lambda/sigma/prefilter';
import type { RuleSetModel } from '../../lambda/sigma/types';
import { matchesEventPattern } from '../helpers/eventbridge-pattern';
import { testScale } from '../helpers/scale';
import { run } from '../cli/helpers';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

// ------------------------------------------------------------------------------------------------ helpers

let ruleCounter = 0;

/** A detection rule document (JSON is YAML) with the given detection block. */
function ruleDoc(detection: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
  ruleCounter++;
  return JSON.stringify({ title: `rule ${ruleCounter}`, logsource: { product: 'auth0' }, level: 'low', detection, ...extra });
}

function load(docs: string[], placeholders: Record<string, string | string[]> = {}): RuleSetModel {
  const result = loadRulesFromText([{ file: 'rules.yml', text: docs.join('\n---\n') }], { placeholders });
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) throw new Error(errors.map((d) => d.message).join('\n'));
  return result.model;
}

function envelope(detail: Record<string, unknown>): Record<string, unknown> {
  return {
    version: '0',
    id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
    'detail-type': AUTH0_DETAIL_TYPE,
    source: `${AUTH0_PARTNER_SOURCE_PREFIX}/acme-1234/auth0.logs`,
    account: '123456789012',
    time: '2026-11-01T00:00:00Z',
    region: 'us-east-1',
    resources: [],
    detail,
  };
}

function engineMatches(ruleset: CompiledRuleSet, raw: unknown): boolean {
  const n = normalizeEvent(raw);
  if ('error' in n) return false;
  return ruleset.match(n.event).length > 0;
}

/** Builds pattern and engine for one rule; returns a judge telling (engine, pattern) for an event's data. */
function judge(docs: string[], options?: PrefilterOptions, placeholders?: Record<string, string>) {
  const model = load(docs, placeholders);
  const result = buildEventPattern(model, options);
  const ruleset = new CompiledRuleSet(model);
  const check = (data: Record<string, unknown>, logId = '90020261101') => {
    const env = envelope({ log_id: logId, data });
    return { engine: engineMatches(ruleset, env), pattern: matchesEventPattern(result.pattern, env) };
  };
  return { result, check };
}

// ------------------------------------------------------------------------------------------------ envelope

describe('buildEventPattern: envelope', () => {
  it('always constrains source and detail-type to Auth0 partner logs', () => {
    const { result } = judge([ruleDoc({ sel: { 'data.type': 'seccft' }, condition: 'sel' })]);
    expect(result.pattern['source']).toEqual([{ prefix: 'aws.partner/auth0.com' }]);
    expect(result.pattern['detail-type']).toEqual(['Auth0 log']);
    const other = { ...envelope({ data: { type: 'seccft' } }), source: 'aws.ec2' };
    expect(matchesEventPattern(result.pattern, other)).toBe(false);
    expect(result.json).toBe(JSON.stringify(result.pattern));
  });

  it('matches every Auth0 event when there is no detection rule', () => {
    const result = buildEventPattern({ version: 1, rules: [], options: { regexValueCap: 4096 } });
    expect(result.matchesEverything).toBe(true);
    expect(result.pattern['detail']).toBeUndefined();
    expect(result.widened.join('\n')).toMatch(/no enabled detection rule/);
  });
});

// ------------------------------------------------------------------------------------------------ value mapping

describe('buildEventPattern: value mapping', () => {
  it('maps a plain value to equals-ignore-case (Sigma is case-insensitive)', () => {
    const { result, check } = judge([ruleDoc({ sel: { 'data.type': 'fp' }, condition: 'sel' })]);
    expect(result.json).toContain('{"equals-ignore-case":"fp"}');
    expect(check({ type: 'FP' })).toEqual({ engine: true, pattern: true });
    expect(check({ type: 'fpx' })).toEqual({ engine: false, pattern: false });
    expect(result.matchesEverything).toBe(false);
  });

  it("adds the spellings EventBridge's per-character case mapping misses (ſ for s, Kelvin sign for k)", () => {
    expect(caseRepresentatives('s')).toEqual(['s', 'ſ']);
    expect(caseRepresentatives('k')).toEqual(['k', '\u212a']);
    expect(caseRepresentatives('a')).toEqual(['a']);
    const { check } = judge([ruleDoc({ sel: { 'data.type': 'seccft', 'data.user_name': 'kim' }, condition: 'sel' })]);
    expect(check({ type: 'ſECCFT', user_name: '\u212aIM' })).toEqual({ engine: true, pattern: true });
  });

  it('uses a plain exact literal for values without case (digits, punctuation)', () => {
    const { result, check } = judge([ruleDoc({ sel: { 'data.type': 'fp', 'data.connection_id': '12-34_' }, condition: 'sel' })]);
    expect(result.json).toContain('"connection_id":["12-34_"]');
    expect(check({ type: 'fp', connection_id: '12-34_' })).toEqual({ engine: true, pattern: true });
  });

  it('matches a number rule value against both the JSON number and its string form', () => {
    const { result, check } = judge([ruleDoc({ sel: { 'data.type': 'fp', 'data.code': 200 }, condition: 'sel' })]);
    expect(result.json).toContain('{"numeric":["=",200]}');
    expect(check({ type: 'fp', code: 200 })).toEqual({ engine: true, pattern: true });
    expect(check({ type: 'fp', code: '200' })).toEqual({ engine: true, pattern: true });
    expect(check({ type: 'fp', code: '0200' })).toEqual({ engine: false, pattern: false });
    expect(check({ type: 'fp', code: 201 })).toEqual({ engine: false, pattern: false });
  });

  it('treats a quoted number the same way (Sigma compares string forms)', () => {
    const { check } = judge([ruleDoc({ sel: { 'data.type': 'fp', 'data.code': '1.5' }, condition: 'sel' })]);
    expect(check({ type: 'fp', code: 1.5 })).toEqual({ engine: true, pattern: true });
  });

  it('drops a number EventBridge numeric matching cannot represent', () => {
    const { result, check } = judge([ruleDoc({ sel: { 'data.type': 'fp', 'data.code': '12345678901' }, condition: 'sel' })]);
    expect(result.json).not.toContain('code');
    expect(result.widened.join('\n')).toMatch(/outside what EventBridge numeric/);
    expect(check({ type: 'fp', code: 12345678901 })).toEqual({ engine: true, pattern: true });
  });

  it('matches a "true"/"false" rule value against the JSON boolean too', () => {
    const { result, check } = judge([ruleDoc({ sel: { 'data.type': 'fp', 'data.isMobile': 'TRUE' }, condition: 'sel' })]);
    expect(result.json).toContain('true]');
    expect(check({ type: 'fp', isMobile: true })).toEqual({ engine: true, pattern: true });
    expect(check({ type: 'fp', isMobile: 'True' })).toEqual({ engine: true, pattern: true });
    expect(check({ type: 'fp', isMobile: false })).toEqual({ engine: false, pattern: false });
  });

  it('maps startswith/endswith to prefix/suffix with equals-ignore-case', () => {
    const { result, check } = judge([
      ruleDoc({ sel: { 'data.type': 'fp', 'data.user_agent|startswith': 'Curl/' }, condition: 'sel' }),
      ruleDoc({ sel: { 'data.type': 'fu', 'data.user_name|endswith': '@Example.com' }, condition: 'sel' }),
    ]);
    expect(result.json).toContain('{"prefix":{"equals-ignore-case":"Curl/"}}');
    expect(result.json).toContain('{"suffix":{"equals-ignore-case":"@Example.com"}}');
    expect(check({ type: 'fp', user_agent: 'curl/8.0' })).toEqual({ engine: true, pattern: true });
    expect(check({ type: 'fu', user_name: 'A@EXAMPLE.COM' })).toEqual({ engine: true, pattern: true });
    expect(check({ type: 'fu', user_name: 'a@example.org' })).toEqual({ engine: false, pattern: false });
  });

  it('widens a wildcard in the middle to the longer of its literal prefix and suffix', () => {
    const { result, check } = judge([ruleDoc({ sel: { 'data.type': 'fp', 'data.user_name': 'ad*@example.com' }, condition: 'sel' })]);
    expect(result.json).toContain('{"suffix":{"equals-ignore-case":"@example.com"}}');
    expect(check({ type: 'fp', user_name: 'admin@example.com' })).toEqual({ engine: true, pattern: true });
    // Wider than the rule: passes EventBridge, the engine decides.
    expect(check({ type: 'fp', user_name: 'x@example.com' })).toEqual({ engine: false, pattern: true });
  });

  it('keeps escaped wildcards literal', () => {
    const { result } = judge([ruleDoc({ sel: { 'data.type': 'a\\*b' }, condition: 'sel' })]);
    expect(result.json).toContain('{"equals-ignore-case":"a*b"}');
  });

  it('uses a case-sensitive literal under cased', () => {
    const { result, check } = judge([ruleDoc({ sel: { 'data.type|cased': 'fp' }, condition: 'sel' })]);
    expect(result.json).toContain('"type":["fp"]');
    expect(check({ type: 'fp' })).toEqual({ engine: true, pattern: true });
    expect(check({ type: 'FP' })).toEqual({ engine: false, pattern: false });
  });

  it('drops contains (no case-insensitive EventBridge operator)', () => {
    const { result } = judge([ruleDoc({ sel: { 'data.type': 'fp', 'data.description|contains': 'password' }, condition: 'sel' })]);
    expect(result.json).not.toContain('description');
    expect(result.widened.join('\n')).toMatch(/'contains' has no case-insensitive/);
  });

  it.each([
    ['re', { 'data.user_name|re': '^adm' }],
    ['cidr', { 'data.ip|cidr': '10.0.0.0/8' }],
    ['gt', { 'data.code|gt': 5 }],
    ['base64', { 'data.description|base64|contains': 'abc' }],
    ['windash', { 'data.description|windash': '-x' }],
    ['neq', { 'data.description|neq': 'x' }],
    ['exists', { 'data.description|exists': true }],
  ])('drops modifier %s', (_name, item) => {
    const { result } = judge([ruleDoc({ sel: { 'data.type': 'fp', ...item }, condition: 'sel' })]);
    expect(result.json).not.toContain('"description"');
    expect(result.json).not.toContain('"user_name"');
    expect(result.json).toContain('"type"');
    expect(result.widened.length).toBeGreaterThan(0);
  });

  it('drops a null value (it matches a missing field)', () => {
    const { result, check } = judge([ruleDoc({ sel: { 'data.type': 'fp', 'data.user_id': null }, condition: 'sel' })]);
    expect(result.json).not.toContain('user_id');
    expect(check({ type: 'fp' })).toEqual({ engine: true, pattern: true });
  });

  it('drops a wildcard value that could match a number (Sigma compares string forms)', () => {
    const { result, check } = judge([ruleDoc({ sel: { 'data.type': 'fp', 'data.code': '4*' }, condition: 'sel' })]);
    expect(result.json).not.toContain('"code"');
    expect(check({ type: 'fp', code: 403 })).toEqual({ engine: true, pattern: true });
  });

  it('matches any element of an event array', () => {
    const { check } = judge([ruleDoc({ sel: { 'data.type': 'sapi', 'data.scope': 'delete:users' }, condition: 'sel' })]);
    expect(check({ type: 'sapi', scope: ['read:users', 'DELETE:users'] })).toEqual({ engine: true, pattern: true });
    expect(check({ type: 'sapi', scope: ['read:users'] })).toEqual({ engine: false, pattern: false });
  });

  it('accepts the {} step on a top-level data field', () => {
    const { result, check } = judge([ruleDoc({ sel: { 'data.type': 'sapi', 'data.scope{}': 'delete:users' }, condition: 'sel' })]);
    expect(result.json).toContain('"scope"');
    expect(check({ type: 'sapi', scope: ['delete:users'] })).toEqual({ engine: true, pattern: true });
  });

  it('constrains nested paths: nested objects, literal dotted keys and arrays of objects, as the engine reads them', () => {
    const { result, check } = judge([ruleDoc({ sel: { 'data.type': 'sapi', 'data.details.request.method': 'PATCH' }, condition: 'sel' })]);
    expect(result.pattern['detail']).toMatchObject({ data: { details: { request: { method: [{ 'equals-ignore-case': 'PATCH' }] } } } });
    expect(check({ type: 'sapi', details: { request: { method: 'patch' } } })).toEqual({ engine: true, pattern: true });
    expect(check({ type: 'sapi', 'details.request': { method: 'patch' } })).toEqual({ engine: true, pattern: true });
    expect(check({ type: 'sapi', 'details.request.method': 'PATCH' })).toEqual({ engine: true, pattern: true });
    expect(check({ type: 'sapi', details: [{ request: { method: 'GET' } }, { request: [{ method: 'PATCH' }] }] })).toEqual({ engine: true, pattern: true });
    expect(check({ type: 'sapi', details: { request: { method: 'GET' } } })).toEqual({ engine: false, pattern: false });
    expect(check({ type: 'sapi', details: { request: {} } })).toEqual({ engine: false, pattern: false });
  });

  it('keeps one constraint per key below data: EventBridge matches two fields only within one array element', () => {
    const { result, check } = judge([ruleDoc({
      sel: { 'data.type': 'sapi', 'data.details.request.method': 'PATCH', 'data.details.response.statusCode': 200 }, condition: 'sel',
    })]);
    const details = (result.pattern['detail'] as { data: { details: Record<string, unknown> } }).data.details;
    expect(Object.keys(details)).toHaveLength(1);
    // Each Sigma item is evaluated on its own: here they hold in different elements of one array.
    const split = { type: 'sapi', details: [{ request: { method: 'PATCH' } }, { response: { statusCode: 200 } }] };
    expect(check(split)).toEqual({ engine: true, pattern: true });
  });

  it('turns data.type: null (a YAML list whose items are all commented out) into exists: false, not a wider pattern', () => {
    const { result, check } = judge([ruleDoc({ emptied: { 'data.type': null }, sel: { 'data.type': 's' }, condition: 'emptied or sel' })]);
    expect(result.matchesEverything).toBe(false);
    expect(result.json).toContain('{"exists":false}');
    expect(check({ type: 'fp' })).toEqual({ engine: false, pattern: false });
    expect(check({ ip: '192.0.2.1' })).toEqual({ engine: true, pattern: true });
    expect(check({ type: 's' })).toEqual({ engine: true, pattern: true });
  });

  it('does not widen to every event for "selection or filter" whose filter is a nested path', () => {
    const { result, check } = judge([ruleDoc({
      selection: { 'data.type': 'sapi', 'data.description': 'Update Suspicious IP Throttling settings' },
      filter: { 'data.details.response.body.enabled': [false] },
      condition: 'selection or filter',
    })]);
    expect(result.matchesEverything).toBe(false);
    expect(check({ type: 'ssa', details: { response: { body: { enabled: false } } } })).toEqual({ engine: true, pattern: true });
    expect(check({ type: 'ssa', details: { response: { body: { enabled: true } } } })).toEqual({ engine: false, pattern: false });
    expect(result.causes[0]).toMatchObject({ effect: 'any-type', identifier: 'filter' });
    expect(result.summary).toMatch(/^PREFILTER WIDE: events of every log type reach the detector, because rule 'rule \d+' \(.+\), selection 'filter': .*'data.details.response.body.enabled'.*; to narrow it, add the data.type values it is meant for to 'filter'$/);
  });

  it('covers the case-fold class with one shared matcher per odd character, not one spelling per combination', () => {
    const { result, check } = judge([ruleDoc({ sel: { 'data.type': ['ss', 'pwd_leak', 'gd_send_sms'] }, condition: 'sel' })]);
    const type = (result.pattern['detail'] as { data: { type: unknown[] } }).data.type;
    expect(type).toContainEqual({ prefix: { 'equals-ignore-case': 'ſ' } });
    expect(type).toContainEqual({ suffix: { 'equals-ignore-case': '\u212a' } });
    for (const t of ['ſſ', 'sſ', 'ſs', 'pwd_lea\u212a', 'gd_ſend_ſmſ', 'GD_SEND_SMS']) expect(check({ type: t })).toEqual({ engine: true, pattern: true });
  });

  it('drops log_id (the engine falls back to data.log_id)', () => {
    const { result } = judge([ruleDoc({ sel: { 'data.type': 'fp', log_id: '9001' }, condition: 'sel' })]);
    expect(result.json).not.toContain('log_id');
  });
});

// ------------------------------------------------------------------------------------------------ conditions

describe('buildEventPattern: conditions', () => {
  it('uses only the positive part of "selection and not filter"', () => {
    const { result, check } = judge([
      ruleDoc({ sel: { 'data.type': 'fp' }, filter: { 'data.ip': '10.0.0.1' }, condition: 'sel and not filter' }),
    ]);
    expect(result.json).not.toContain('10.0.0.1');
    expect(check({ type: 'fp', ip: '10.0.0.2' })).toEqual({ engine: true, pattern: true });
    expect(check({ type: 'fu', ip: '10.0.0.2' })).toEqual({ engine: false, pattern: false });
  });

  it('makes every event pass when a rule has no usable constraint', () => {
    const { result } = judge([
      ruleDoc({ sel: { 'data.type': 'fp' }, condition: 'sel' }),
      ruleDoc({ sel: { 'data.description|contains': 'x' }, condition: 'sel' }),
    ]);
    expect(result.matchesEverything).toBe(true);
    expect(result.pattern['detail']).toBeUndefined();
  });

  it('keywords make every event pass', () => {
    const { result } = judge([ruleDoc({ keywords: ['evil'], condition: 'keywords' })]);
    expect(result.matchesEverything).toBe(true);
  });

  it('expresses or as $or and merges alternatives on the same field', () => {
    const { result, check } = judge([
      ruleDoc({ a: { 'data.type': 'fp' }, b: { 'data.type': 'fu' }, c: { 'data.ip': '10.0.0.1', 'data.type': 'f' }, condition: '1 of a or b or c' }),
    ]);
    expect(result.json).toContain('$or');
    expect(check({ type: 'fu' })).toEqual({ engine: true, pattern: true });
    expect(check({ type: 'f', ip: '10.0.0.1' })).toEqual({ engine: true, pattern: true });
    expect(check({ type: 'f', ip: '10.0.0.2' })).toEqual({ engine: false, pattern: false });
    // fp and fu share one alternative: {type: [fp, fu]}.
    const detail = JSON.stringify(result.pattern['detail']);
    expect(detail.match(/"type"/g)!.length).toBe(2);
  });

  it('merges identical constraints of several rules and absorbs narrower ones', () => {
    const { result } = judge([
      ruleDoc({ sel: { 'data.type': 'seccft' }, condition: 'sel' }),
      ruleDoc({ sel: { 'data.type': 'seccft', 'data.client_id': 'abc' }, condition: 'sel' }),
      ruleDoc({ sel: { 'data.type': 'seccft' }, condition: 'sel' }),
    ]);
    expect(result.pattern['detail']).toEqual({ data: { type: [{ 'equals-ignore-case': 'seccft' }, { prefix: { 'equals-ignore-case': 'ſ' } }] } });
  });

  it('all of them ANDs identifiers', () => {
    const { result, check } = judge([ruleDoc({ a: { 'data.type': 'fp' }, b: { 'data.ip': '1.2.3.4' }, condition: 'all of them' })]);
    expect(result.json).toContain('1.2.3.4');
    expect(check({ type: 'fp', ip: '1.2.3.5' })).toEqual({ engine: false, pattern: false });
  });

  it('includes correlation base rules and ignores the correlation rule itself', () => {
    const base = ruleDoc({ sel: { 'data.type': 'fp' }, condition: 'sel' }, { name: 'failed_login' });
    const correlation = JSON.stringify({
      title: 'many failed logins',
      level: 'high',
      correlation: { type: 'event_count', rules: ['failed_login'], 'group-by': ['data.ip'], timespan: '5m', condition: { gte: 10 } },
    });
    const { result, check } = judge([base, correlation]);
    expect(result.matchesEverything).toBe(false);
    expect(check({ type: 'fp', ip: '1.1.1.1' }).pattern).toBe(true);
    expect(check({ type: 's' }).pattern).toBe(false);
  });
});

// ------------------------------------------------------------------------------------------------ limits

describe('buildEventPattern: limits', () => {
  const manyRules = (n: number): string[] =>
    Array.from({ length: n }, (_, i) =>
      ruleDoc({ sel: { 'data.type': `type_number_${i}`, 'data.client_id': `client-${i}-ABCDEFGHIJKLMNOP`, 'data.ip': `10.0.${i}.1` }, condition: 'sel' }),
    );

  it('stays within the size limit by widening, keeping type constraints longest', () => {
    const model = load(manyRules(40));
    const result = buildEventPattern(model, { maxPatternLength: 2048 });
    expect(result.json.length).toBeLessThanOrEqual(2048);
    expect(result.json).toContain('type_number_');
    expect(result.widened.join('\n')).toMatch(/size limit/);
    const ruleset = new CompiledRuleSet(model);
    for (let i = 0; i < 40; i++) {
      const env = envelope({ log_id: 'x', data: { type: `TYPE_number_${i}`, client_id: `client-${i}-abcdefghijklmnop`, ip: `10.0.${i}.1` } });
      expect(engineMatches(ruleset, env)).toBe(true);
      expect(matchesEventPattern(result.pattern, env)).toBe(true);
    }
    expect(matchesEventPattern(result.pattern, envelope({ data: { type: 'ssa' } }))).toBe(false);
  });

  it('respects the alternative cap', () => {
    const result = buildEventPattern(load(manyRules(10)), { maxAlternatives: 3, maxPatternLength: 100000 });
    const alternatives = JSON.stringify(result.pattern).match(/"type":/g)!.length;
    expect(alternatives).toBeLessThanOrEqual(3);
  });

  it('falls back to the bare envelope when nothing narrower fits', () => {
    const result = buildEventPattern(load(manyRules(5)), { maxPatternLength: 120 });
    expect(result.matchesEverything).toBe(true);
    expect(result.json.length).toBeLessThanOrEqual(120);
  });
});

// ------------------------------------------------------------------------------------------------ soundness

// Small pools so that random rules and random events actually meet.
const TEXT = ['login', 'ss', 'ſſ', 's', 'S', 'ſ', 'seccft', 'SECCFT', 'ſeccft', 'fp', 'f', 'k', '\u212a', 'kim', 'true', 'false', 'TRUE', '200', '0200', '2e2', '1.5', '', 'abc', 'ABC', 'x*y', 'null', 'é', 'É'];
const PATTERN_TEXT = [...TEXT, 'ab*', '*bc', 'a?c', 's*', '*ft', 'se*ft', 'x\\*y', '4*', '*', 'tr*'];
const FIELDS = [
  'data.type', 'data.client_id', 'data.user_name', 'data.isMobile', 'data.code', 'data.scope', 'data.scope{}', 'data.details.request.path', 'log_id',
  'data.a.b', 'data.details.response.status', 'data.details.prompts.name', 'data.details.prompts{}.name', 'data.details.request.path{}',
];
const MODIFIERS = ['', '', '', '|startswith', '|endswith', '|contains', '|cased', '|startswith|cased', '|all', '|neq', '|exists', '|re', '|gt', '|cidr', '|windash'];

const scalarValue = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...PATTERN_TEXT) },
  { weight: 1, arbitrary: fc.constantFrom(200, 1.5, 0, true, false) },
);

const itemArb = fc.record({
  // data.type most often: every rule that pins the type then meets events of that type.
  field: fc.oneof(
    { weight: 3, arbitrary: fc.constant('data.type') },
    { weight: 7, arbitrary: fc.constantFrom(...FIELDS) },
    { weight: 4, arbitrary: fc.constantFrom(...FIELDS.filter((f) => f.split('.').length > 2)) },
  ),
  modifier: fc.constantFrom(...MODIFIERS),
  values: fc.oneof({ weight: 4, arbitrary: scalarValue }, { weight: 2, arbitrary: fc.array(scalarValue, { minLength: 1, maxLength: 3 }) }, { weight: 1, arbitrary: fc.constant(null) }),
});

function itemFor(modifier: string, values: unknown): unknown {
  // Keep generated rules valid for modifiers that need particular values.
  if (modifier === '|exists') return typeof values === 'boolean' ? values : true;
  if (modifier === '|gt') return 5;
  if (modifier === '|cidr') return '10.0.0.0/8';
  if (modifier === '|re') return '^a';
  if (modifier === '|all') return Array.isArray(values) && values.length > 1 && !values.includes(null) ? values : ['s', 'ab*'];
  if (values === null && modifier !== '') return 'abc';
  if (Array.isArray(values) && values.includes(null)) return values.filter((v) => v !== null).concat(['abc']);
  return values;
}

const identifierArb = fc.oneof(
  { weight: 6, arbitrary: fc.array(itemArb, { minLength: 1, maxLength: 2 }).map((items) => ({ kind: 'map' as const, items })) },
  { weight: 2, arbitrary: fc.array(fc.array(itemArb, { minLength: 1, maxLength: 2 }), { minLength: 2, maxLength: 3 }).map((alts) => ({ kind: 'list' as const, alts })) },
  { weight: 1, arbitrary: fc.array(fc.constantFrom('seccft', 'abc', 'kim', 'tr*'), { minLength: 1, maxLength: 2 }).map((kw) => ({ kind: 'keywords' as const, kw })) },
);

function mapOf(items: { field: string; modifier: string; values: unknown }[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const it of items) out[it.field + it.modifier] = itemFor(it.modifier, it.values);
  return out;
}

const ruleArb = fc
  .record({
    sel: identifierArb,
    filter: identifierArb,
    condition: fc.constantFrom('sel', 'sel', 'sel', 'sel and not filter', 'sel or filter', 'sel and filter', '1 of them', 'all of them', 'not filter', 'sel or not filter'),
  })
  .map(({ sel, filter, condition }) => {
    const body = (id: typeof sel): unknown => (id.kind === 'map' ? mapOf(id.items) : id.kind === 'list' ? id.alts.map(mapOf) : id.kw);
    return ruleDoc({ sel: body(sel), filter: body(filter), condition });
  });

const leafValue = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...TEXT, 'abxyzbc', 'seccftx', 'admin@example.com', '403', 'true ') },
  { weight: 4, arbitrary: fc.constantFrom(200, 1.5, 0, 403, 2e2, -1) },
  { weight: 1, arbitrary: fc.constantFrom(true, false, null) },
);
const fieldValue = fc.oneof(
  { weight: 5, arbitrary: leafValue },
  { weight: 2, arbitrary: fc.array(leafValue, { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.record({ path: leafValue }) },
  { weight: 1, arbitrary: fc.constant([] as unknown[]) },
);
const detailsArb = fc.record(
  {
    request: fc.oneof(fc.record({ path: fieldValue }), fc.array(fc.record({ path: fieldValue }), { maxLength: 2 })),
    response: fc.record({ status: fieldValue }, { requiredKeys: [] }),
    prompts: fc.array(fc.record({ name: fieldValue }, { requiredKeys: [] }), { maxLength: 3 }),
  },
  { requiredKeys: [] },
);
const dataArb = fc
  .record(
    {
      type: fc.constantFrom('seccft', 'SECCFT', 'ſeccft', 'fp', 'FP', 's', 'S', 'ſ', 'f', 'abc', 'tr', 'true', 'kim', '\u212aim'),
      client_id: fieldValue,
      user_name: fieldValue,
      isMobile: fieldValue,
      code: fieldValue,
      scope: fieldValue,
      // Nested objects, arrays of objects, and literal dotted keys at every level: the engine reads them all.
      details: fc.oneof(detailsArb, fc.array(detailsArb, { minLength: 1, maxLength: 3 })),
      'details.request': fc.record({ path: fieldValue }),
      'details.request.path': fieldValue,
      'details.response.status': fieldValue,
      a: fc.oneof(fc.record({ b: fieldValue }), fc.array(fc.record({ b: fieldValue }), { maxLength: 2 })),
      'a.b': fieldValue,
      log_id: fc.constant('abc'),
    },
    // No JSON null type (Auth0 never writes one); a missing type is generated.
    { requiredKeys: [] },
  );
const eventArb = fc.record({ data: dataArb, logId: fc.option(fc.constantFrom('abc', 'seccft', '200'), { nil: undefined }) });

/** Soundness on a batch: every envelope the engine matches passes the pattern; counts matches and rejections. */
function everyMatchPasses(pattern: Record<string, unknown>, ruleset: CompiledRuleSet, envelopes: unknown[], counts: { hits: number; rejected: number }): boolean {
  for (const env of envelopes) {
    const passes = matchesEventPattern(pattern, env);
    if (!passes) counts.rejected++;
    if (engineMatches(ruleset, env)) {
      counts.hits++;
      if (!passes) return false;
    }
  }
  return true;
}

describe('buildEventPattern: soundness (property)', () => {
  it('every event the engine matches passes the pattern', () => {
    const counts = { hits: 0, rejected: 0 };
    let nestedPatterns = 0;
    fc.assert(
      fc.property(
        fc.array(ruleArb, { minLength: 1, maxLength: 4 }),
        fc.array(eventArb, { minLength: 20, maxLength: 40 }),
        fc.constantFrom(2048, 600, 300),
        (docs, events, maxPatternLength) => {
          const result = loadRulesFromText([{ file: 'r.yml', text: docs.join('\n---\n') }], {});
          const model = result.model;
          if (model.rules.length === 0) return true;
          const built = buildEventPattern(model, { maxPatternLength });
          const pattern = built.pattern;
          if (/"(details|a)":\{/.test(built.json)) nestedPatterns++;
          const envelopes = events.map((e) => envelope(e.logId === undefined ? { data: e.data } : { data: e.data, log_id: e.logId }));
          return everyMatchPasses(pattern, new CompiledRuleSet(model), envelopes, counts);
        },
      ),
      { numRuns: testScale(100, 300), seed: 20261128 },
    );
    // The property is only meaningful if rules matched events and the pattern rejected some.
    expect(counts.hits).toBeGreaterThan(100);
    expect(counts.rejected).toBeGreaterThan(100);
    // npm test's 100 runs meet a few nested patterns (fast-check grows its values over the runs); test:long's 300, more.
    expect(nestedPatterns).toBeGreaterThan(testScale(2, 10));
  });

  it('holds for nested paths, literal dotted keys and arrays of objects', () => {
    const NESTED = FIELDS.filter((f) => f.split('.').length > 2);
    const nestedItem = fc.record({
      field: fc.constantFrom(...NESTED),
      modifier: fc.constantFrom('', '', '|startswith', '|endswith', '|cased'),
      values: fc.oneof(scalarValue, fc.array(scalarValue, { minLength: 1, maxLength: 3 })),
    });
    const nestedRule = fc
      .record({
        sel: fc.array(nestedItem, { minLength: 1, maxLength: 3 }),
        filter: fc.array(nestedItem, { minLength: 1, maxLength: 2 }),
        typed: fc.boolean(),
        condition: fc.constantFrom('sel', 'sel or filter', 'sel and filter', 'sel and not filter'),
      })
      .map(({ sel, filter, typed, condition }) =>
        ruleDoc({ sel: { ...(typed ? { 'data.type': 'sapi' } : {}), ...mapOf(sel) }, filter: mapOf(filter), condition }));
    const nestedData = fc.record({
      type: fc.constantFrom('sapi', 'SAPI', 'ſapi', 'fp'),
      details: fc.oneof(detailsArb, fc.array(detailsArb, { minLength: 1, maxLength: 3 })),
      'details.request': fc.oneof(fc.record({ path: fieldValue }), fc.array(fc.record({ path: fieldValue }), { maxLength: 2 })),
      'details.request.path': fieldValue,
      'details.response.status': fieldValue,
      a: fc.oneof(fc.record({ b: fieldValue }), fc.array(fc.record({ b: fieldValue }), { maxLength: 2 })),
      'a.b': fieldValue,
    }, { requiredKeys: ['type'] });
    const counts = { hits: 0, rejected: 0 };
    fc.assert(
      fc.property(fc.array(nestedRule, { minLength: 1, maxLength: 3 }), fc.array(nestedData, { minLength: 20, maxLength: 40 }), (docs, events) => {
        const model = loadRulesFromText([{ file: 'r.yml', text: docs.join('\n---\n') }], {}).model;
        if (model.rules.length === 0) return true;
        const envelopes = events.map((data) => envelope({ log_id: 'abc', data }));
        return everyMatchPasses(buildEventPattern(model).pattern, new CompiledRuleSet(model), envelopes, counts);
      }),
      { numRuns: testScale(50, 200), seed: 20261202 },
    );
    expect(counts.hits).toBeGreaterThan(testScale(100, 200));
    expect(counts.rejected).toBeGreaterThan(200);
  });
});

// ------------------------------------------------------------------------------------------------ CLI

describe('auth0-sigma check --show-prefilter', () => {
  it('names the rule and selection that widen the pattern to every event, and what would narrow it, in one line', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prefilter-wide-'));
    try {
      fs.writeFileSync(path.join(dir, 'a.yml'), ruleDoc({ sel: { 'data.type': 'fp' }, condition: 'sel' }, { title: 'Typed', id: '4f1c2d3e-0000-4000-8000-00000000000a' }));
      fs.writeFileSync(path.join(dir, 'b.yml'), ruleDoc({ words: { 'data.description|contains': 'password' }, condition: 'words' }, { title: 'Untyped', id: '4f1c2d3e-0000-4000-8000-00000000000b' }));
      const shown = await run(['check', '--rules', dir, '--show-prefilter']);
      expect(shown.code).toBe(0);
      const wide = shown.stdout.split('\n').filter((l) => l.startsWith('PREFILTER WIDE'));
      expect(wide).toEqual([
        "PREFILTER WIDE: every Auth0 log event invokes the detector, because rule 'Untyped' (4f1c2d3e-0000-4000-8000-00000000000b), selection 'words': "
        + "field 'data.description': 'contains' has no case-insensitive EventBridge equivalent; to narrow it, add the data.type values it is meant for to 'words'",
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('prints the pattern and the widening notes after a passing check', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prefilter-cli-'));
    try {
      fs.writeFileSync(
        path.join(dir, 'r.yml'),
        ruleDoc({ sel: { 'data.type': 'fp', 'data.description|contains': 'password' }, condition: 'sel' }, { id: '4f1c2d3e-0000-4000-8000-000000000001' }),
      );
      const shown = await run(['check', '--rules', dir, '--show-prefilter']);
      expect(shown.code).toBe(0);
      expect(shown.stdout).toMatch(/EventBridge prefilter \(\d+ of 2048 characters\):/);
      const json = shown.stdout.slice(shown.stdout.indexOf('{'), shown.stdout.indexOf('widened (') - 1);
      expect(JSON.parse(json)).toEqual(buildEventPattern(load([fs.readFileSync(path.join(dir, 'r.yml'), 'utf8')])).pattern);
      expect(shown.stdout).toMatch(/widened \(1 constraint .*\n  - .*'contains'/);
      const plain = await run(['check', '--rules', dir]);
      expect(plain.stdout).not.toContain('EventBridge prefilter');
      // The verdict comes first, on one line.
      expect(shown.stdout).toMatch(/\nprefilter: the bus rule passes only events some rule can match \(pattern \d+ characters, 1 constraint EventBridge cannot express left out: `auth0-sigma check --show-prefilter` lists them\)\nEventBridge prefilter/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

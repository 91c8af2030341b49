// fast-check generators of hostile log events, shared by the fuzz tests of scan and of the handler.
// Every generated event carries a label: 'valid' (an Auth0 log shape: must be evaluated), 'invalid' (not a log
// event: must be counted as malformed and skipped) or 'any' (anything at all: must be one or the other).
// Values are built the way JSON.parse builds them (own enumerable properties, `__proto__` included as a plain key).

import fc from 'fast-check';
import * as path from 'node:path';
import { loadRules, loadRulesFromText } from '../../lambda/sigma/loader';
import type { RuleSetModel } from '../../lambda/sigma/types';

export type Label = 'valid' | 'invalid' | 'any';
export interface LabeledEvent {
  label: Label;
  event: unknown;
}

/** An object as JSON.parse makes it: every key an own property, even `__proto__`. */
export function jsonObject(entries: readonly (readonly [string, unknown])[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of entries) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  return out;
}

const NASTY_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '', ' ', 'a.b', 'details.request', '{}', '*', '\u0000', '\u202e'];
const FIELD_KEYS = ['ip', 'user_name', 'user_id', 'user_agent', 'client_id', 'client_name', 'description', 'connection', 'strategy', 'hostname', 'details', 'scope', 'audience', 'isMobile'];
const TYPES = ['s', 'f', 'fp', 'fu', 'sapi', 'fapi', 'seccft', 'limit_wc', 'gd_send_sms', 'sepft', 'ssa', 'mgmt_api_read', 'pwd_leak', 'sv', 'fsa', 'api_limit', 'depnote', 'x', ''];

/** Strings an attacker could put in a log field. Huge ones are rare but present (up to 300 k characters). */
/**
 * Strings an attacker could put in a log field. Long ones (1 k to 10 k characters) are about one string in
 * 500, huge ones (100 k to 300 k, beyond what a 256 KB EventBridge event can hold) one in 16,000: each path
 * meets them hundreds of times over 100,000 events without the run being about scanning megabytes (a huge
 * value costs the engine ~0.2 s: every keyword search folds and scans it).
 */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.string({ unit: 'binary', maxLength: 40 }), weight: 6000 },
  { arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }), weight: 4000 },
  {
    arbitrary: fc.constantFrom(
      '', ' ', '\u0000', '\u202egnp.exe', '\u200b', '<script>alert(1)</script>', 'https://evil.example/x', '\r\nSubject: forged',
      '${jndi:ldap://x}', '%s%n', '../../etc/passwd', '0', '-1', '1e309', 'NaN', '-0', '0x10', 'true', 'null', '2026-13-45T99:99:99Z',
      '198.51.100.7', '::ffff:10.0.0.1', '10.0.0.0/8', 'curl/8.0', 'python-requests/2.31', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!',
      '\ud800', '\udfff\ud800', '😀'.repeat(50), 'İıſK', 'Z2V0', 'cABvAHcAZQByAHMAaABlAGwAbAA=', '/c', '\u2013c',
    ),
    weight: 4000,
  },
  { arbitrary: fc.nat(99999).map(String), weight: 2000 },
  { arbitrary: fc.tuple(fc.constantFrom('a', 'A', '😀', '\u0000', '{', '%', '*?'), fc.integer({ min: 1000, max: 10_000 })).map(([c, n]) => c.repeat(n)), weight: 30 },
  { arbitrary: fc.tuple(fc.constantFrom('a', '😀', 'İ'), fc.integer({ min: 100_000, max: 300_000 })).map(([c, n]) => c.repeat(n)), weight: 1 },
);

const scalar: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: hostileString, weight: 5 },
  { arbitrary: fc.oneof(fc.integer(), fc.double(), fc.constantFrom(0, -0, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2)), weight: 2 },
  { arbitrary: fc.boolean(), weight: 1 },
  { arbitrary: fc.constant(null), weight: 1 },
);

const key: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom(...NASTY_KEYS), weight: 2 },
  { arbitrary: fc.constantFrom(...FIELD_KEYS), weight: 3 },
  { arbitrary: fc.string({ maxLength: 12 }), weight: 2 },
);

/** A JSON tree with nasty keys, arrays where objects are expected, and the odd very deep chain. */
export const hostileValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { arbitrary: scalar, weight: 60 },
    { arbitrary: fc.array(tie('value'), { maxLength: 6 }), weight: 10 },
    { arbitrary: fc.array(fc.tuple(key, tie('value')), { maxLength: 6 }).map(jsonObject), weight: 20 },
    { arbitrary: fc.tuple(fc.integer({ min: 20, max: 3000 }), fc.boolean()).map(([depth, asArray]) => deepChain(depth, asArray)), weight: 1 },
  ),
})).value;

/** `{"a":{"a":...}}` or `[[[...]]]` of the given depth (JSON.parse accepts either at Lambda's 256 KB event size). */
export function deepChain(depth: number, asArray: boolean): unknown {
  let node: unknown = 'bottom';
  // A tree, as JSON.parse makes: each level holds the next once (a shared child would make a DAG no parser produces).
  for (let i = 0; i < depth; i++) node = asArray ? [node, i] : jsonObject([[i % 2 ? 'a' : 'details', node], ['n', String(i)]]);
  return node;
}

const date: fc.Arbitrary<unknown> = fc.oneof(
  fc.date({ min: new Date('1960-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString()),
  hostileString,
  fc.integer(),
  fc.constant(null),
);

/** The `data` of an Auth0 log: a string `type`, the usual fields with hostile values, random extra keys. */
const data: fc.Arbitrary<Record<string, unknown>> = fc
  .tuple(
    fc.oneof({ arbitrary: fc.constantFrom(...TYPES), weight: 5 }, { arbitrary: hostileString, weight: 1 }),
    date,
    fc.array(fc.tuple(fc.constantFrom(...FIELD_KEYS), hostileValue), { maxLength: 8 }),
    fc.array(fc.tuple(fc.constantFrom(...NASTY_KEYS), hostileValue), { maxLength: 2 }),
  )
  .map(([type, d, fields, nasty]) => jsonObject([...fields, ...nasty, ['type', type], ['date', d]]));

const logId: fc.Arbitrary<unknown> = fc.oneof(fc.stringMatching(/^[0-9a-f]{20,56}$/), hostileString, fc.integer(), fc.constant(undefined));

function withLogId(entries: [string, unknown][], id: unknown): [string, unknown][] {
  return id === undefined ? entries : [['log_id', id], ...entries];
}

const streamShape = fc.tuple(logId, data).map(([id, d]) => jsonObject(withLogId([['data', d]], id)));
const envelope = (detail: fc.Arbitrary<unknown>): fc.Arbitrary<Record<string, unknown>> =>
  fc.tuple(detail, fc.boolean()).map(([det, full]) =>
    jsonObject([
      ['version', '0'],
      ...(full ? ([['detail-type', 'Auth0 log']] as [string, unknown][]) : []),
      ['source', 'aws.partner/auth0.com/acme-1/auth0.logs'],
      ['detail', det],
    ]),
  );
const flatShape = fc
  .tuple(data, fc.oneof(fc.constant(undefined), hostileString))
  .map(([d, id]) => jsonObject([...Object.entries(d), ...(id === undefined ? [] : ([['_id', id]] as [string, unknown][]))]));

const nonObject: fc.Arbitrary<unknown> = fc.oneof(scalar, fc.array(hostileValue, { maxLength: 4 }));
const notAString: fc.Arbitrary<unknown> = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(scalar, { maxLength: 3 }), fc.constant({}));

// Only a value that is not an object, or an EventBridge event whose detail holds no `data` object (a shape the bus
// rule never forwards), is malformed; see lambda/sigma/events.ts.
const invalidShape: fc.Arbitrary<unknown> = fc.oneof(
  nonObject,
  envelope(fc.oneof(nonObject, fc.constant(jsonObject([['data', 'x']])), fc.constant({}))),
);

// Objects that are not well-formed Auth0 logs are still evaluated: they simply match no rule keyed on a type.
const oddObjectShape: fc.Arbitrary<unknown> = fc.oneof(
  // data that is not an object: the whole object is taken as a flat log
  fc.tuple(logId, nonObject).map(([id, d]) => jsonObject(withLogId([['data', d]], id))),
  // data.type missing or not a string
  fc.tuple(data, fc.option(notAString, { nil: undefined })).map(([d, t]) => {
    const copy = jsonObject(Object.entries(d).filter(([k]) => k !== 'type'));
    if (t !== undefined) copy.type = t;
    return jsonObject([['data', copy]]);
  }),
  // an object with neither data nor a string type
  fc.array(fc.tuple(fc.constantFrom(...NASTY_KEYS, 'user_name', 'ip'), hostileValue), { maxLength: 5 }).map(jsonObject),
);

export const labeledEvent: fc.Arbitrary<LabeledEvent> = fc.oneof(
  { arbitrary: streamShape.map((event) => ({ label: 'valid' as Label, event })), weight: 4 },
  { arbitrary: envelope(streamShape).map((event) => ({ label: 'valid' as Label, event })), weight: 3 },
  { arbitrary: flatShape.map((event) => ({ label: 'valid' as Label, event })), weight: 1 },
  { arbitrary: invalidShape.map((event) => ({ label: 'invalid' as Label, event })), weight: 2 },
  { arbitrary: oddObjectShape.map((event) => ({ label: 'valid' as Label, event })), weight: 1 },
  { arbitrary: hostileValue.map((event) => ({ label: 'any' as Label, event })), weight: 1 },
);

export const ROOT = path.join(__dirname, '..', '..');

/** Rules of our own that read the fields the generators fill, with every family of modifier. */
export const FUZZ_RULES = `
title: Fuzz strings
id: 6f1d7c2e-1b7a-4c1e-9d0a-000000000001
logsource: { product: auth0 }
detection:
  agents:
    data.user_agent|contains: [curl, python, '<script']
  names:
    data.user_name|startswith: [admin, 'a?a*a']
    data.user_name|endswith|cased: ['!']
  wild:
    data.description: ['*a*b*c*', '*a?*', '?']
  each:
    data.details{}.scope|contains|all: [read, write]
  condition: agents or names or wild or each
fields: [data.details, data.user_agent, data.description, data.scope]
level: high
---
title: Fuzz numbers, networks, presence
id: 6f1d7c2e-1b7a-4c1e-9d0a-000000000002
logsource: { product: auth0 }
detection:
  numbers:
    data.details.attempts|gt: 5
    data.isMobile|neq: 'true'
  net:
    data.ip|cidr: [10.0.0.0/8, '2001:db8::/32', 198.51.100.0/24]
  present:
    data.details.request.body|exists: true
  time:
    data.date|hour: 3
  condition: numbers or net or (present and not time)
fields: [data.ip, data.details.request.body]
level: critical
---
title: Fuzz encodings, regex, field references, keywords
id: 6f1d7c2e-1b7a-4c1e-9d0a-000000000003
logsource: { product: auth0 }
detection:
  encoded:
    data.description|base64offset|contains: [powershell, GET]
  wide:
    data.description|wide|base64offset|contains: cmd
  dash:
    data.description|windash|contains: ' -c '
  regex:
    data.user_agent|re|i: '^mozilla/[0-9.]+ \\(windows'
  same:
    data.user_id|fieldref: data.user_name
  kw:
    - 'evil.example'
  condition: 1 of them
fields: [data.description, data.user_agent, 'data.details{}']
level: medium
---
title: Fuzz broad successful logins
id: 6f1d7c2e-1b7a-4c1e-9d0a-000000000004
logsource: { product: auth0 }
detection:
  selection:
    data.type: [s, sapi]
  condition: selection
fields: [data.user_name, data.details, 'data.__proto__', data.constructor]
level: low
`;

/** The shipped rules (placeholders filled) plus the fuzz rules: every rule must load. */
export function fuzzModel(): RuleSetModel {
  const shipped = loadRules([path.join(ROOT, 'rules')], {
    placeholders: {
      api_explorer_client_id: 'AbCdEf0123456789', global_client_id: 'GlObAlClIeNt0123', name: 'x', error: 'e', error_description: 'd',
    },
    unresolvedPlaceholders: 'skip-rule',
    root: ROOT,
  });
  const fuzz = loadRulesFromText([{ file: 'fuzz.yml', text: FUZZ_RULES }], { root: ROOT });
  const errors = [...shipped.diagnostics, ...fuzz.diagnostics].filter((d) => d.severity === 'error');
  if (errors.length > 0) throw new Error(`fuzz rules did not load: ${errors.map((e) => `${e.loc.file}:${e.loc.line} ${e.message}`).join('; ')}`);
  return { ...shipped.model, rules: [...shipped.model.rules, ...fuzz.model.rules] };
}

/**
 * Generates `total` labeled events in batches. fast-check builds one event in ten from scratch (its generators
 * are thorough but slow on this machine); the other nine are cheap variants of those: one field of `data`
 * replaced by a generated hostile value, or `data.type` made a non-string (still evaluated: the label is kept).
 */
export function* eventBatches(total: number, batchSize: number, seed: number): Generator<LabeledEvent[]> {
  const pool = fc.sample(hostileValue, { numRuns: 2_000, seed });
  let state = seed >>> 0 || 1;
  const random = (n: number): number => {
    // xorshift32: deterministic and cheap.
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) % n;
  };
  let produced = 0;
  let batchSeed = seed;
  while (produced < total) {
    const n = Math.min(batchSize, total - produced);
    const bases = fc.sample(labeledEvent, { numRuns: Math.max(1, Math.ceil(n / 10)), seed: batchSeed++ });
    const batch: LabeledEvent[] = [...bases];
    while (batch.length < n) batch.push(variant(bases[random(bases.length)], pool, random));
    yield batch;
    produced += n;
  }
}

const FIELD_OR_NASTY = [...FIELD_KEYS, ...NASTY_KEYS];

function variant(base: LabeledEvent, pool: readonly unknown[], random: (n: number) => number): LabeledEvent {
  const located = locateData(base.event);
  if (!located || base.label !== 'valid') return { label: 'any', event: pool[random(pool.length)] };
  const breakType = random(8) === 0;
  const key = breakType ? 'type' : FIELD_OR_NASTY[random(FIELD_OR_NASTY.length)];
  const value = breakType ? [1, null, true, {}, ['s']][random(5)] : pool[random(pool.length)];
  const data = jsonObject([...Object.entries(located.data).filter(([k]) => k !== key), [key, value]]);
  // One in five becomes a shape that is not a log (an array, or an envelope whose detail has no data object),
  // still carrying the hostile content.
  if (random(5) === 0) return { label: 'invalid', event: malformedAround(data, random) };
  return { label: 'valid', event: located.rebuild(data) };
}

function malformedAround(data: Record<string, unknown>, random: (n: number) => number): unknown {
  if (random(2) === 0) return [jsonObject([['data', data]])];
  return jsonObject([
    ['version', '0'],
    ['source', 'aws.partner/auth0.com/acme-1/auth0.logs'],
    ['detail', jsonObject([['log_id', 'x'], ['data', [data]]])],
  ]);
}

function isPlain(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Where a valid event keeps its `data`, and how to rebuild the event around a new one. */
function locateData(event: unknown): { data: Record<string, unknown>; rebuild: (d: Record<string, unknown>) => unknown } | undefined {
  if (!isPlain(event)) return undefined;
  const replace = (obj: Record<string, unknown>, k: string, v: unknown): Record<string, unknown> =>
    jsonObject([...Object.entries(obj).filter(([x]) => x !== k), [k, v]]);
  if (isPlain(event.detail) && isPlain(event.detail.data)) {
    const detail = event.detail;
    return { data: detail.data as Record<string, unknown>, rebuild: (d) => replace(event, 'detail', replace(detail, 'data', d)) };
  }
  if (isPlain(event.data)) return { data: event.data, rebuild: (d) => replace(event, 'data', d) };
  if (typeof event.type === 'string') return { data: event, rebuild: (d) => d };
  return undefined;
}

import * as fc from 'fast-check';
import { regexWarnings } from '../../lambda/sigma/regex-safety';
import {
  base64OffsetVariants, compileFieldItem, parseIsoDate, timePartOf, toNumber, validateFieldItem,
} from '../../lambda/sigma/modifiers';
import { FieldValueCache } from '../../lambda/sigma/fieldpath';
import { DEFAULT_ENGINE_OPTIONS, FieldItem, NormalizedEvent, Scalar, ValueModifier } from '../../lambda/sigma/types';

const loc = { file: 'rules/t.yml', line: 3, col: 5 };

function item(field: string | null, modifiers: string[], values: Scalar[]): FieldItem {
  return { field, modifiers: modifiers as ValueModifier[], values, loc };
}

/** Compiles `field|mods: values` and tests it on an event whose `data` is given. */
function matches(spec: string, values: Scalar | Scalar[], data: Record<string, unknown>, options = DEFAULT_ENGINE_OPTIONS): boolean {
  const [field, ...mods] = spec.split('|');
  const it = item(field === '' ? null : field, mods, Array.isArray(values) ? values : [values]);
  const matcher = compileFieldItem(it, options);
  const event: NormalizedEvent = { log_id: 'L', data };
  const result = matcher.matches(event);
  // inspect() must reach the same decision as the hot path.
  expect(matcher.inspect(event).result).toBe(result);
  return result;
}

const codes = (spec: string, values: Scalar[]): string[] => {
  const [field, ...mods] = spec.split('|');
  return validateFieldItem(item(field === '' ? null : field, mods, values), DEFAULT_ENGINE_OPTIONS).map((p) => p.code);
};

describe('plain values', () => {
  it('compare by string form', () => {
    expect(matches('data.ok', 'false', { ok: false })).toBe(true);
    expect(matches('data.ok', 'true', { ok: false })).toBe(false);
    expect(matches('data.status', 200, { status: '200' })).toBe(true);
    expect(matches('data.status', 200, { status: 200 })).toBe(true);
    expect(matches('data.status', '200', { status: 200 })).toBe(true);
    expect(matches('data.status', 200, { status: '0200' })).toBe(false);
    expect(matches('data.status', 200, { status: '200 ' })).toBe(false);
    expect(matches('data.status', '4*', { status: 403 })).toBe(true);
    expect(matches('data.status', '4*', { status: 503 })).toBe(false);
  });
  it('objects and arrays of objects never equal a string pattern', () => {
    expect(matches('data.obj', '*', { obj: { a: 1 } })).toBe(false);
    expect(matches('data.obj', '[object Object]', { obj: { a: 1 } })).toBe(false);
  });
  it('are case-insensitive unless cased', () => {
    expect(matches('data.type', 'SECCFT', { type: 'seccft' })).toBe(true);
    expect(matches('data.type|cased', 'SECCFT', { type: 'seccft' })).toBe(false);
    expect(matches('data.type|cased', 'seccft', { type: 'seccft' })).toBe(true);
    expect(matches('data.name', 'ÉLODIE', { name: 'élodie' })).toBe(true);
    expect(matches('data.name', 'elodie', { name: 'élodie' })).toBe(false);
  });
  it('a list ORs', () => {
    expect(matches('data.type', ['a', 'b'], { type: 'b' })).toBe(true);
    expect(matches('data.type', ['a', 'b'], { type: 'c' })).toBe(false);
  });
  it('match any element of an array field', () => {
    expect(matches('data.scopes', 'delete:users', { scopes: ['read:users', 'delete:users'] })).toBe(true);
    expect(matches('data.scopes', 'create:users', { scopes: ['read:users', 'delete:users'] })).toBe(false);
    expect(matches('data.shields{}', 'block', { shields: ['admin_notification', 'block'] })).toBe(true);
  });
  it('a missing field never matches a non-null value, not even * or empty', () => {
    expect(matches('data.x', '*', {})).toBe(false);
    expect(matches('data.x', '', {})).toBe(false);
    expect(matches('data.x.y', '*', { x: 'str' })).toBe(false);
    expect(matches('data.x', '', { x: '' })).toBe(true);
    expect(matches('data.x', '*', { x: '' })).toBe(true);
  });
});

describe('null', () => {
  it('matches a missing field or JSON null', () => {
    expect(matches('data.x', null, {})).toBe(true);
    expect(matches('data.x', null, { x: null })).toBe(true);
    expect(matches('data.x', null, { x: 'v' })).toBe(false);
    expect(matches('data.x', null, { x: '' })).toBe(false);
    expect(matches('data.x', null, { x: [] })).toBe(false);
  });
  it('JSON null does not match *', () => {
    expect(matches('data.x', '*', { x: null })).toBe(false);
  });
  it('neq null means present and not null', () => {
    expect(matches('data.x|neq', null, { x: 'v' })).toBe(true);
    expect(matches('data.x|neq', null, { x: null })).toBe(false);
    expect(matches('data.x|neq', null, {})).toBe(false);
  });
});

describe('contains / startswith / endswith', () => {
  it('contains', () => {
    expect(matches('data.description|contains', 'PASSWORD', { description: 'Wrong email or password.' })).toBe(true);
    expect(matches('data.description|contains', 'passcode', { description: 'Wrong email or password.' })).toBe(false);
    expect(matches('data.description|contains', 'or*pass', { description: 'Wrong email or password.' })).toBe(true);
  });
  it('startswith', () => {
    expect(matches('data.user_id|startswith', 'auth0|', { user_id: 'auth0|123' })).toBe(true);
    expect(matches('data.user_id|startswith', 'auth0|', { user_id: 'google|auth0|' })).toBe(false);
  });
  it('endswith', () => {
    expect(matches('data.user_name|endswith', '@example.org', { user_name: 'a@EXAMPLE.org' })).toBe(true);
    expect(matches('data.user_name|endswith', '@example.org', { user_name: 'a@example.org.evil' })).toBe(false);
  });
  it('numbers compare by string form', () => {
    expect(matches('data.code|contains', 40, { code: 1430 })).toBe(false);
    expect(matches('data.code|contains', 40, { code: 1404 })).toBe(true);
  });
});

describe('all', () => {
  it('requires every value', () => {
    expect(matches('data.description|contains|all', ['wrong', 'password'], { description: 'Wrong email or password.' })).toBe(true);
    expect(matches('data.description|contains|all', ['wrong', 'username'], { description: 'Wrong email or password.' })).toBe(false);
  });
  it('each value may be met by a different array element', () => {
    expect(matches('data.scopes|all', ['read:users', 'delete:users'], { scopes: ['read:users', 'delete:users'] })).toBe(true);
    expect(matches('data.scopes|all', ['read:users', 'delete:users'], { scopes: ['read:users'] })).toBe(false);
  });
});

describe('exists', () => {
  it('true holds for a present field whatever its value, an empty array included', () => {
    for (const v of ['x', '', null, 0, false, [], {}]) expect(matches('data.x|exists', true, { x: v })).toBe(true);
    expect(matches('data.x|exists', true, {})).toBe(false);
  });
  it('false holds for a missing field only', () => {
    expect(matches('data.x|exists', false, {})).toBe(true);
    expect(matches('data.x|exists', false, { x: null })).toBe(false);
  });
});

describe('neq', () => {
  it('means present and different from every listed value', () => {
    expect(matches('data.type|neq', 'seccft', { type: 'fapi' })).toBe(true);
    expect(matches('data.type|neq', 'seccft', { type: 'SECCFT' })).toBe(false);
    expect(matches('data.type|neq', ['a', 'b'], { type: 'b' })).toBe(false);
    expect(matches('data.type|neq', ['a', 'b'], { type: 'c' })).toBe(true);
  });
  it('never matches a missing field', () => {
    expect(matches('data.type|neq', 'seccft', {})).toBe(false);
  });
  it('honours cased and string shapes', () => {
    expect(matches('data.type|neq|cased', 'seccft', { type: 'SECCFT' })).toBe(true);
    expect(matches('data.ua|neq|contains', 'bot', { ua: 'Chrome' })).toBe(true);
    expect(matches('data.ua|neq|contains', 'bot', { ua: 'Googlebot' })).toBe(false);
  });
  it('on an array, holds when some element differs', () => {
    expect(matches('data.roles|neq', 'admin', { roles: ['admin', 'user'] })).toBe(true);
    expect(matches('data.roles|neq', 'admin', { roles: ['admin'] })).toBe(false);
  });
});

describe('numeric comparisons', () => {
  it('gt, gte, lt, lte on numbers', () => {
    expect(matches('data.n|gt', 5, { n: 6 })).toBe(true);
    expect(matches('data.n|gt', 5, { n: 5 })).toBe(false);
    expect(matches('data.n|gte', 5, { n: 5 })).toBe(true);
    expect(matches('data.n|gte', 5, { n: 4.99 })).toBe(false);
    expect(matches('data.n|lt', 5, { n: -1 })).toBe(true);
    expect(matches('data.n|lt', 5, { n: 5 })).toBe(false);
    expect(matches('data.n|lte', 5, { n: 5 })).toBe(true);
    expect(matches('data.n|lte', 5, { n: 5.01 })).toBe(false);
  });
  it('a string of a plain decimal number counts; a numeric rule value may be a string', () => {
    expect(matches('data.n|gt', 5, { n: '10' })).toBe(true);
    expect(matches('data.n|gt', '5', { n: 10 })).toBe(true);
    expect(matches('data.n|gt', 5, { n: '-10.5' })).toBe(false);
    expect(matches('data.n|lt', 5, { n: '-10.5' })).toBe(true);
  });
  it('booleans, null, empty or blank strings, text and objects never satisfy them', () => {
    for (const v of [true, false, null, '', '  ', 'ten', '10 apples', '1e3', '0x10', {}, { n: 1 }]) {
      expect(matches('data.n|gte', -1000, { n: v })).toBe(false);
      expect(matches('data.n|lte', 1000, { n: v })).toBe(false);
    }
    expect(matches('data.n|gt', 0, {})).toBe(false);
  });
  it('lists OR, and all ANDs', () => {
    expect(matches('data.n|gt', [100, 5], { n: 6 })).toBe(true);
    expect(matches('data.n|gt|all', [100, 5], { n: 6 })).toBe(false);
    expect(matches('data.n|gt|all', [1, 5], { n: 6 })).toBe(true);
  });
  it('toNumber accepts plain decimals only', () => {
    expect(toNumber('12')).toBe(12);
    expect(toNumber('-0.5')).toBe(-0.5);
    expect(toNumber('+3.')).toBe(3);
    expect(toNumber('.5')).toBe(0.5);
    expect(toNumber('1e3')).toBeUndefined();
    expect(toNumber(' 1')).toBeUndefined();
    expect(toNumber(Infinity)).toBeUndefined();
    expect(toNumber(true)).toBeUndefined();
  });
});

describe('time modifiers', () => {
  const date = '2025-03-10T22:45:30.123Z'; // a Monday, ISO week 11
  it('extract parts of ISO-8601 dates in UTC', () => {
    expect(matches('data.date|minute', 45, { date })).toBe(true);
    expect(matches('data.date|minute', 44, { date })).toBe(false);
    expect(matches('data.date|hour', 22, { date })).toBe(true);
    expect(matches('data.date|hour', 23, { date })).toBe(false);
    expect(matches('data.date|day', 10, { date })).toBe(true);
    expect(matches('data.date|day', 9, { date })).toBe(false);
    expect(matches('data.date|week', 11, { date })).toBe(true);
    expect(matches('data.date|week', 10, { date })).toBe(false);
    expect(matches('data.date|month', 3, { date })).toBe(true);
    expect(matches('data.date|month', 4, { date })).toBe(false);
    expect(matches('data.date|year', 2025, { date })).toBe(true);
    expect(matches('data.date|year', 2024, { date })).toBe(false);
  });
  it('convert an offset to UTC', () => {
    expect(matches('data.date|hour', 21, { date: '2025-03-10T23:00:00+02:00' })).toBe(true);
    expect(matches('data.date|day', 9, { date: '2025-03-10T01:00:00+02:00' })).toBe(true);
  });
  it('combine with numeric comparisons', () => {
    expect(matches('data.date|hour|gte', 22, { date })).toBe(true);
    expect(matches('data.date|hour|gte', 23, { date })).toBe(false);
    expect(matches('data.date|hour|lt', 6, { date: '2025-03-10T05:59:00Z' })).toBe(true);
    expect(matches('data.date|hour|lt', 6, { date })).toBe(false);
  });
  it('never match a value that is not a date', () => {
    for (const v of ['yesterday', '2025-13-01T00:00:00Z', '2025-02-30', 1741646730123, '', null, true]) {
      expect(matches('data.date|year', 2025, { date: v })).toBe(false);
      expect(matches('data.date|year|gte', 0, { date: v })).toBe(false);
    }
  });
  it('ISO week numbers at year boundaries', () => {
    expect(timePartOf('2021-01-03T12:00:00Z', 'week')).toBe(53); // belongs to 2020's week 53
    expect(timePartOf('2024-12-30T00:00:00Z', 'week')).toBe(1);
    expect(timePartOf('2025-01-01', 'week')).toBe(1);
    expect(parseIsoDate('2025-01-01')).toBe(Date.UTC(2025, 0, 1));
    expect(parseIsoDate('2025-01-01T10:00:00')).toBe(Date.UTC(2025, 0, 1, 10));
  });
});

describe('cidr', () => {
  it('IPv4', () => {
    expect(matches('data.ip|cidr', '10.0.0.0/8', { ip: '10.20.30.40' })).toBe(true);
    expect(matches('data.ip|cidr', '10.0.0.0/8', { ip: '11.0.0.1' })).toBe(false);
    expect(matches('data.ip|cidr', ['192.168.0.0/16', '172.16.0.0/12'], { ip: '172.31.255.255' })).toBe(true);
    expect(matches('data.ip|cidr', '203.0.113.7', { ip: '203.0.113.7' })).toBe(true);
    expect(matches('data.ip|cidr', '203.0.113.7', { ip: '203.0.113.8' })).toBe(false);
  });
  it('IPv6, and IPv4-mapped addresses', () => {
    expect(matches('data.ip|cidr', '2001:db8::/32', { ip: '2001:db8:d2a3:455f::e2b7' })).toBe(true);
    expect(matches('data.ip|cidr', '2001:db8::/32', { ip: '2001:db9::1' })).toBe(false);
    expect(matches('data.ip|cidr', '10.0.0.0/8', { ip: '::ffff:10.1.2.3' })).toBe(true);
    expect(matches('data.ip|cidr', '10.0.0.0/8', { ip: '::FFFF:a01:203' })).toBe(true);
    expect(matches('data.ip|cidr', '10.0.0.0/8', { ip: '0:0:0:0:0:ffff:b01:203' })).toBe(false);
    expect(matches('data.ip|cidr', '::ffff:0:0/96', { ip: '10.1.2.3' })).toBe(true);
    expect(matches('data.ip|cidr', ['10.0.0.0/8', '2001:db8::/32'], { ip: '::ffff:10.1.2.3' })).toBe(true);
    expect(matches('data.ip|cidr', '10.0.0.0/8', { ip: '2001:db8::1' })).toBe(false);
  });
  it('neq: a valid address outside every network; never a non-address', () => {
    expect(matches('data.ip|cidr|neq', '10.0.0.0/8', { ip: '2001:db8::1' })).toBe(true);
    expect(matches('data.ip|cidr|neq', '10.0.0.0/8', { ip: '11.0.0.1' })).toBe(true);
    expect(matches('data.ip|cidr|neq', '10.0.0.0/8', { ip: '10.0.0.1' })).toBe(false);
    expect(matches('data.ip|cidr|neq', '10.0.0.0/8', { ip: 'nope' })).toBe(false);
  });
  it('never matches a value that is not an IP address', () => {
    for (const v of ['not-an-ip', '10.1', '0x0a000001', '', 167772161, null, '10.0.0.0/8']) {
      expect(matches('data.ip|cidr', '0.0.0.0/0', { ip: v })).toBe(false);
    }
  });
  it('an invalid network is a rule error', () => {
    expect(codes('data.ip|cidr', ['10.0.0.0/33'])).toEqual(['invalid-cidr']);
    expect(codes('data.ip|cidr', ['2001:db8::/129'])).toEqual(['invalid-cidr']);
    expect(codes('data.ip|cidr', ['banana'])).toEqual(['invalid-cidr']);
    expect(codes('data.ip|cidr', ['10.0.0.0/8', '::/0'])).toEqual([]);
  });
});

describe('re', () => {
  it('is an unanchored, case-sensitive search', () => {
    expect(matches('data.ua|re', 'curl/[0-9]+', { ua: 'agent curl/8.1' })).toBe(true);
    expect(matches('data.ua|re', 'curl/[0-9]+', { ua: 'agent CURL/8.1' })).toBe(false);
    expect(matches('data.ua|re', '^curl', { ua: 'agent curl/8.1' })).toBe(false);
  });
  it('i, m, s flags', () => {
    expect(matches('data.ua|re|i', 'curl', { ua: 'CURL' })).toBe(true);
    expect(matches('data.t|re', '^b$', { t: 'a\nb' })).toBe(false);
    expect(matches('data.t|re|m', '^b$', { t: 'a\nb' })).toBe(true);
    expect(matches('data.t|re', 'a.b', { t: 'a\nb' })).toBe(false);
    expect(matches('data.t|re|s', 'a.b', { t: 'a\nb' })).toBe(true);
  });
  it('a leading PCRE inline flag group becomes a flag', () => {
    expect(matches('data.ua|re', '(?i)curl', { ua: 'CURL' })).toBe(true);
  });
  it('runs on the string form of numbers and booleans, never on objects', () => {
    expect(matches('data.n|re', '^4\\d\\d$', { n: 404 })).toBe(true);
    expect(matches('data.n|re', 'true', { n: true })).toBe(true);
    expect(matches('data.n|re', '.*', { n: { a: 1 } })).toBe(false);
  });
  it('cuts the value at the configured cap', () => {
    const options = { regexValueCap: 10 };
    expect(matches('data.t|re', 'needle', { t: 'x'.repeat(4) + 'needle' }, options)).toBe(true);
    expect(matches('data.t|re', 'needle', { t: 'x'.repeat(20) + 'needle' }, options)).toBe(false);
    expect(matches('data.t|re', 'needle', { t: 'x'.repeat(20) + 'needle' })).toBe(true);
  });
  it('a bad regex is a rule error; i, m, s without re too', () => {
    expect(codes('data.t|re', ['(unclosed'])).toEqual(['invalid-regex']);
    expect(codes('data.t|i', ['x'])).toEqual(['regex-flag-without-re']);
    expect(codes('data.t|contains|m', ['x'])).toEqual(['regex-flag-without-re']);
  });
  it('regexWarnings says nothing about regexes on the linear engine, however they would backtrack', () => {
    expect(regexWarnings(item('data.t', ['re'], ['(a+)+$']))).toEqual([]);
    expect(regexWarnings(item('data.t', ['re'], ['(x|xx)*y']))).toEqual([]);
    expect(regexWarnings(item('data.t', ['re'], ['^auth0\\|[0-9a-f]{24}$']))).toEqual([]);
    expect(regexWarnings(item('data.t', ['contains'], ['(?=a)(a+)+$']))).toEqual([]);
  });
  it('regexWarnings names the cost bound of regexes left on the backtracking engine', () => {
    const redos = regexWarnings(item('data.t', ['re'], ['(?=a)(a+)+$']));
    expect(redos.map((w) => w.code)).toEqual(['regex-redos']);
    expect(redos[0].message).toMatch(/lookahead or lookbehind.*exponential.*4096 characters/);
    const polynomial = regexWarnings(item('data.t', ['re'], ['(\\w)x\\1']), 512);
    expect(polynomial.map((w) => w.code)).toEqual(['regex-backtracking']);
    expect(polynomial[0].message).toMatch(/backreference.*n\^1 steps.*512 characters/);
  });
});

describe('base64 and base64offset', () => {
  const b64 = (s: string, enc: BufferEncoding = 'utf8') => Buffer.from(s, enc).toString('base64');
  it('base64 matches the encoded value (case-sensitively: base64 letters are significant)', () => {
    expect(matches('data.v|base64', 'secret', { v: b64('secret') })).toBe(true);
    expect(matches('data.v|base64', 'secret', { v: b64('secret').toUpperCase() })).toBe(false);
    expect(matches('data.v|base64|contains', 'secret', { v: `x ${b64('secret')} y` })).toBe(true);
    expect(matches('data.v|base64', 'secret', { v: 'secret' })).toBe(false);
  });
  it('base64offset|contains finds the value at any offset of an encoded string', () => {
    fc.assert(fc.property(fc.string({ maxLength: 6 }), fc.string({ minLength: 1, maxLength: 8 }), fc.string({ maxLength: 6 }),
      (before, value, after) => {
        fc.pre(!/[*?\\]/.test(value));
        expect(matches('data.v|base64offset|contains', value, { v: b64(before + value + after) })).toBe(true);
      }), { numRuns: 300 });
    expect(matches('data.v|base64offset|contains', 'ping', { v: b64('powershell pong') })).toBe(false);
  });
  it('the three offsets of a known value', () => {
    expect(base64OffsetVariants(Buffer.from('http://'))).toEqual(['aHR0cDovL', 'h0dHA6Ly', 'odHRwOi8v']);
  });
  it('utf16le / wide / utf16be / utf16 encode before base64', () => {
    expect(matches('data.v|utf16le|base64offset|contains', 'ping', { v: b64('cmd /c ping x', 'utf16le') })).toBe(true);
    expect(matches('data.v|wide|base64offset|contains', 'ping', { v: b64('cmd /c ping x', 'utf16le') })).toBe(true);
    expect(matches('data.v|wide|base64offset|contains', 'ping', { v: b64('cmd /c ping x') })).toBe(false);
    const be = Buffer.from('ping', 'utf16le').swap16().toString('base64');
    expect(matches('data.v|utf16be|base64', 'ping', { v: be })).toBe(true);
    expect(matches('data.v|utf16le|base64', 'ping', { v: be })).toBe(false);
    const bom = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('ping', 'utf16le')]).toString('base64');
    expect(matches('data.v|utf16|base64', 'ping', { v: bom })).toBe(true);
    expect(matches('data.v|utf16|base64', 'ping', { v: b64('ping', 'utf16le') })).toBe(false);
  });
  it('rule errors: utf16 without base64, wrong order, wildcards, base64offset without contains', () => {
    expect(codes('data.v|wide', ['x'])).toEqual(['utf16-without-base64']);
    expect(codes('data.v|base64|wide', ['x'])).toEqual(['encoding-order']);
    expect(codes('data.v|base64', ['x*'])).toEqual(['wildcard-in-encoded-value']);
    expect(codes('data.v|base64', ['x\\*'])).toEqual([]);
    expect(codes('data.v|base64offset', ['x'])).toEqual(['base64offset-without-contains']);
    expect(codes('data.v|base64|base64offset|contains', ['x'])).toContain('conflicting-modifiers');
  });
});

describe('windash', () => {
  it('makes the five dash characters interchangeable, in both directions', () => {
    const dashes = ['-', '/', '\u2013', '\u2014', '\u2015'];
    for (const rule of dashes) for (const event of dashes) {
      expect(matches('data.cmd|windash|contains', `${rule}force`, { cmd: `tool ${event}force` })).toBe(true);
    }
    expect(matches('data.cmd|windash|contains', '-force', { cmd: 'tool +force' })).toBe(false);
    expect(matches('data.cmd|windash', '-a -b', { cmd: '/a \u2014b' })).toBe(true);
  });
  it('with all, every original value must match in some dash form', () => {
    expect(matches('data.cmd|windash|contains|all', ['-a', '-b'], { cmd: 'x /a \u2013b' })).toBe(true);
    expect(matches('data.cmd|windash|contains|all', ['-a', '-b'], { cmd: 'x /a' })).toBe(false);
  });
});

describe('fieldref', () => {
  it('compares with another field of the same event', () => {
    expect(matches('data.user_name|fieldref', 'data.details.target', { user_name: 'Bob', details: { target: 'bob' } })).toBe(true);
    expect(matches('data.user_name|fieldref', 'data.details.target', { user_name: 'Bob', details: { target: 'alice' } })).toBe(false);
    expect(matches('data.user_name|fieldref|cased', 'data.details.target', { user_name: 'Bob', details: { target: 'bob' } })).toBe(false);
  });
  it('never matches when either field is missing', () => {
    expect(matches('data.a|fieldref', 'data.b', { a: 'x' })).toBe(false);
    expect(matches('data.a|fieldref', 'data.b', { b: 'x' })).toBe(false);
    expect(matches('data.a|fieldref|neq', 'data.b', { a: 'x' })).toBe(false);
  });
  it('neq, contains, startswith, endswith', () => {
    expect(matches('data.a|fieldref|neq', 'data.b', { a: 'x', b: 'y' })).toBe(true);
    expect(matches('data.a|fieldref|neq', 'data.b', { a: 'x', b: 'X' })).toBe(false);
    expect(matches('data.a|fieldref|contains', 'data.b', { a: 'xxYyy', b: 'y' })).toBe(true);
    expect(matches('data.a|fieldref|startswith', 'data.b', { a: 'abc', b: 'ab' })).toBe(true);
    expect(matches('data.a|fieldref|endswith', 'data.b', { a: 'abc', b: 'ab' })).toBe(false);
  });
  it('reference values are literal (no wildcards) and may be arrays', () => {
    expect(matches('data.a|fieldref', 'data.b', { a: 'abc', b: 'a*' })).toBe(false);
    expect(matches('data.a|fieldref', 'data.b', { a: 'q', b: ['p', 'q'] })).toBe(true);
  });
  it('a non-string reference is a rule error', () => {
    expect(codes('data.a|fieldref', [3])).toEqual(['fieldref-not-string']);
  });
});

describe('keywords', () => {
  const data = { type: 'f', description: 'Password reset by Admin', details: { tags: ['alpha', { deep: 'BRAVO value' }], count: 42 } };
  it('search every scalar value of the event, case-insensitively, as substrings', () => {
    expect(matches('', 'admin', data)).toBe(true);
    expect(matches('', 'bravo', data)).toBe(true);
    expect(matches('', '42', data)).toBe(true);
    expect(matches('', 'charlie', data)).toBe(false);
  });
  it('never key names', () => {
    expect(matches('', 'description', data)).toBe(false);
    expect(matches('', 'deep', data)).toBe(false);
  });
  it('wildcards keep their meaning', () => {
    expect(matches('', 'reset*admin', data)).toBe(true);
    expect(matches('', 'admin*reset', data)).toBe(false);
    expect(matches('', 'p?ssword', data)).toBe(true);
  });
  it('a list ORs, |all ANDs', () => {
    expect(matches('', ['zzz', 'alpha'], data)).toBe(true);
    expect(matches('|all', ['alpha', 'bravo'], data)).toBe(true);
    expect(matches('|all', ['alpha', 'zzz'], data)).toBe(false);
  });
  it('modifiers that make no sense on keywords are rule errors', () => {
    expect(codes('|startswith', ['x'])).toEqual(['keyword-modifier']);
    expect(codes('|gt', [1])).toContain('keyword-modifier');
  });
});

describe('validateFieldItem', () => {
  it('accepts well-formed items', () => {
    expect(codes('data.type', ['seccft'])).toEqual([]);
    expect(codes('data.x|contains|all', ['a', 'b'])).toEqual([]);
    expect(codes('data.date|hour|gte', [22])).toEqual([]);
    expect(codes('data.x|exists', [true])).toEqual([]);
  });
  it.each([
    ['data.x|frobnicate', ['a'], 'unknown-modifier'],
    ['data.x|contains|contains', ['a'], 'duplicate-modifier'],
    ['data.x|contains|startswith', ['a'], 'conflicting-modifiers'],
    ['data.x|gt|lt', [1], 'conflicting-modifiers'],
    ['data.x|re|contains', ['a'], 'conflicting-modifiers'],
    ['data.x|cased|gt', [1], 'cased-not-applicable'],
    ['data.x|cased|re', ['a'], 'cased-not-applicable'],
    ['data.x|all', ['a'], 'all-single-value'],
    ['data.x', ['a', null], 'null-in-list'],
    ['data.x|contains', [null], 'null-with-modifier'],
    ['data.x|gt', ['ten'], 'numeric-value'],
    ['data.x|lte', [true], 'numeric-value'],
    ['data.x|hour', [1.5], 'time-value-not-integer'],
    ['data.x|hour', ['late'], 'time-value-not-integer'],
    ['data.x|hour', [24], 'time-value-out-of-range'],
    ['data.x|exists', ['yes'], 'exists-not-boolean'],
    ['data.x|exists', [true, false], 'exists-not-boolean'],
    ['data.x|exists|contains', [true], 'conflicting-modifiers'],
    ['data.x|neq|gt', [1], 'conflicting-modifiers'],
    ['data.x|hour|contains', [1], 'conflicting-modifiers'],
    ['data.x|fieldref|re', ['data.y'], 'conflicting-modifiers'],
    ['data.x|windash|cidr', ['10.0.0.0/8'], 'conflicting-modifiers'],
  ])('%s %j → %s', (spec, values, code) => {
    expect(codes(spec, values as Scalar[])).toContain(code);
  });
  it('names the modifier and gives a hint', () => {
    const [problem] = validateFieldItem(item('data.x', ['all'], ['a']), DEFAULT_ENGINE_OPTIONS);
    expect(problem).toMatchObject({ code: 'all-single-value', modifier: 'all' });
    expect(problem.hint).toMatch(/selection/);
  });
  it('compileFieldItem refuses an invalid item', () => {
    expect(() => compileFieldItem(item('data.x', ['gt'], ['ten']), DEFAULT_ENGINE_OPTIONS)).toThrow(/needs a number/);
  });
});

describe('the per-event cache used by rule sets gives the same answers as standalone matching', () => {
  const specs: [string, Scalar[]][] = [
    ['data.type', ['seccft', 'fp']], ['data.type|cased', ['SECCFT']], ['data.type|neq', ['fp']], ['data.type|all', ['fp', 'f']],
    ['data.user_name|contains', ['admin']], ['data.user_name|startswith', ['ADM', 'x']], ['data.user_name', ['*@example.org', 'a?c']],
    ['data.n|gt', [5]], ['data.n|lte', ['5']], ['data.date|hour|gte', [22]], ['data.date|month', [3]],
    ['data.ip|cidr', ['10.0.0.0/8', '2001:db8::/32']], ['data.ip|cidr|neq', ['10.0.0.0/8']], ['data.ua|re|i', ['^curl/']],
    ['data.cmd|windash|contains', ['-force']], ['data.v|base64offset|contains', ['ping']], ['data.list', ['b']],
    ['data.list|all', ['a', 'b']], ['data.obj.k', ['v']], ['data.name', ['ÉLODIE']],
  ];
  const events: Record<string, unknown>[] = [
    { type: 'SECCFT', user_name: 'Admin@Example.org', n: 6, date: '2025-03-10T22:45:30Z', ip: '10.1.2.3', ua: 'CURL/8', cmd: 'x /force', v: Buffer.from('a ping').toString('base64'), list: ['a', 'b'], obj: { k: 'V' }, name: 'élodie' },
    { type: 'fp', user_name: 'abc', n: '5', date: '2025-04-10T01:00:00Z', ip: '2001:db8::1', ua: 'wget', cmd: 'x', v: 'x', list: [], obj: [{ k: 'v' }, { k: 'w' }], name: 'elodie' },
    { type: ['fp', 'f'], n: 'five', date: 'never', ip: 'nope', list: 'b' },
    {},
  ];
  it.each(specs)('%s %j', (spec, values) => {
    const [name, ...mods] = spec.split('|');
    const it = item(name, mods, values);
    const cache = new FieldValueCache();
    const matcher = compileFieldItem(it, DEFAULT_ENGINE_OPTIONS, cache);
    const results = events.map((data) => {
      const event = { log_id: 'L', data };
      cache.begin();
      const cached = (matcher.matchesCached ?? matcher.matches)(event);
      expect(cached).toBe(compileFieldItem(it, DEFAULT_ENGINE_OPTIONS).matches(event));
      return cached;
    });
    // Each spec is written so that at least one event matches and at least one does not.
    expect(results).toContain(true);
    expect(results).toContain(false);
  });
});

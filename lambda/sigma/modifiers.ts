// Value modifiers: the rules a `field|mod|mod: values` item must follow (validateFieldItem, used by the loader),
// and its compilation into a matcher that reads the event (compileFieldItem, used by the rule set).
// Everything that depends only on the rule is done here once: patterns parsed and folded, regexes built,
// networks parsed, encodings computed.

import * as ipaddr from 'ipaddr.js';
import {
  CachedField, collectValues, compilePath, CompiledPath, FieldValueCache, visitValues, VISIT_MISSING, VISIT_PRESENT,
  VISIT_STOPPED,
} from './fieldpath';
import { EvaluationBudget, UNLIMITED_BUDGET } from './budget';
import { CompiledRegex, compileRegex } from './regex-engine';
import { literalPrefilter } from './regex-literals';
import { EngineOptions, FieldItem, NormalizedEvent, Scalar, VALUE_MODIFIERS, ValueModifier } from './types';
import {
  compileTokens, foldCase, hasWildcards, literalText, parseWildcard, StringTest, StringTestKind, WildcardToken,
} from './wildcards';
import { closestName } from './edit-distance';

export interface ModifierProblem {
  code: string;
  message: string;
  hint?: string;
  modifier?: string;
}

/** A compiled field item (or keyword item). */
export interface ValueMatcher {
  readonly item: FieldItem;
  /** The item's field path, or null for keywords. */
  readonly path: CompiledPath | null;
  /** Fields named by `fieldref` values. */
  readonly referencedFields: readonly string[];
  matches(event: NormalizedEvent): boolean;
  /**
   * The same decision reading values through the rule set's per-event cache (`cache.begin()` must have been
   * called for this event). Present when the matcher was compiled with a cache.
   */
  matchesCached?(event: NormalizedEvent): boolean;
  /** The same decision as `matches`, with the values that were compared (for explanations). */
  inspect(event: NormalizedEvent): ItemInspection;
}

export interface ItemInspection {
  result: boolean;
  /** Whether the field was present (always true for keywords). */
  present: boolean;
  /**
   * The event values the item compared (all of them; the explainer truncates). For keywords, which read every
   * value of the event, only the values that matched some keyword.
   */
  values: unknown[];
  /** fieldref: the referenced field's values, per rule value. */
  referenced?: Record<string, unknown[]>;
}

const MODIFIER_SET: ReadonlySet<string> = new Set(VALUE_MODIFIERS);
const STRING_SHAPES = ['contains', 'startswith', 'endswith'] as const;
const NUMERIC = ['gt', 'gte', 'lt', 'lte'] as const;
const TIME_PARTS = ['minute', 'hour', 'day', 'week', 'month', 'year'] as const;
const UTF16 = ['utf16le', 'utf16be', 'utf16', 'wide'] as const;
const BASE64 = ['base64', 'base64offset'] as const;
export const REGEX_FLAGS = ['i', 'm', 's'] as const;
const KEYWORD_MODIFIERS: ReadonlySet<string> = new Set([
  'all', 'cased', 'windash', 'contains', 're', 'i', 'm', 's', 'base64', 'base64offset', ...UTF16, 'expand',
]);

type NumericOp = (typeof NUMERIC)[number];
type TimePart = (typeof TIME_PARTS)[number];

const TIME_RANGES: Record<TimePart, [number, number]> = {
  minute: [0, 59], hour: [0, 23], day: [1, 31], week: [1, 53], month: [1, 12], year: [-271820, 275759],
};

/** The modifier chain read into one description. */
interface ItemSpec {
  shape: 'exact' | 'contains' | 'startswith' | 'endswith';
  numeric?: NumericOp;
  timePart?: TimePart;
  re: boolean;
  reFlags: string;
  cidr: boolean;
  exists: boolean;
  fieldref: boolean;
  all: boolean;
  cased: boolean;
  neq: boolean;
  windash: boolean;
  /** Encoding steps in chain order (utf16 variant first, then base64 or base64offset). */
  encodings: ValueModifier[];
}

function readSpec(modifiers: readonly ValueModifier[]): ItemSpec {
  const has = (m: string) => modifiers.includes(m as ValueModifier);
  return {
    shape: STRING_SHAPES.find(has) ?? 'exact',
    numeric: NUMERIC.find(has),
    timePart: TIME_PARTS.find(has),
    re: has('re'),
    reFlags: REGEX_FLAGS.filter(has).join(''),
    cidr: has('cidr'),
    exists: has('exists'),
    fieldref: has('fieldref'),
    all: has('all'),
    cased: has('cased'),
    neq: has('neq'),
    windash: has('windash'),
    encodings: modifiers.filter((m) => (UTF16 as readonly string[]).includes(m) || (BASE64 as readonly string[]).includes(m)),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Validation

/** Every value-level problem of an item (rule errors). An empty list means `compileFieldItem` will succeed. */
export function validateFieldItem(item: FieldItem, options: EngineOptions): ModifierProblem[] {
  void options; // reserved: limits that depend on options are applied at match time
  const problems: ModifierProblem[] = [];
  const add = (code: string, message: string, hint?: string, modifier?: string) =>
    problems.push({ code, message, ...(hint ? { hint } : {}), ...(modifier ? { modifier } : {}) });
  const mods = item.modifiers as readonly string[];
  const values = item.values as readonly unknown[];

  const seen = new Set<string>();
  for (const m of mods) {
    if (!MODIFIER_SET.has(m)) {
      const near = closestName(m, VALUE_MODIFIERS);
      const supported = `supported modifiers: ${VALUE_MODIFIERS.join(', ')}`;
      add('unknown-modifier', `unknown modifier '${m}'`, near ? `did you mean '${near}'? (${supported})` : supported, m);
    } else if (seen.has(m)) {
      add('duplicate-modifier', `modifier '${m}' is given twice`, 'write each modifier once', m);
    }
    seen.add(m);
  }
  if (problems.length) return problems;
  const spec = readSpec(item.modifiers);
  const has = (m: string) => seen.has(m);
  const present = (list: readonly string[]) => list.filter(has);

  if (values.length === 0) add('empty-values', 'the item has no value', 'give at least one value');
  for (const v of values) {
    if (v !== null && typeof v === 'object') {
      add('bad-value-type', 'a value must be a string, number, boolean or null, not a list or map',
        'write scalar values; a nested list of values is not allowed');
      return problems;
    }
  }

  // Conflicting kinds of comparison.
  const kinds = [...present(STRING_SHAPES), ...present(NUMERIC), ...present(['re', 'cidr', 'exists'])];
  if (kinds.length > 1) {
    add('conflicting-modifiers', `modifiers ${kinds.map((k) => `'${k}'`).join(' and ')} cannot be combined`,
      'use one comparison per item; split it into several items or selections', kinds[1]);
  }
  for (const flag of REGEX_FLAGS) {
    if (has(flag) && !spec.re) add('regex-flag-without-re', `modifier '${flag}' only applies to 're'`, `write '|re|${flag}'`, flag);
  }
  const u16 = present(UTF16);
  const b64 = present(BASE64);
  if (u16.length > 1) add('conflicting-modifiers', `modifiers ${u16.join(' and ')} cannot be combined`, 'choose one UTF-16 encoding', u16[1]);
  if (b64.length > 1) add('conflicting-modifiers', `modifiers base64 and base64offset cannot be combined`, 'choose one', b64[1]);
  if (u16.length && !b64.length) {
    add('utf16-without-base64', `modifier '${u16[0]}' must be followed by base64 or base64offset`,
      `write '|${u16[0]}|base64offset|contains'`, u16[0]);
  } else if (u16.length && mods.indexOf(u16[0]) > mods.indexOf(b64[0])) {
    add('encoding-order', `modifier '${u16[0]}' must come before '${b64[0]}' (the text is encoded first, then base64)`,
      `write '|${u16[0]}|${b64[0]}'`, u16[0]);
  }
  if (has('base64offset') && spec.shape !== 'contains' && item.field !== null) {
    add('base64offset-without-contains', "'base64offset' produces fragments of an encoded string and needs 'contains'",
      "write '|base64offset|contains'", 'base64offset');
  }
  const encoded = u16.length > 0 || b64.length > 0;

  // Modifiers that only make sense with strings.
  const stringOnly = [...present(STRING_SHAPES), ...present(['windash']), ...u16, ...b64];
  const nonString = [...present(NUMERIC), ...present(TIME_PARTS), ...present(['re', 'cidr', 'exists'])];
  for (const m of stringOnly) {
    for (const other of nonString) {
      if (m === 'contains' || m === 'startswith' || m === 'endswith') continue; // already reported above when relevant
      add('conflicting-modifiers', `modifier '${m}' cannot be combined with '${other}'`, undefined, m);
    }
  }
  if (spec.windash && encoded) add('conflicting-modifiers', "'windash' cannot be combined with base64 encodings", undefined, 'windash');
  if (spec.timePart && (spec.shape !== 'exact' || spec.re || spec.cidr || spec.exists)) {
    add('conflicting-modifiers', `time modifier '${spec.timePart}' compares numbers; it cannot be combined with string, regex, cidr or exists modifiers`,
      `use '|${spec.timePart}|gte' etc.`, spec.timePart);
  }
  if (present(TIME_PARTS).length > 1) add('conflicting-modifiers', `only one time modifier may be used (${present(TIME_PARTS).join(', ')})`, undefined, present(TIME_PARTS)[1]);
  if (spec.cased && (spec.numeric || spec.timePart || spec.cidr || spec.exists || spec.re)) {
    const other = spec.numeric ?? spec.timePart ?? (spec.cidr ? 'cidr' : spec.exists ? 'exists' : 're');
    add('cased-not-applicable', `'cased' has no meaning with '${other}'`,
      other === 're' ? "regexes are case-sensitive already; use '|re|i' for case-insensitive" : 'remove cased', 'cased');
  }
  if (spec.fieldref) {
    const bad = [...present(NUMERIC), ...present(TIME_PARTS), ...present(['re', 'cidr', 'exists', 'windash']), ...u16, ...b64];
    for (const m of bad) add('conflicting-modifiers', `'fieldref' cannot be combined with '${m}'`, undefined, m);
  }
  if (spec.neq) {
    const bad = [...present(NUMERIC), ...present(['exists', 'all'])];
    for (const m of bad) add('conflicting-modifiers', `'neq' cannot be combined with '${m}'`, m === 'all' ? "'neq' already requires the value to differ from every listed value" : undefined, m);
  }
  if (spec.exists) {
    const others = mods.filter((m) => m !== 'exists' && m !== 'expand');
    for (const m of others) if (!kinds.includes(m) && m !== 'neq') add('conflicting-modifiers', `'exists' cannot be combined with '${m}'`, undefined, m);
    if (values.length !== 1 || typeof values[0] !== 'boolean') {
      add('exists-not-boolean', "'exists' takes a single boolean value", "write 'field|exists: true' or 'field|exists: false'", 'exists');
    }
  }

  // Keywords.
  if (item.field === null) {
    for (const m of mods) if (!KEYWORD_MODIFIERS.has(m)) add('keyword-modifier', `modifier '${m}' cannot be used on a keyword list`, 'keywords are substring searches over every value of the event; use a field item instead', m);
  }

  // Values.
  if (spec.all && values.length < 2) {
    add('all-single-value', "'all' needs a list of at least two values", "remove 'all', or add the other values; to test one field twice use another selection", 'all');
  }
  if (spec.all && spec.exists) add('conflicting-modifiers', "'all' cannot be combined with 'exists'", undefined, 'all');
  const hasNull = values.some((v) => v === null);
  if (hasNull && values.length > 1) {
    add('null-in-list', 'null cannot be one value of a list', 'test the missing/null case in a separate selection: `field: null`');
  } else if (hasNull) {
    const allowed = new Set(['neq', 'cased', 'expand']);
    for (const m of mods) if (!allowed.has(m)) add('null-with-modifier', `null cannot be used with modifier '${m}'`, "write 'field: null' (missing or null) or 'field|neq: null' (present and not null)", m);
    if (item.field === null) add('null-keyword', 'a keyword cannot be null', 'remove the null');
  }
  if (problems.length) return problems;

  const nonNull = values.filter((v): v is string | number | boolean => v !== null);
  if (spec.numeric || spec.timePart) {
    for (const v of nonNull) {
      if (spec.timePart) {
        const n = toNumber(v);
        if (n === undefined || !Number.isInteger(n)) {
          add('time-value-not-integer', `time modifier '${spec.timePart}' needs whole numbers; got ${JSON.stringify(v)}`, `e.g. 'field|${spec.timePart}: 3'`, spec.timePart);
        } else if (!spec.numeric) {
          const [lo, hi] = TIME_RANGES[spec.timePart];
          if (n < lo || n > hi) add('time-value-out-of-range', `'${spec.timePart}' is between ${lo} and ${hi}; ${n} can never match`, undefined, spec.timePart);
        }
      } else if (toNumber(v) === undefined) {
        add('numeric-value', `modifier '${spec.numeric}' needs a number; got ${JSON.stringify(v)}`, `write a number, e.g. 'field|${spec.numeric}: 10'`, spec.numeric);
      }
    }
  }
  if (spec.cidr) {
    for (const v of nonNull) {
      if (typeof v !== 'string' || !parseNetwork(v)) {
        add('invalid-cidr', `${JSON.stringify(v)} is not a valid IPv4 or IPv6 network`, "write e.g. '10.0.0.0/8' or '2001:db8::/32' (IPv4 prefixes are 0-32, IPv6 0-128)", 'cidr');
      }
    }
  }
  if (spec.re) {
    for (const v of nonNull) {
      if (typeof v !== 'string') {
        add('regex-not-string', `a regex must be a string; got ${JSON.stringify(v)}`, 'quote the value', 're');
        continue;
      }
      try {
        buildRegex(v, spec.reFlags);
      } catch (error) {
        add('invalid-regex', `invalid regular expression ${JSON.stringify(v)}: ${(error as Error).message}`, 'the engine uses JavaScript regex syntax', 're');
      }
    }
  }
  if (spec.fieldref) {
    for (const v of nonNull) {
      if (typeof v !== 'string' || v === '') add('fieldref-not-string', `'fieldref' values name another field; got ${JSON.stringify(v)}`, "write 'field|fieldref: data.other_field'", 'fieldref');
    }
  }
  if (encoded) {
    for (const v of nonNull) {
      if (hasWildcards(parseWildcard(String(v)))) {
        add('wildcard-in-encoded-value', `wildcards cannot be encoded: ${JSON.stringify(v)}`, 'escape them (\\*) or drop the wildcard; use contains/startswith/endswith around the encoded text', b64[0] ?? u16[0]);
      }
    }
  }
  return problems;
}


// ---------------------------------------------------------------------------------------------------------
// Helpers shared by validation and compilation

const PLAIN_DECIMAL = /^[-+]?(?:\d+(?:\.\d*)?|\.\d+)$/;

/** A number, or a string holding a plain decimal number; anything else (booleans, blank, text) is not numeric. */
export function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && PLAIN_DECIMAL.test(value)) return Number(value);
  return undefined;
}

/** Sigma rules often start a regex with PCRE inline flags `(?i)`; JavaScript has none, so they become flags. */
export function splitInlineFlags(value: string, flags: string): { source: string; flags: string } {
  const m = /^\(\?([ims]+)\)/.exec(value);
  if (!m) return { source: value, flags };
  const merged = new Set([...flags, ...m[1]]);
  return { source: value.slice(m[0].length), flags: [...merged].join('') };
}

function buildRegex(value: string, flags: string): RegExp {
  const { source, flags: all } = splitInlineFlags(value, flags);
  return new RegExp(source, all);
}

/** A network: IPv4 as a 32-bit base and mask (the hot path), IPv6 through ipaddr.js. */
export type Network =
  | { kind: 'ipv4'; base: number; mask: number; prefix: number }
  | { kind: 'ipv6'; range: [ipaddr.IPv6, number]; v4: { base: number; mask: number } | null };

/** An event address, prepared once per value: IPv4 as an unsigned 32-bit number, IPv6 as a parsed address. */
export type Address = number | ipaddr.IPv6;

function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

function parseNetwork(text: string): Network | undefined {
  const trimmed = text.trim();
  const slash = trimmed.indexOf('/');
  const address = slash < 0 ? trimmed : trimmed.slice(0, slash);
  // A network is taken as written: `::ffff:0:0/96` stays an IPv6 network (addresses are converted, not networks).
  const v4 = parseIPv4(address);
  const addr = v4 >= 0 ? v4 : address.includes(':') && ipaddr.IPv6.isValid(address) ? ipaddr.IPv6.parse(address) : undefined;
  if (addr === undefined) return undefined;
  const max = typeof addr === 'number' ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const bits = trimmed.slice(slash + 1);
    if (!/^\d{1,3}$/.test(bits)) return undefined;
    prefix = Number(bits);
    if (prefix > max) return undefined;
  }
  if (typeof addr === 'number') {
    const mask = maskOf(prefix);
    return { kind: 'ipv4', base: (addr & mask) >>> 0, mask, prefix };
  }
  return { kind: 'ipv6', range: [addr, prefix], v4: mappedIPv4Part(addr, prefix) };
}

const MAPPED_SPACE = ipaddr.IPv6.parse('::ffff:0:0');

/**
 * The IPv4 addresses an IPv6 network holds through their IPv4-mapped form (::ffff:a.b.c.d), as an IPv4 base and
 * mask, or null when it holds none. Computed once per network so that an IPv4 event address is compared as a
 * number instead of being rebuilt and re-parsed as IPv6 for every test.
 */
function mappedIPv4Part(addr: ipaddr.IPv6, prefix: number): { base: number; mask: number } | null {
  if (prefix <= 96) return MAPPED_SPACE.match(addr, prefix) ? { base: 0, mask: 0 } : null;
  if (!addr.isIPv4MappedAddress()) return null;
  const v4 = ((addr.parts[6]! << 16) | addr.parts[7]!) >>> 0;
  const mask = maskOf(prefix - 96);
  return { base: (v4 & mask) >>> 0, mask };
}

/**
 * Strict dotted-decimal IPv4 (four parts, 0-255, no leading zeros: `127.1`, `0x7f.0.0.1` and `010.0.0.1` are not
 * addresses) as an unsigned number, or -1. Hand-written because it runs for every compared value.
 */
export function parseIPv4(text: string): number {
  const n = text.length;
  if (n < 7 || n > 15) return -1;
  let result = 0;
  let part = 0;
  let digits = 0;
  let parts = 0;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? text.charCodeAt(i) : 46; // a virtual final dot closes the last part
    if (c === 46) {
      if (digits === 0 || part > 255) return -1;
      result = result * 256 + part;
      parts++;
      part = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && part === 0) return -1; // leading zero
      part = part * 10 + (c - 48);
      if (++digits > 3) return -1;
    } else {
      return -1;
    }
  }
  return parts === 4 ? result : -1;
}

// Several cidr rules usually read the same `data.ip` of one event: remember the last IPv6 parse (ipaddr.js is the
// costly part) so each event address is parsed once, not once per rule.
let lastIPv6Text: string | undefined;
let lastIPv6: Address | undefined;

/** An IP address: IPv4 as a number; IPv6 parsed (an IPv4-mapped IPv6 address becomes the IPv4 it carries). */
function parseIp(text: string): Address | undefined {
  const v4 = parseIPv4(text);
  if (v4 >= 0) return v4;
  if (!text.includes(':')) return undefined;
  if (text === lastIPv6Text) return lastIPv6;
  let parsed: Address | undefined;
  let v6: ipaddr.IPv6 | undefined;
  const parts = plainIPv6Parts(text);
  if (parts !== null) {
    v6 = new ipaddr.IPv6(parts);
  } else {
    try {
      // One parse: IPv6.isValid is this same parse in a try, so calling both would parse every address twice.
      v6 = ipaddr.IPv6.parse(text);
    } catch {
      v6 = undefined;
    }
  }
  if (v6 !== undefined) parsed = v6.isIPv4MappedAddress() ? parseIPv4(v6.toIPv4Address().toString()) : v6;
  lastIPv6Text = text;
  lastIPv6 = parsed;
  return parsed;
}

/**
 * The eight groups of an IPv6 address written in the plain form (hex groups of 1-4 digits, at most one `::`
 * standing for at least one zero group, no zone, no embedded IPv4), or null for anything else, which ipaddr.js
 * then parses (and may accept or refuse). Hand-written because ipaddr.js's regex-based parse dominated the cost of
 * `cidr` rules on IPv6 traffic; the tests check it against ipaddr.js.
 */
export function plainIPv6Parts(text: string): number[] | null {
  const n = text.length;
  if (n < 2 || n > 39) return null;
  const head: number[] = [];
  const tail: number[] = [];
  let groups = head;
  let compressed = false;
  let i = 0;
  if (text.charCodeAt(0) === 58) {
    // A leading colon must be the `::`.
    if (text.charCodeAt(1) !== 58) return null;
    compressed = true;
    groups = tail;
    i = 2;
    if (i === n) return [0, 0, 0, 0, 0, 0, 0, 0];
  }
  for (;;) {
    let value = 0;
    let digits = 0;
    while (i < n) {
      const c = text.charCodeAt(i);
      const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
      if (d < 0) break;
      if (++digits > 4) return null;
      value = value * 16 + d;
      i++;
    }
    if (digits === 0) return null;
    groups.push(value);
    if (i === n) break;
    if (text.charCodeAt(i) !== 58) return null;
    i++;
    if (i < n && text.charCodeAt(i) === 58) {
      if (compressed) return null;
      compressed = true;
      groups = tail;
      i++;
      if (i === n) break;
    } else if (i === n) {
      return null; // a single trailing colon
    }
  }
  const total = head.length + tail.length;
  if (compressed ? total > 7 : total !== 8) return null;
  const parts = head.slice();
  for (let z = total; z < 8; z++) parts.push(0);
  for (const t of tail) parts.push(t);
  return parts;
}

// Every spelling of an IPv4-mapped IPv6 address (::ffff:10.0.0.1, ::ffff:a00:1, 0:0:0:0:0:ffff:...) has `ffff`.
const MAY_BE_MAPPED = /ffff/i;

function parseIPv4OrMapped(text: string): number | undefined {
  const v4 = parseIPv4(text);
  if (v4 >= 0) return v4;
  if (!MAY_BE_MAPPED.test(text)) return undefined;
  const addr = parseIp(text);
  return typeof addr === 'number' ? addr : undefined;
}

export function inNetwork(addr: Address, net: Network): boolean {
  if (net.kind === 'ipv4') return typeof addr === 'number' && ((addr & net.mask) >>> 0) === net.base;
  // An IPv4 address is also its IPv4-mapped IPv6 form (::ffff:a.b.c.d) for IPv6 networks.
  if (typeof addr === 'number') return net.v4 !== null && ((addr & net.v4.mask) >>> 0) === net.v4.base;
  return addr.match(net.range);
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?(?:([Zz])|([+-])(\d{2}):?(\d{2})?)?$/;

/** Milliseconds since the epoch of an ISO-8601 date (UTC when no offset is written), or undefined. */
export function parseIsoDate(text: string): number | undefined {
  const m = ISO_DATE.exec(text);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = [1, 2, 3, 4, 5, 6].map((i) => (m[i] === undefined ? 0 : Number(m[i])));
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return undefined;
  const ms = m[7] ? Math.floor(Number('0.' + m[7]) * 1000) : 0;
  let time = Date.UTC(y, mo - 1, d, h, mi, s, ms);
  if (new Date(Date.UTC(y, mo - 1, d)).getUTCDate() !== d) return undefined; // 2025-02-30
  if (m[9]) {
    const offset = (Number(m[10]) * 60 + Number(m[11] ?? 0)) * (m[9] === '-' ? -1 : 1);
    time -= offset * 60000;
  }
  return Number.isFinite(time) ? time : undefined;
}

function isoWeek(date: Date): number {
  const day = (date.getUTCDay() + 6) % 7; // Monday = 0
  const thursday = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate() - day + 3);
  const yearStart = Date.UTC(new Date(thursday).getUTCFullYear(), 0, 1);
  return Math.floor((thursday - yearStart) / 86400000 / 7) + 1;
}

/** The part of a date a time modifier extracts (UTC), or undefined when the value is not an ISO-8601 date. */
export function timePartOf(value: unknown, part: TimePart): number | undefined {
  if (typeof value !== 'string') return undefined;
  const time = parseIsoDate(value);
  if (time === undefined) return undefined;
  const date = new Date(time);
  switch (part) {
    case 'minute': return date.getUTCMinutes();
    case 'hour': return date.getUTCHours();
    case 'day': return date.getUTCDate();
    case 'week': return isoWeek(date);
    case 'month': return date.getUTCMonth() + 1;
    case 'year': return date.getUTCFullYear();
  }
}

const DASHES = /[-/\u2013\u2014\u2015]/g;
const HAS_DASH = /[/\u2013\u2014\u2015]/;

/** windash: every dash-like character becomes `-` on both sides of the comparison. */
export function normalizeDashes(text: string): string {
  return HAS_DASH.test(text) ? text.replace(DASHES, '-') : text;
}

function encodeBytes(text: string, encodings: readonly ValueModifier[]): Buffer {
  const utf16 = encodings.find((e) => (UTF16 as readonly string[]).includes(e));
  if (!utf16) return Buffer.from(text, 'utf8');
  const le = Buffer.from(text, 'utf16le');
  if (utf16 === 'utf16le' || utf16 === 'wide') return le;
  if (utf16 === 'utf16') return Buffer.concat([Buffer.from([0xff, 0xfe]), le]);
  const be = Buffer.from(le);
  be.swap16();
  return be;
}

/**
 * base64offset: the text may sit at any byte offset of a larger encoded string. For each of the three offsets,
 * encode with that many filler bytes in front, then drop the characters that depend on the filler (leading) or on
 * the unknown following bytes (trailing), keeping the part that is the same wherever the text sits.
 */
export function base64OffsetVariants(bytes: Buffer): string[] {
  const variants: string[] = [];
  for (let offset = 0; offset < 3; offset++) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64');
    const start = [0, 2, 3][offset];
    const total = offset + bytes.length;
    // Trailing characters mixing our last bits with whatever follows, plus padding.
    const drop = [0, 3, 2][total % 3];
    variants.push(encoded.slice(start, encoded.length - drop));
  }
  return variants;
}

// ---------------------------------------------------------------------------------------------------------
// Compilation
//
// Matching streams the event values through a visitor (no arrays per event): the visitor returns true to stop
// the walk, and an item holds exactly when the walk was stopped.

type ValueTest<P> = (prepared: P) => boolean;

/** One family of comparison: how an event value is prepared once, and the tests (one group per rule value). */
interface Comparison<P> {
  prepare(value: unknown): P | undefined;
  /** True when `prepare` is plain case folding of the string form, which the per-event cache can share. */
  foldsOnly?: boolean;
  /** True when `prepare` is the plain string form (case-sensitive strings: `cased`, encodings). */
  stringFormOnly?: boolean;
  /** cidr: the networks (one per group) and the address parser, for the rule set's shared network tests. */
  cidr?: { networks: readonly Network[]; parse: (text: string) => Address | undefined };
  /** groups[k]: alternatives for rule value k (base64offset yields three per value; others one). */
  groups: ValueTest<P>[][];
}

/** A string test with what a shared matcher needs to run it once for many rules (see shared-match.ts). */
export type SharedStringTest = ((prepared: string) => boolean) & {
  exact?: string;
  kind?: StringTestKind;
  literal?: string;
  pattern?: string;
};

/**
 * What a cached item predicate decides, when it is a plain OR (no `all`, no `neq`) that the rule set can evaluate
 * for every rule testing the field at once: string patterns over the case-folded (`folded`) or raw string forms,
 * or networks over the parsed addresses. The predicate holds exactly when some value of `entry` passes some test.
 */
export type ShareableTest =
  | { kind: 'string'; entry: CachedField; folded: boolean; exact: ReadonlySet<string>; tests: readonly SharedStringTest[] }
  | { kind: 'cidr'; entry: CachedField; networks: readonly Network[]; parse: (text: string) => Address | undefined };

export type ShareablePredicate = ((event: NormalizedEvent) => boolean) & { shareable?: ShareableTest };

/** A visitor with per-walk state (for `all`): `start` resets it before each walk. */
interface Decider {
  start(): void;
  visit(value: unknown): boolean;
}

/**
 * `budget` pays for the item's regex tests (the rule set's per-event budget); without one they are not metered.
 */
export function compileFieldItem(
  item: FieldItem, options: EngineOptions, cache?: FieldValueCache, budget: EvaluationBudget = UNLIMITED_BUDGET,
): ValueMatcher {
  const problems = validateFieldItem(item, options);
  if (problems.length) {
    const where = item.field === null ? 'keywords' : `field '${item.field}'`;
    throw new Error(`cannot compile ${where} (${item.loc.file}:${item.loc.line}): ${problems.map((p) => p.message).join('; ')}`);
  }
  const spec = readSpec(item.modifiers);
  if (item.field === null) return compileKeywords(item, spec, options, budget);
  const path = compilePath(item.field);
  if (spec.exists) return compileExists(item, path, item.values[0] === true);
  if (item.values[0] === null) return compileNull(item, path, spec.neq);
  if (spec.fieldref) return compileFieldRef(item, spec, path);

  const comparison = buildComparison(item, spec, options, budget, cache?.shared as Map<string, SharedRegex> | undefined);
  const decider = buildDecider(comparison, spec);
  const { start, visit } = decider;
  return {
    item, path, referencedFields: [],
    matches: (event) => {
      start();
      return visitValues(event, path, visit) === VISIT_STOPPED;
    },
    ...(cache ? { matchesCached: cachedMatcher(cache, item.field, comparison, spec) } : {}),
    inspect: (event) => {
      const values: unknown[] = [];
      const present = collectValues(event, path, values);
      return { result: runDecider(decider, values), present, values };
    },
  };
}

function cachedMatcher(cache: FieldValueCache, field: string, comparison: Comparison<unknown>, spec: ItemSpec) {
  const entry = cache.entry(field);
  if (comparison.foldsOnly) {
    const plainOr = !spec.all && !spec.neq && comparison.groups.every((g) => g.length === 1);
    if (plainOr) {
      // The common shape (a value or a list of values, ORed): equality values become one Set lookup, the other
      // patterns a flat list of tests over the folded values.
      const { exact, tests: others } = splitExact(comparison.groups as ValueTest<string>[][]);
      const useSet = exact.size > 0;
      const single = others.length === 1 ? others[0] : null;
      const predicate = (event: NormalizedEvent): boolean => {
        if (entry.epoch !== cache.epoch) cache.read(entry, event);
        const folded = entry.foldedEpoch === cache.epoch ? entry.folded : foldedValues(entry, cache.epoch);
        for (let i = 0; i < entry.count; i++) {
          const p = folded[i];
          if (p === undefined) continue;
          if (useSet && exact.has(p)) return true;
          if (single !== null) {
            if (single(p)) return true;
          } else {
            for (let t = 0; t < others.length; t++) if (others[t](p)) return true;
          }
        }
        return false;
      };
      (predicate as ShareablePredicate).shareable = { kind: 'string', entry, folded: true, exact, tests: others };
      return predicate;
    }
    // Values arrive already folded: the decider's prepare only skips values without a string form.
    const decider = buildDecider({ prepare: (p) => p, groups: comparison.groups }, spec);
    const { start, visit } = decider;
    return (event: NormalizedEvent): boolean => {
      const e = cache.read(entry, event);
      const folded = foldedValues(e, cache.epoch);
      start();
      for (let i = 0; i < e.count; i++) if (visit(folded[i])) return true;
      return false;
    };
  }
  const { start, visit } = buildDecider(comparison, spec);
  const predicate = (event: NormalizedEvent): boolean => {
    const e = cache.read(entry, event);
    start();
    for (let i = 0; i < e.count; i++) if (visit(e.values[i])) return true;
    return false;
  };
  if (!spec.all && !spec.neq && comparison.groups.every((g) => g.length === 1)) {
    if (comparison.cidr) {
      (predicate as ShareablePredicate).shareable = { kind: 'cidr', entry, ...comparison.cidr };
    } else if (comparison.stringFormOnly) {
      const { exact, tests } = splitExact(comparison.groups as ValueTest<string>[][]);
      (predicate as ShareablePredicate).shareable = { kind: 'string', entry, folded: false, exact, tests };
    }
  }
  return predicate;
}

/** A plain OR's tests: the equality literals (one Set lookup) and the other patterns. */
function splitExact(groups: readonly ValueTest<string>[][]): { exact: Set<string>; tests: SharedStringTest[] } {
  const exact = new Set<string>();
  const tests: SharedStringTest[] = [];
  for (const [test] of groups) {
    const literal = (test as SharedStringTest).exact;
    if (literal !== undefined) exact.add(literal);
    else tests.push(test);
  }
  return { exact, tests };
}

/** The entry's values case-folded (string forms; undefined for values without one), computed once per event. */
export function foldedValues(entry: CachedField, epoch: number): (string | undefined)[] {
  if (entry.foldedEpoch !== epoch) {
    entry.foldedEpoch = epoch;
    const from = entry.foldedFrom;
    for (let i = 0; i < entry.count; i++) {
      const v = entry.values[i];
      // Values repeat from event to event (descriptions, client names): the same value folds the same way.
      if (i < from.length && from[i] === v) continue;
      const s = stringForm(v);
      entry.folded[i] = s === undefined ? undefined : foldCase(s);
      from[i] = v;
    }
  }
  return entry.folded;
}

function runDecider(decider: Decider, values: readonly unknown[]): boolean {
  decider.start();
  for (const v of values) if (decider.visit(v)) return true;
  return false;
}

function compileExists(item: FieldItem, path: CompiledPath, wanted: boolean): ValueMatcher {
  const stop = () => true;
  return {
    item, path, referencedFields: [],
    matches: (event) => (visitValues(event, path, stop) !== VISIT_MISSING) === wanted,
    inspect: (event) => {
      const values: unknown[] = [];
      const present = collectValues(event, path, values);
      return { result: present === wanted, present, values };
    },
  };
}

/** `field: null` matches a missing field or JSON null; `field|neq: null` a present field with a non-null value. */
function compileNull(item: FieldItem, path: CompiledPath, neq: boolean): ValueMatcher {
  const decide = (present: boolean, values: readonly unknown[]): boolean =>
    neq ? present && (values.length === 0 || values.some((v) => v !== null)) : !present || values.includes(null);
  const isNull = (v: unknown) => v === null;
  let seen = false;
  const isNotNull = (v: unknown) => {
    seen = true;
    return v !== null;
  };
  return {
    item, path, referencedFields: [],
    matches: neq
      ? (event) => {
        seen = false;
        const state = visitValues(event, path, isNotNull);
        // Present with no value at all (an empty list) also counts as "not null".
        return state === VISIT_STOPPED || (state === VISIT_PRESENT && !seen);
      }
      : (event) => visitValues(event, path, isNull) !== VISIT_PRESENT,
    inspect: (event) => {
      const values: unknown[] = [];
      const present = collectValues(event, path, values);
      return { result: decide(present, values), present, values };
    },
  };
}

function compileKeywords(item: FieldItem, spec: ItemSpec, options: EngineOptions, budget: EvaluationBudget): ValueMatcher {
  const comparison = buildComparison(item, spec, options, budget);
  const decider = buildDecider(comparison, spec);
  const some = buildDecider(comparison, { ...spec, all: false });
  const { start, visit } = decider;
  return {
    item, path: null, referencedFields: [],
    matches: (event) => {
      start();
      return visitScalars(event, visit);
    },
    inspect: (event) => {
      const values: unknown[] = [];
      visitScalars(event, (v) => {
        values.push(v);
        return false;
      });
      // Keywords read every value of the event: report the ones that met some keyword.
      return { result: runDecider(decider, values), present: true, values: values.filter((v) => runDecider(some, [v])) };
    },
  };
}

/** OR of rule values (default), AND with `all` (each may be met by a different event value), or `neq`. */
function buildDecider<P>(comparison: Comparison<P>, spec: Pick<ItemSpec, 'all' | 'neq'>): Decider {
  const { prepare, groups } = comparison;
  const noop = () => {};
  const matchesGroup = (group: ValueTest<P>[], p: P): boolean => {
    for (let a = 0; a < group.length; a++) if (group[a](p)) return true;
    return false;
  };
  const matchesAny = (p: P): boolean => {
    for (let g = 0; g < groups.length; g++) if (matchesGroup(groups[g], p)) return true;
    return false;
  };
  if (spec.neq) {
    // Stop at a comparable value equal to none of the rule values.
    return {
      start: noop,
      visit: (v) => {
        const p = prepare(v);
        return p !== undefined && !matchesAny(p);
      },
    };
  }
  if (spec.all) {
    const satisfied: boolean[] = groups.map(() => false);
    let remaining = groups.length;
    return {
      start: () => {
        satisfied.fill(false);
        remaining = groups.length;
      },
      visit: (v) => {
        const p = prepare(v);
        if (p === undefined) return false;
        for (let g = 0; g < groups.length; g++) {
          if (!satisfied[g] && matchesGroup(groups[g], p)) {
            satisfied[g] = true;
            remaining--;
          }
        }
        return remaining === 0;
      },
    };
  }
  if (groups.length === 1 && groups[0].length === 1) {
    const only = groups[0][0];
    return {
      start: noop,
      visit: (v) => {
        const p = prepare(v);
        return p !== undefined && only(p);
      },
    };
  }
  return {
    start: noop,
    visit: (v) => {
      const p = prepare(v);
      return p !== undefined && matchesAny(p);
    },
  };
}

/** A scalar's string form (the comparison base of Sigma strings); objects, arrays and null have none. */
export function stringForm(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

function buildComparison(
  item: FieldItem, spec: ItemSpec, options: EngineOptions, budget: EvaluationBudget, regexes?: Map<string, SharedRegex>,
): Comparison<unknown> {
  const values = item.values as Exclude<Scalar, null>[];
  if (spec.timePart) {
    const part = spec.timePart;
    const op = spec.numeric;
    return {
      prepare: (v) => timePartOf(v, part),
      groups: values.map((rv) => [numericTest(op, toNumber(rv)!)]),
    };
  }
  if (spec.numeric) {
    const op = spec.numeric;
    return {
      prepare: toNumber,
      groups: values.map((rv) => [numericTest(op, toNumber(rv)!)]),
    };
  }
  if (spec.cidr) {
    const networks = values.map((rv) => parseNetwork(String(rv))!);
    // With IPv4 networks only, an IPv6 address can match only in its IPv4-mapped form: no full IPv6 parse.
    // (Not under neq: there a valid IPv6 address outside the networks must count as different.)
    const parse = spec.neq || networks.some((n) => n.kind === 'ipv6') ? parseIp : parseIPv4OrMapped;
    return {
      prepare: (v) => (typeof v === 'string' ? parse(v) : undefined),
      groups: networks.map((net) => [(addr: unknown) => inNetwork(addr as Address, net)]),
      cidr: { networks, parse },
    };
  }
  if (spec.re) {
    const cap = options.regexValueCap;
    const compiled = values.map((rv) => {
      const { source, flags } = splitInlineFlags(String(rv), spec.reFlags);
      return sharedRegex(source, flags, regexes);
    });
    return {
      prepare: (v) => {
        const s = stringForm(v);
        return s !== undefined && s.length > cap ? s.slice(0, cap) : s;
      },
      groups: compiled.map((shared) => [(s: unknown) => {
        // Paid before it runs (whether or not the run is then saved): an event out of budget stops here, never
        // inside the engine, and the budget counts the same as with every rule running its own regex.
        budget.charge((s as string).length * shared.regex.stepsPerChar + 1);
        return runSharedRegex(shared, s as string);
      }]),
    };
  }
  return buildStringComparison(item, spec);
}

/**
 * A `re` value compiled once for every item of the rule set that writes the same pattern and flags, with its
 * required-literal prefilter (regex-literals.ts) and the last value it decided: rules testing one field with one
 * pattern run it once per event value.
 */
export interface SharedRegex {
  regex: CompiledRegex;
  mayMatch: ((value: string) => boolean) | null;
  lastValue: string | undefined;
  lastResult: boolean;
}

function sharedRegex(source: string, flags: string, registry?: Map<string, SharedRegex>): SharedRegex {
  const key = `re\u0000${flags}\u0000${source}`;
  let shared = registry?.get(key);
  if (!shared) {
    shared = { regex: compileRegex(source, flags), mayMatch: literalPrefilter(source, flags), lastValue: undefined, lastResult: false };
    registry?.set(key, shared);
  }
  return shared;
}

/** The regex's decision on `s`; a value without any required literal never reaches the engine. */
export function runSharedRegex(shared: SharedRegex, s: string): boolean {
  if (s === shared.lastValue) return shared.lastResult;
  const result = (shared.mayMatch === null || shared.mayMatch(s)) && shared.regex.test(s);
  shared.lastValue = s;
  shared.lastResult = result;
  return result;
}

function numericTest(op: NumericOp | undefined, limit: number): ValueTest<unknown> {
  switch (op) {
    case 'gt': return (n) => (n as number) > limit;
    case 'gte': return (n) => (n as number) >= limit;
    case 'lt': return (n) => (n as number) < limit;
    case 'lte': return (n) => (n as number) <= limit;
    default: return (n) => n === limit;
  }
}

/** Plain, contains/startswith/endswith, windash and encoded string comparisons (fields and keywords). */
function buildStringComparison(item: FieldItem, spec: ItemSpec): Comparison<unknown> {
  const encoded = spec.encodings.length > 0;
  // Encoded text is case-significant (base64 letters); everything else folds unless `cased`.
  const caseSensitive = spec.cased || encoded;
  const shape = item.field === null ? 'contains' : spec.shape;
  const wrap = (core: WildcardToken[]): WildcardToken[] => {
    const star: WildcardToken = { kind: 'star' };
    if (shape === 'contains') return [star, ...core, star];
    if (shape === 'startswith') return [...core, star];
    if (shape === 'endswith') return [star, ...core];
    return core;
  };
  const groups = (item.values as Exclude<Scalar, null>[]).map((rv) => {
    const text = String(rv);
    let alternatives: WildcardToken[][];
    if (encoded) {
      const bytes = encodeBytes(literalText(parseWildcard(text)), spec.encodings);
      const encodedTexts = spec.encodings.includes('base64offset') ? base64OffsetVariants(bytes) : [bytes.toString('base64')];
      alternatives = encodedTexts.map((t) => [{ kind: 'literal', text: t }]);
    } else {
      let tokens = parseWildcard(text);
      if (spec.windash) tokens = tokens.map((t) => (t.kind === 'literal' ? { kind: 'literal', text: normalizeDashes(t.text) } : t));
      alternatives = [tokens];
    }
    return alternatives.map((tokens) => {
      const test: StringTest = compileTokens(wrap(tokens), { caseSensitive }, text);
      // compileTokens makes a new closure per test, so the metadata lands on this test only.
      const fn = test.test as SharedStringTest;
      fn.kind = test.kind;
      fn.pattern = test.pattern;
      if (test.exact !== undefined) fn.exact = test.exact;
      if (test.literal !== undefined) fn.literal = test.literal;
      return fn as ValueTest<unknown>;
    });
  });
  const windash = spec.windash;
  const prepare = caseSensitive
    ? windash
      ? (v: unknown) => { const s = stringForm(v); return s === undefined ? s : normalizeDashes(s); }
      : stringForm
    : windash
      ? (v: unknown) => { const s = stringForm(v); return s === undefined ? s : foldCase(normalizeDashes(s)); }
      : (v: unknown) => { const s = stringForm(v); return s === undefined ? s : foldCase(s); };
  return { prepare, groups, foldsOnly: !caseSensitive && !windash, stringFormOnly: caseSensitive && !windash };
}

function compileFieldRef(item: FieldItem, spec: ItemSpec, path: CompiledPath): ValueMatcher {
  const refs = (item.values as string[]).map((name) => compilePath(name));
  const fold = spec.cased ? (s: string) => s : foldCase;
  const compare: (value: string, ref: string) => boolean =
    spec.shape === 'contains' ? (v, r) => v.includes(r)
      : spec.shape === 'startswith' ? (v, r) => v.startsWith(r)
        : spec.shape === 'endswith' ? (v, r) => v.endsWith(r)
          : (v, r) => v === r;
  const prepare = (v: unknown): string | undefined => {
    const s = stringForm(v);
    return s === undefined ? undefined : fold(s);
  };
  const preparedAll = (values: readonly unknown[]): string[] => {
    const out: string[] = [];
    for (const v of values) {
      const p = prepare(v);
      if (p !== undefined) out.push(p);
    }
    return out;
  };

  // fieldref is rare: it reads both sides into small arrays rather than streaming.
  const decide = (values: unknown[], event: NormalizedEvent, record?: Record<string, unknown[]>): boolean => {
    if (values.length === 0) return false;
    const refValues = refs.map((ref) => {
      const raw: unknown[] = [];
      collectValues(event, ref, raw);
      if (record) record[ref.field] = raw;
      return preparedAll(raw);
    });
    const meets = (p: string, k: number): boolean => refValues[k].some((r) => compare(p, r));
    const prepared = preparedAll(values);
    // A referenced field with no comparable value never matches, neq included.
    if (spec.neq) return !refValues.some((r) => r.length === 0) && prepared.some((p) => refs.every((_, k) => !meets(p, k)));
    if (spec.all) return refs.every((_, k) => prepared.some((p) => meets(p, k)));
    return prepared.some((p) => refs.some((_, k) => meets(p, k)));
  };
  return {
    item, path, referencedFields: refs.map((r) => r.field),
    matches: (event) => {
      const values: unknown[] = [];
      collectValues(event, path, values);
      return decide(values, event);
    },
    inspect: (event) => {
      const values: unknown[] = [];
      const present = collectValues(event, path, values);
      const referenced: Record<string, unknown[]> = {};
      const result = decide(values, event, referenced);
      return { result, present, values, referenced };
    },
  };
}

/**
 * Calls `visit` with every scalar value of the event (nested objects and arrays included, key names never, null
 * skipped) until it returns true; returns whether it was stopped. Keyword search reads events this way.
 * Iterative (an explicit stack, in document order): nesting depth is attacker-controlled and unbounded here.
 */
export function visitScalars(node: unknown, visit: (value: unknown) => boolean): boolean {
  if (node === null || node === undefined) return false;
  if (typeof node !== 'object') return visit(node);
  const stack: unknown[] = [node];
  while (stack.length > 0) {
    const current = stack.pop();
    if (current === null || current === undefined) continue;
    if (typeof current !== 'object') {
      if (visit(current)) return true;
      continue;
    }
    if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i--) stack.push(current[i]);
      continue;
    }
    // Children are pushed in key order then reversed in place, so they pop in key order.
    const mark = stack.length;
    for (const key in current) {
      if (Object.prototype.hasOwnProperty.call(current, key)) stack.push((current as Record<string, unknown>)[key]);
    }
    for (let a = mark, b = stack.length - 1; a < b; a++, b--) {
      const t = stack[a];
      stack[a] = stack[b];
      stack[b] = t;
    }
  }
  return false;
}

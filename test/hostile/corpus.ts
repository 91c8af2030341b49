// The hostile-event corpus: Auth0 log events shaped by an attacker who controls user names, user agents,
// request bodies and metadata. Built by code (nothing huge is committed). Every case keeps `data.client_id` at
// the canary's value (rules/hostile-corpus.yml): whatever a case does to the other fields, the canary must still
// fire and be delivered, nothing may crash, and nothing the attacker wrote may reach an output raw.

export const CANARY_RULE_ID = '5b7e2c1a-9d43-4f0e-8a61-2c3d4e5f6a01';
export const CANARY_CLIENT_ID = 'HostileCorpusCanaryClient0001';
export const HOSTILE_RULES_DIR = 'test/hostile/rules';

export interface HostileCase {
  /** Short id, also the suffix of the event's log_id. */
  name: string;
  /** What the case attacks. */
  attack: string;
  /** The event's `data` fields besides the fixed ones (type, date, client_id, log_id); built on demand. */
  data(): Record<string, unknown>;
  /** Set when the case is too slow or large for `npm test`: it runs in `npm run test:long`. */
  heavy?: boolean;
}

/** `[[[...]]]` nested `depth` levels, built from JSON text (JSON.parse does not recurse). */
export function nestedArrays(depth: number, inner = '"deep"'): unknown {
  return JSON.parse(`${'['.repeat(depth)}${inner}${']'.repeat(depth)}`);
}

/** `{"a":{"a":...}}` nested `depth` levels. */
export function nestedObjects(depth: number, key = 'a', inner = '"deep"'): unknown {
  return JSON.parse(`${`{"${key}":`.repeat(depth)}${inner}${'}'.repeat(depth)}`);
}

/** Characters that must never reach a terminal, an SMS or an email raw. */
export const INVISIBLE_AND_CONTROL = [
  '\u001b[2J\u001b[31m', // ANSI: clear screen, red
  '\r', '\u0007', '\u0000', '\u007f', '\u0085', '\u009b31m', // CR, BEL, NUL, DEL, NEL, CSI (C1)
  '\u202e', '\u2066', '\u200f', // bidi override, isolate, RLM
  '\u200b', '\u200d', '\u2060', '\ufeff', // zero-width
  '\udb40\udc41\udb40\udc42', // tag characters
  '\u2028', // line separator
];

/** Look-alike and disguised links an attacker puts in a user name to get a clickable link into a notification. */
export const LOOK_ALIKE_URLS = [
  'ｈｔｔｐｓ：／／evil.example/reset',
  'h\u0303ttps://evil.example/reset',
  'https\u200b://evil.example',
  'www.evil.example',
  'javascript:alert(document.cookie)',
  'mailto:attacker@evil.example',
  'loginhttps://evil.example',
  'hxxps://еvil.example', // Cyrillic е
  'evil\u3002example\u3002com',
];

const FOUR_KB_HEADER = 'session=user=role='.repeat(228).slice(0, 4096);

export const HOSTILE_CASES: HostileCase[] = [
  {
    name: 'nested-arrays-100k',
    attack: 'an array nested 100,000 levels deep (keyword search, field paths, JSON output)',
    data: () => ({ details: { request: { body: nestedArrays(100_000) } } }),
  },
  {
    name: 'nested-objects-100k',
    attack: 'objects nested 100,000 levels deep under a path a rule reads',
    data: () => ({ details: { request: nestedObjects(100_000, 'body') } }),
  },
  {
    name: 'nested-items-100k',
    attack: 'field{} crossing an array whose element nests 100,000 levels',
    data: () => ({ details: { items: [{ name: nestedArrays(100_000) }, { name: nestedObjects(100_000, 'n') }] } }),
  },
  {
    name: 'number-1e200',
    attack: 'a value_sum field holding 1e200 (outside DynamoDB\'s number range)',
    data: () => ({ ip: '198.51.100.1', details: { amount: 1e200 } }),
  },
  {
    name: 'number-tiny-and-negative',
    attack: 'value_sum fields at the other end of the range: 1e-200 and -1e200',
    data: () => ({ ip: '198.51.100.2', details: { amount: [1e-200, -1e200] } }),
  },
  {
    name: 'huge-number-strings',
    attack: 'numbers written as 400-digit strings (overflow to Infinity, or 38+ significant digits)',
    data: () => ({ ip: '198.51.100.3', details: { amount: '9'.repeat(400), other: `0.${'3'.repeat(400)}` } }),
  },
  {
    name: 'giant-group-by',
    attack: 'a 200 KB user name: a correlation group-by value larger than a DynamoDB item',
    data: () => ({ user_name: `victim-${'A'.repeat(200_000)}`, ip: '198.51.100.4' }),
  },
  {
    name: 'giant-ip',
    attack: 'a 100 KB group-by value in data.ip for the value_sum correlation, with an amount',
    data: () => ({ ip: `198.51.100.5${'0'.repeat(100_000)}`, details: { amount: 5 } }),
  },
  {
    name: 'look-alike-urls',
    attack: 'look-alike and disguised links in the user name, user agent and description',
    data: () => ({ user_name: LOOK_ALIKE_URLS.join(' '), user_agent: LOOK_ALIKE_URLS.slice().reverse().join(' '), description: `reset at ${LOOK_ALIKE_URLS[0]}` }),
  },
  {
    name: 'control-and-invisible',
    attack: 'ANSI escapes, CR, C1 controls, bidi, zero-width and tag characters in user name and user agent',
    data: () => ({ user_name: `adm${INVISIBLE_AND_CONTROL.join('in')}@acme.example`, user_agent: INVISIBLE_AND_CONTROL.join('Mozilla'), user_id: 'auth0|\u202e1234' }),
  },
  {
    name: 'lone-surrogates',
    attack: 'invalid UTF-16: lone high and low surrogates in user name and metadata keys',
    data: () => JSON.parse('{"user_name":"\\ud800evil\\udfff","details":{"\\udc00key":"\\ud83d"}}') as Record<string, unknown>,
  },
  {
    name: 'cubic-regex-array',
    attack: 'a 20-element array of 4 KB strings against a regex that is cubic on a backtracking engine',
    data: () => ({ details: { headers: Array.from({ length: 20 }, () => FOUR_KB_HEADER) } }),
  },
  {
    name: 'proto-keys',
    attack: '__proto__, constructor and prototype keys in data and nested objects',
    data: () =>
      JSON.parse(
        '{"__proto__":{"client_id":"Polluted","type":"sapi"},"constructor":{"prototype":{"polluted":true}},' +
          '"details":{"__proto__":{"request":{"body":"drop table users"}},"toString":"x","hasOwnProperty":"y","valueOf":{}}}',
      ) as Record<string, unknown>,
  },
  {
    name: 'wide-object',
    attack: 'an object with 20,000 keys (keyword search, dotted-key lookups)',
    data: () => ({ details: Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`k.${i}.x`, `v${i}`])) }),
  },
  {
    name: 'long-array',
    attack: 'an array of 50,000 small strings under a field{} path',
    data: () => ({ details: { items: Array.from({ length: 50_000 }, (_, i) => ({ name: `n${i}` })) } }),
  },
  {
    name: 'combining-mark-stack',
    attack: '50,000 combining marks on one letter (zalgo) in the user name',
    data: () => ({ user_name: `a${'\u0301'.repeat(50_000)}@acme.example` }),
  },
  {
    name: 'type-confusion',
    attack: 'fields of the wrong JSON type: ip as an object, user_name as an array, details as a string, amount as true',
    data: () => ({ ip: { v4: '198.51.100.6' }, user_name: ['a', ['b']], details: 'not-an-object', user_agent: 12345 }),
  },
  {
    name: 'bad-dates',
    attack: 'a date out of range for correlation windows (year 275760) ',
    data: () => ({ date: '+275760-09-13T00:00:00.000Z', details: { amount: 7 } }),
  },
  {
    name: 'nested-arrays-500k',
    attack: 'an array nested 500,000 levels (1 MB of brackets; only the CLI reads items that large)',
    data: () => ({ details: { request: { body: nestedArrays(500_000) } } }),
    heavy: true,
  },
  {
    name: 'cubic-regex-wide',
    attack: '200 elements of 4 KB against the cubic regex (ten times the fast case)',
    data: () => ({ details: { headers: Array.from({ length: 200 }, () => FOUR_KB_HEADER) } }),
    heavy: true,
  },
];

/** The case's event as a flat Management API log (`{log_id, data}`), what the CLI reads. */
export function flatEvent(c: HostileCase, index: number): Record<string, unknown> {
  const logId = caseLogId(c);
  return {
    log_id: logId,
    data: {
      date: new Date(Date.UTC(2026, 10, 1, 0, 0, index)).toISOString(),
      type: 'f',
      ip: '198.51.100.200',
      user_name: 'user@acme.example',
      ...c.data(),
      // Fixed last: every case carries the canary's client, whatever its own data says.
      client_id: CANARY_CLIENT_ID,
      log_id: logId,
    },
  };
}

export function caseLogId(c: HostileCase): string {
  return `hostile-${c.name}`;
}

/** The case's event as the EventBridge envelope Auth0 log streams deliver (what the Lambda receives). */
export function envelopeEvent(c: HostileCase, index: number): Record<string, unknown> {
  const flat = flatEvent(c, index);
  return {
    version: '0',
    id: `c5f3b1d2-0000-4000-8000-${String(index).padStart(12, '0')}`,
    'detail-type': 'Auth0 log',
    source: 'aws.partner/auth0.com/acme-1234/auth0.logs',
    account: '123456789012',
    time: '2026-11-01T00:00:00Z',
    region: 'eu-west-1',
    resources: [],
    detail: flat,
  };
}

// eslint-disable-next-line no-misleading-character-class
const RAW_UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2028\u2029\u2060-\u206f\ufeff]|[\udb40][\udc00-\udc7f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** The first character of `text` that must not reach an output raw (controls except \n and \t, invisibles, lone surrogates), or undefined. */
export function firstUnsafeCharacter(text: string): string | undefined {
  const m = RAW_UNSAFE.exec(text);
  return m ? `U+${m[0].charCodeAt(0).toString(16).padStart(4, '0')} at ${m.index}: …${JSON.stringify(text.slice(Math.max(0, m.index - 30), m.index + 10))}…` : undefined;
}

// A test-side evaluator of Amazon EventBridge event-pattern semantics, written from the AWS EventBridge user guide
// ("Event patterns", "Comparison operators", "Content filtering", "Arrays in event patterns", "Null values and empty
// strings") and the README of aws/event-ruler (the open-source matcher behind EventBridge). It exists to check the
// prefilter against an independent reading of the documentation, so it throws on any operator it does not model:
// a pattern the prefilter emits that this evaluator cannot judge is a test failure, not a silent pass.
//
// Modelled:
// - event-ruler's flattening (README "Compiled rules and JSON keys with dots", "JSON Array Matching"): the event
//   becomes (path, leaf value) pairs with path segments joined by `.`, so a literal dotted key `{"a.b": 1}` and the
//   nesting `{"a": {"b": 1}}` are the same field; arrays are crushed out (a field inside array elements is the field
//   of the array); the pattern is flattened the same way, so `{"a": {"b": [..]}}` and `{"a.b": [..]}` are equal;
// - array consistency (`rulesForJSONEvent`, what EventBridge uses): a match is refused when two fields of one
//   conjunction come from objects in different elements of the same array;
// - fields at one level AND together; the values listed for a field OR together; `$or` (2+ objects) ORs objects;
// - types are strict: "200" ≠ 200, "true" ≠ true; null matches only null; "" only the empty string;
// - prefix / suffix / equals-ignore-case, and prefix/suffix with equals-ignore-case, on strings only; ignore-case
//   compares each pattern character with its lower- and upper-case form (event-ruler's EqualsIgnoreCaseParser);
// - anything-but (string, number, list, prefix, suffix, equals-ignore-case) on present leaf values;
// - exists true/false (leaf values only: an object, an empty array or a missing field do not "exist"; null does);
// - numeric (JSON numbers only), wildcard (case-sensitive, `*` = any run, `\*` and `\\` escapes);
// - cidr (IPv4 only).

export type EventPattern = Record<string, unknown>;

type Leaf = string | number | boolean | null;

/** One leaf of the flattened event, with the array elements its path went through (array id → element index). */
interface FlatLeaf {
  value: Leaf;
  trail: Map<number, number>;
}

/** One field condition of a flattened pattern conjunction. */
interface FieldCondition {
  path: string;
  matchers: unknown[];
}

export function matchesEventPattern(pattern: EventPattern, event: unknown): boolean {
  const leaves = flattenEvent(event);
  return flattenPattern(pattern, '').some((conjunction) => satisfiable(conjunction, leaves));
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** path → leaves. Keys are joined with `.`; arrays (nested too) add no segment but record the element taken. */
function flattenEvent(event: unknown): Map<string, FlatLeaf[]> {
  const out = new Map<string, FlatLeaf[]>();
  let nextArray = 0;
  const visit = (value: unknown, path: string, trail: Map<number, number>): void => {
    if (Array.isArray(value)) {
      const id = nextArray++;
      value.forEach((element, index) => visit(element, path, new Map(trail).set(id, index)));
    } else if (isPlainObject(value)) {
      for (const [key, child] of Object.entries(value)) visit(child, path === '' ? key : `${path}.${key}`, trail);
    } else if (path !== '' && (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')) {
      (out.get(path) ?? out.set(path, []).get(path)!).push({ value, trail });
    }
  };
  visit(event, '', new Map());
  return out;
}

/** The pattern as a disjunction of conjunctions of field conditions (`$or` expanded). */
function flattenPattern(pattern: EventPattern, prefix: string): FieldCondition[][] {
  let conjunctions: FieldCondition[][] = [[]];
  const and = (alternatives: FieldCondition[][]): void => {
    conjunctions = conjunctions.flatMap((c) => alternatives.map((a) => [...c, ...a]));
  };
  for (const [key, spec] of Object.entries(pattern)) {
    if (key === '$or' && Array.isArray(spec) && spec.length >= 2 && spec.every(isPlainObject)) {
      and(spec.flatMap((alt) => flattenPattern(alt as EventPattern, prefix)));
      continue;
    }
    const path = `${prefix}${key}`;
    if (Array.isArray(spec)) and([[{ path, matchers: spec }]]);
    else if (isPlainObject(spec)) and(flattenPattern(spec, `${path}.`));
    else throw new Error(`eventbridge-pattern: a field value must be an array or an object, got ${JSON.stringify(spec)} at '${key}'`);
  }
  return conjunctions;
}

/** Some choice of one leaf per condition (or none, for exists: false) whose array elements agree. */
function satisfiable(conditions: FieldCondition[], leaves: Map<string, FlatLeaf[]>): boolean {
  const choose = (i: number, trail: Map<number, number>): boolean => {
    if (i === conditions.length) return true;
    const { path, matchers } = conditions[i]!;
    const candidates = leaves.get(path) ?? [];
    for (const m of matchers) {
      if (isPlainObject(m) && 'exists' in m) {
        if (typeof m['exists'] !== 'boolean') throw new Error('eventbridge-pattern: exists takes true or false');
        if (!m['exists']) {
          if (candidates.length === 0 && choose(i + 1, trail)) return true;
          continue;
        }
      }
      for (const leaf of candidates) {
        const exists = isPlainObject(m) && 'exists' in m;
        if (!exists && !matchLeaf(m, leaf.value)) continue;
        const merged = mergeTrails(trail, leaf.trail);
        if (merged && choose(i + 1, merged)) return true;
      }
    }
    return false;
  };
  return choose(0, new Map());
}

/** The union of two array-element choices, or null when they disagree on an array. */
function mergeTrails(a: Map<number, number>, b: Map<number, number>): Map<number, number> | null {
  const out = new Map(a);
  for (const [id, index] of b) {
    const have = out.get(id);
    if (have !== undefined && have !== index) return null;
    out.set(id, index);
  }
  return out;
}

function matchLeaf(m: unknown, v: Leaf): boolean {
  if (m === null) return v === null;
  if (typeof m === 'string') return typeof v === 'string' && v === m;
  if (typeof m === 'number') return typeof v === 'number' && v === m;
  if (typeof m === 'boolean') return typeof v === 'boolean' && v === m;
  if (!isPlainObject(m)) throw new Error(`eventbridge-pattern: unsupported matcher ${JSON.stringify(m)}`);
  const keys = Object.keys(m);
  if (keys.length !== 1) throw new Error(`eventbridge-pattern: a matcher object has exactly one operator: ${JSON.stringify(m)}`);
  const op = keys[0]!;
  const arg = m[op];
  switch (op) {
    case 'prefix':
    case 'suffix': {
      if (typeof v !== 'string') return false;
      if (typeof arg === 'string') return op === 'prefix' ? v.startsWith(arg) : v.endsWith(arg);
      if (isPlainObject(arg) && typeof arg['equals-ignore-case'] === 'string' && Object.keys(arg).length === 1) {
        return ignoreCaseRegExp(arg['equals-ignore-case'], op).test(v);
      }
      throw new Error(`eventbridge-pattern: unsupported ${op} argument ${JSON.stringify(arg)}`);
    }
    case 'equals-ignore-case':
      if (typeof arg !== 'string') throw new Error('eventbridge-pattern: equals-ignore-case takes a string');
      return typeof v === 'string' && ignoreCaseRegExp(arg, 'exact').test(v);
    case 'anything-but':
      return anythingBut(arg, v);
    case 'numeric':
      return typeof v === 'number' && numeric(arg, v);
    case 'wildcard':
      if (typeof arg !== 'string') throw new Error('eventbridge-pattern: wildcard takes a string');
      return typeof v === 'string' && wildcardRegExp(arg).test(v);
    case 'cidr':
      if (typeof arg !== 'string') throw new Error('eventbridge-pattern: cidr takes a string');
      return typeof v === 'string' && cidrV4(arg, v);
    default:
      throw new Error(`eventbridge-pattern: unsupported operator '${op}'`);
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/** Each pattern character (UTF-16 unit, as Java sees it) matches its lower-case or upper-case form. */
function ignoreCaseRegExp(value: string, shape: 'exact' | 'prefix' | 'suffix'): RegExp {
  let body = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    const forms = new Set([c.toLowerCase(), c.toUpperCase()]);
    body += `(?:${[...forms].map(escapeRegExp).join('|')})`;
  }
  const source = shape === 'exact' ? `^${body}$` : shape === 'prefix' ? `^${body}` : `${body}$`;
  // No `u` flag: the pattern works on UTF-16 units, like the Java implementation.
  return new RegExp(source);
}

function wildcardRegExp(pattern: string): RegExp {
  let body = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\') {
      const next = pattern[i + 1];
      if (next !== '*' && next !== '\\') throw new Error('eventbridge-pattern: wildcard escapes only * and \\');
      body += escapeRegExp(next);
      i++;
    } else if (c === '*') {
      if (pattern[i + 1] === '*') throw new Error('eventbridge-pattern: consecutive wildcard characters are not allowed');
      body += '[\\s\\S]*';
    } else {
      body += escapeRegExp(c);
    }
  }
  return new RegExp(`^${body}$`);
}

function anythingBut(arg: unknown, v: Leaf): boolean {
  if (typeof arg === 'string') return !(typeof v === 'string' && v === arg);
  if (typeof arg === 'number') return !(typeof v === 'number' && v === arg);
  if (Array.isArray(arg)) return !arg.some((a) => (typeof a === typeof v ? a === v : false));
  if (isPlainObject(arg) && Object.keys(arg).length === 1) {
    const [op] = Object.keys(arg);
    const inner = arg[op!];
    const list = Array.isArray(inner) ? inner : [inner];
    if (typeof v !== 'string') return true;
    if (op === 'prefix') return !list.some((p) => v.startsWith(String(p)));
    if (op === 'suffix') return !list.some((p) => v.endsWith(String(p)));
    if (op === 'equals-ignore-case') return !list.some((p) => ignoreCaseRegExp(String(p), 'exact').test(v));
    if (op === 'wildcard') return !list.some((p) => wildcardRegExp(String(p)).test(v));
  }
  throw new Error(`eventbridge-pattern: unsupported anything-but argument ${JSON.stringify(arg)}`);
}

function numeric(arg: unknown, v: number): boolean {
  if (!Array.isArray(arg) || arg.length === 0 || arg.length % 2 !== 0) throw new Error('eventbridge-pattern: numeric takes [op, n, (op, n)]');
  for (let i = 0; i < arg.length; i += 2) {
    const op = arg[i];
    const n = arg[i + 1];
    if (typeof n !== 'number' || Math.abs(n) > 5e9) throw new Error('eventbridge-pattern: numeric operand must be a number within ±5e9');
    const ok = op === '=' ? v === n : op === '<' ? v < n : op === '<=' ? v <= n : op === '>' ? v > n : op === '>=' ? v >= n : undefined;
    if (ok === undefined) throw new Error(`eventbridge-pattern: unknown numeric operator ${String(op)}`);
    if (!ok) return false;
  }
  return true;
}

function cidrV4(cidr: string, ip: string): boolean {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr);
  if (!m) throw new Error('eventbridge-pattern: only IPv4 cidr is modelled');
  const toInt = (parts: string[]): number => parts.reduce((n, p) => n * 256 + Number(p), 0);
  const ipm = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(ip);
  if (!ipm) return false;
  const bits = Number(m[5]);
  const mask = bits === 0 ? 0 : 2 ** 32 - 2 ** (32 - bits);
  const net = toInt(m.slice(1, 5));
  const addr = toInt(ipm.slice(1, 5));
  return Math.floor(net / 2 ** (32 - bits)) === Math.floor(addr / 2 ** (32 - bits)) || (bits === 0 && mask === 0);
}

// The coverage report's one-walk presence check (bin/cli/field-coverage.ts) against the engine's own
// fieldIsPresent, field by field: generated events full of the shapes that make paths ambiguous (literal dotted
// keys, arrays at every step, `{}` over non-arrays, null and empty arrays, inherited names, empty keys) and every
// field the trie can share prefixes on. Seeded, so a failure repeats.

import { FieldCoverage, type CoverageField } from '../../bin/cli/field-coverage';
import { compilePath, fieldIsPresent } from '../../lambda/sigma/fieldpath';

/** mulberry32: a small seeded generator. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KEYS = ['data', 'details', 'body', 'a', 'b', 'x', '', '0', 'constructor', '__proto__'];

const FIELDS = [
  'data', 'data.details', 'data.details.body', 'data.details.body.a', 'data.details{}', 'data.details{}.body',
  'data.details.body{}', 'data.details.body{}.a', 'a.b', 'a.b.x', 'a{}.b{}', 'a{}.b{}.x', 'a.b{}', 'x', 'x{}',
  'data.x', 'details.body', 'body.a.b', 'a..b', '.a', 'a.', 'constructor', 'data.constructor', '__proto__.x',
  'toString', '0', 'a.0', 'data.details.body.a.b.x', 'b{}', 'a{}{}',
];

/** A random JSON value built from KEYS, dotted joins of them, arrays and scalars; depth-bounded. */
function value(next: () => number, depth: number): unknown {
  const r = next();
  if (depth >= 5 || r < 0.25) {
    const scalars = [null, 0, 'text', true, ''];
    return scalars[Math.floor(next() * scalars.length)];
  }
  if (r < 0.45) {
    const n = Math.floor(next() * 3);
    return Array.from({ length: n }, () => value(next, depth + 1));
  }
  const object: Record<string, unknown> = {};
  const n = 1 + Math.floor(next() * 4);
  for (let i = 0; i < n; i++) {
    let key = KEYS[Math.floor(next() * KEYS.length)];
    if (next() < 0.3) key = `${key}.${KEYS[Math.floor(next() * KEYS.length)]}`;
    if (next() < 0.1) key = `${key}.${KEYS[Math.floor(next() * KEYS.length)]}`;
    // JSON.parse makes `__proto__` an own key, as it is in events read from a file.
    Object.defineProperty(object, key, { value: value(next, depth + 1), enumerable: true, writable: true, configurable: true });
  }
  return object;
}

function fresh(fields: readonly string[]): CoverageField[] {
  return fields.map((field) => ({ field, seen: false }));
}

describe('FieldCoverage', () => {
  test('marks exactly the fields fieldIsPresent finds, event by event (2,000 generated events)', () => {
    const next = random(11);
    const paths = FIELDS.map((f) => compilePath(f));
    let presentSomewhere = 0;
    const fieldsFound = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      // Round-tripped through JSON: events reach the scan as JSON.parse values.
      const event = JSON.parse(JSON.stringify(value(next, 0))) as unknown;
      const coverage = new FieldCoverage(fresh(FIELDS));
      coverage.observe(event);
      const expected = paths.map((p) => fieldIsPresent(event, p));
      expect({ i, seen: coverage.fields.map((f) => f.seen) }).toEqual({ i, seen: expected });
      presentSomewhere += expected.filter(Boolean).length;
      expected.forEach((present, k) => present && fieldsFound.add(FIELDS[k]));
    }
    // The generator reaches the fields often enough, and most of them, for the comparison to mean something.
    expect(presentSomewhere).toBeGreaterThan(1000);
    expect(fieldsFound.size).toBeGreaterThanOrEqual(20);
  });

  test('over a stream of events, a field once seen stays seen and the rest are still looked for', () => {
    const next = random(29);
    const fields = fresh(FIELDS);
    const coverage = new FieldCoverage(fields);
    const seen = new Array<boolean>(FIELDS.length).fill(false);
    const paths = FIELDS.map((f) => compilePath(f));
    for (let i = 0; i < 300; i++) {
      const event = JSON.parse(JSON.stringify(value(next, 0))) as unknown;
      if (coverage.pending) coverage.observe(event);
      paths.forEach((p, k) => {
        if (fieldIsPresent(event, p)) seen[k] = true;
      });
      expect(fields.map((f) => f.seen)).toEqual(seen);
    }
    expect(coverage.pending).toBe(seen.includes(false));
  });

  test('literal dotted keys, `{}` and crossed arrays, one by one', () => {
    const cases: [unknown, string, boolean][] = [
      [{ 'data.details': { body: 1 } }, 'data.details.body', true],
      [{ data: { 'details.body': null } }, 'data.details.body', true],
      [{ 'data.details.body': [] }, 'data.details.body', true],
      [{ data: [{ x: 1 }, { details: { body: 0 } }] }, 'data.details.body', true],
      [{ data: [[{ details: 1 }]] }, 'data.details', true],
      [{ data: { details: {} } }, 'data.details{}', false],
      [{ data: { details: [] } }, 'data.details{}', true],
      [{ 'data.details': [] }, 'data.details{}', true],
      [{ 'data.details{}': [1] }, 'data.details{}', false],
      [{ data: { details: [{ body: 1 }] } }, 'data.details{}.body', true],
      [{ 'data.details{}': { body: 1 } }, 'data.details{}.body', false],
      [{ data: {} }, 'data.constructor', false],
      [{ data: { toString: 1 } }, 'data.toString', true],
      [{ a: { '': { b: 1 } } }, 'a..b', true],
      [{ 'a.': { b: 1 } }, 'a..b', true],
    ];
    for (const [event, field, present] of cases) {
      const parsed = JSON.parse(JSON.stringify(event)) as unknown;
      expect(fieldIsPresent(parsed, compilePath(field))).toBe(present);
      const coverage = new FieldCoverage(fresh([field]));
      coverage.observe(parsed);
      expect({ event, field, seen: coverage.fields[0].seen }).toEqual({ event, field, seen: present });
    }
  });

  test('objects with many keys (looked up key by key) and few (iterated) give the same answers', () => {
    const fields = ['data.a', 'data.a.b', 'data.b{}', 'data.x.y'];
    const paths = fields.map((f) => compilePath(f));
    const coverage = new FieldCoverage(fresh(fields));
    const seen = new Array<boolean>(fields.length).fill(false);
    for (let i = 0; i < 500; i++) {
      const data: Record<string, unknown> = {};
      const wide = i % 50 < 40;
      for (let k = 0; k < (wide ? 60 : 2); k++) data[`filler${k}`] = k;
      // Late in the stream, after the walk has settled on looking keys up in the wide objects.
      if (i === 300) data['x.y'] = null;
      if (i === 420) data.b = [];
      if (i === 480) data.a = { b: 1 };
      const event = JSON.parse(JSON.stringify({ data })) as unknown;
      if (coverage.pending) coverage.observe(event);
      paths.forEach((p, k) => {
        if (fieldIsPresent(event, p)) seen[k] = true;
      });
      expect({ i, seen: coverage.fields.map((f) => f.seen) }).toEqual({ i, seen });
    }
    expect(seen).toEqual([true, true, true, true]);
  });

  test('nesting 100,000 arrays deep costs no call stack', () => {
    let event: unknown = { x: 1 };
    for (let i = 0; i < 100_000; i++) event = [event];
    const coverage = new FieldCoverage(fresh(['x', 'y']));
    coverage.observe({ data: 1, ...{ x: undefined } });
    coverage.observe(event);
    expect(coverage.fields.map((f) => f.seen)).toEqual([true, false]);
  });
});

// The iterative field walk and keyword visit give the same values, in the same order, as the straightforward
// recursive definitions (kept here as the reference) on generated shallow events.

import { collectValues, compilePath, fieldIsPresent } from '../../lambda/sigma/fieldpath';
import { visitScalars } from '../../lambda/sigma/modifiers';

function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

const KEYS = ['a', 'b', 'a.b', 'c'];

function generate(next: () => number, depth: number): unknown {
  const r = next();
  if (depth > 4 || r < 0.3) return [1, 'x', null, true, ''][Math.floor(next() * 5)];
  if (r < 0.6) return Array.from({ length: Math.floor(next() * 4) }, () => generate(next, depth + 1));
  const obj: Record<string, unknown> = {};
  for (const k of KEYS) if (next() < 0.5) obj[k] = generate(next, depth + 1);
  return obj;
}

type Seg = { key: string; each: boolean };

/** The reference: the recursive walk the engine used before (arrays crossed, dotted keys in every split). */
function referenceWalk(node: unknown, segs: Seg[], i: number, out: unknown[]): boolean {
  const flatten = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(flatten);
    else out.push(v);
  };
  if (i === segs.length) {
    flatten(node);
    return true;
  }
  if (node === null || typeof node !== 'object') return false;
  if (Array.isArray(node)) {
    let present = false;
    for (const element of node) if (referenceWalk(element, segs, i, out)) present = true;
    return present;
  }
  let present = false;
  let key = '';
  for (let j = i; j < segs.length; j++) {
    key = j === i ? segs[j].key : `${key}.${segs[j].key}`;
    const own = Object.prototype.hasOwnProperty.call(node, key);
    const child = (node as Record<string, unknown>)[key];
    if (own && child !== undefined) {
      if (segs[j].each) {
        if (Array.isArray(child)) {
          if (j + 1 === segs.length) present = true;
          for (const element of child) if (referenceWalk(element, segs, j + 1, out)) present = true;
        }
      } else if (referenceWalk(child, segs, j + 1, out)) {
        present = true;
      }
    }
    if (segs[j].each) break;
  }
  return present;
}

function referenceScalars(node: unknown, out: unknown[]): void {
  if (node === null || node === undefined) return;
  if (typeof node !== 'object') out.push(node);
  else if (Array.isArray(node)) node.forEach((v) => referenceScalars(v, out));
  else for (const k of Object.keys(node)) referenceScalars((node as Record<string, unknown>)[k], out);
}

const FIELDS = ['data.a', 'data.a.b', 'data.a{}.b', 'data.a{}', 'data.b.c', 'data.a.b.c', 'data.c{}.a{}', 'data.a.b{}'];

test('collectValues and fieldIsPresent agree with the recursive reference on 1,000 generated events', () => {
  const next = random(1101);
  const paths = FIELDS.map((field) => compilePath(field));
  const mismatches: string[] = [];
  for (let n = 0; n < 1000; n++) {
    const event = { data: generate(next, 0) };
    for (const path of paths) {
      const expected: unknown[] = [];
      const present = referenceWalk(event, path.segments as Seg[], 0, expected);
      const actual: unknown[] = [];
      const found = collectValues(event, path, actual);
      if (found !== present || fieldIsPresent(event, path) !== present || JSON.stringify(actual) !== JSON.stringify(expected)) {
        mismatches.push(`${path.field} on ${JSON.stringify(event)}`);
      }
    }
    const scalars: unknown[] = [];
    visitScalars(event, (v) => {
      scalars.push(v);
      return false;
    });
    const expected: unknown[] = [];
    referenceScalars(event, expected);
    if (JSON.stringify(scalars) !== JSON.stringify(expected)) mismatches.push(`keywords on ${JSON.stringify(event)}`);
  }
  expect(mismatches.slice(0, 5)).toEqual([]);
});

// Field paths: how a rule's `data.details.request.body.x` or `shields{}` reaches values in an event.
// Paths are parsed once per rule; walking an event allocates nothing beyond the caller's reusable output array.

export interface PathSegment {
  key: string;
  /** Written `key{}`: the path continues into each element of the array `key`. */
  each: boolean;
}

/** A path ready for walking: segments plus every literal dotted key precomputed. */
export interface CompiledPath {
  readonly field: string;
  readonly segments: readonly PathSegment[];
  /**
   * joined[i][j] is the key made of segments i..j joined with `.` (a literal key containing dots), or null when
   * the join would swallow a `{}` (an array marker is always a path step, never part of a literal key).
   */
  readonly joined: readonly (readonly (string | null)[])[];
  /** No `{}` segment: the fast descent applies. */
  readonly simple: boolean;
}

export function parseFieldPath(field: string): PathSegment[] {
  return field.split('.').map((part) => (part.endsWith('{}') ? { key: part.slice(0, -2), each: true } : { key: part, each: false }));
}

export function compilePath(field: string): CompiledPath {
  return compileSegments(parseFieldPath(field), field);
}

export function compileSegments(segments: readonly PathSegment[], field?: string): CompiledPath {
  field ??= segments.map((s) => s.key + (s.each ? '{}' : '')).join('.');
  const joined: (string | null)[][] = [];
  for (let i = 0; i < segments.length; i++) {
    const row: (string | null)[] = [];
    let key = '';
    let blocked = false;
    for (let j = 0; j < segments.length; j++) {
      if (j < i) {
        row.push(null);
        continue;
      }
      if (blocked) {
        row.push(null);
        continue;
      }
      key = j === i ? segments[j].key : key + '.' + segments[j].key;
      row.push(key);
      // A `{}` ends the literal key: the next step starts inside the array's elements.
      if (segments[j].each) blocked = true;
    }
    joined.push(row);
  }
  return { field, segments, joined, simple: segments.every((s) => !s.each) };
}

const hasOwn = (obj: object, key: string): boolean => Object.prototype.hasOwnProperty.call(obj, key);

/**
 * Pushes every value the path reaches into `out` (arrays at the end of the path contribute their elements,
 * flattened) and returns whether the field is present at all (an empty array or a null value counts as present).
 * Arrays met on the way are crossed (any element may match); only own properties are followed.
 */
export function collectValues(root: unknown, path: CompiledPath | readonly PathSegment[], out: unknown[] | null): boolean {
  return walk(root, asCompiled(path), 0, out);
}

/** True when the path reaches something (null and empty arrays included). */
export function fieldIsPresent(root: unknown, path: CompiledPath | readonly PathSegment[]): boolean {
  return walk(root, asCompiled(path), 0, null);
}

// Callers holding bare segments (cold paths) get them compiled on the fly; the engine passes compiled paths.
function asCompiled(path: CompiledPath | readonly PathSegment[]): CompiledPath {
  return isSegmentList(path) ? compileSegments(path) : path;
}

function isSegmentList(path: CompiledPath | readonly PathSegment[]): path is readonly PathSegment[] {
  return Array.isArray(path);
}

/** What `visitValues` saw: the field missing, present (every value visited), or the visitor asked to stop. */
export type Visit = 0 | 1 | 2;
export const VISIT_MISSING = 0;
export const VISIT_PRESENT = 1;
export const VISIT_STOPPED = 2;

/**
 * The allocation-free walk the matchers use: calls `visit` with every value the path reaches (same values and
 * order as `collectValues`) until it returns true.
 */
export function visitValues(root: unknown, path: CompiledPath, visit: (value: unknown) => boolean): Visit {
  const fast = path.simple ? descend(root, path) : NEEDS_WALK;
  if (fast === NEEDS_WALK) return visitWalk(root, path, 0, visit);
  if (fast === MISSING) return VISIT_MISSING;
  return visitLeaf(fast, visit) ? VISIT_STOPPED : VISIT_PRESENT;
}

const NEEDS_WALK = Symbol('needs-walk');
const MISSING = Symbol('missing');

/**
 * The common case without recursion: plain objects all the way down and no literal dotted key on the way. Gives
 * up (NEEDS_WALK) as soon as an array or a dotted key that might resolve is met; the full walk then decides.
 */
function descend(root: unknown, path: CompiledPath): unknown {
  const segments = path.segments;
  const n = segments.length;
  let node = root;
  for (let i = 0; i < n; i++) {
    if (node === null || typeof node !== 'object') return MISSING;
    if (Array.isArray(node)) return NEEDS_WALK;
    const row = path.joined[i];
    for (let j = i + 1; j < n; j++) {
      const joined = row[j];
      if (joined === null) break;
      if ((node as Record<string, unknown>)[joined] !== undefined) return NEEDS_WALK;
    }
    const key = segments[i].key;
    const child = (node as Record<string, unknown>)[key];
    if (child === undefined || !hasOwn(node, key)) return MISSING;
    node = child;
  }
  return node;
}

function visitWalk(node: unknown, path: CompiledPath, i: number, visit: (value: unknown) => boolean): Visit {
  const segments = path.segments;
  if (i === segments.length) return visitLeaf(node, visit) ? VISIT_STOPPED : VISIT_PRESENT;
  if (node === null || typeof node !== 'object') return VISIT_MISSING;
  let state: Visit = VISIT_MISSING;
  if (Array.isArray(node)) {
    for (let k = 0; k < node.length; k++) {
      const r = visitWalk(node[k], path, i, visit);
      if (r === VISIT_STOPPED) return r;
      if (r === VISIT_PRESENT) state = r;
    }
    return state;
  }
  const row = path.joined[i];
  for (let j = i; j < segments.length; j++) {
    const key = row[j];
    if (key === null) break;
    // Read first, then check ownership only for found values: missing keys (the common case for the dotted
    // joins) cost one property load; inherited ones (`constructor`, `__proto__`) are rejected by hasOwn.
    const child = (node as Record<string, unknown>)[key];
    if (child === undefined || !hasOwn(node, key)) continue;
    if (segments[j].each) {
      if (!Array.isArray(child)) continue;
      if (j + 1 === segments.length) {
        state = VISIT_PRESENT;
        for (let k = 0; k < child.length; k++) if (visitLeaf(child[k], visit)) return VISIT_STOPPED;
      } else {
        for (let k = 0; k < child.length; k++) {
          const r = visitWalk(child[k], path, j + 1, visit);
          if (r === VISIT_STOPPED) return r;
          if (r === VISIT_PRESENT) state = r;
        }
      }
    } else {
      const r = visitWalk(child, path, j + 1, visit);
      if (r === VISIT_STOPPED) return r;
      if (r === VISIT_PRESENT) state = r;
    }
  }
  return state;
}

function visitLeaf(value: unknown, visit: (value: unknown) => boolean): boolean {
  if (Array.isArray(value)) {
    for (let k = 0; k < value.length; k++) if (visitLeaf(value[k], visit)) return true;
    return false;
  }
  return visit(value);
}

/** Values of a path written as a string (convenience for cold paths: detection output, explain). */
export function valuesAt(root: unknown, field: string): unknown[] {
  const out: unknown[] = [];
  collectValues(root, compilePath(field), out);
  return out;
}

function walk(node: unknown, path: CompiledPath, i: number, out: unknown[] | null): boolean {
  const segments = path.segments;
  if (i === segments.length) {
    if (out) pushLeaf(node, out);
    return true;
  }
  if (node === null || typeof node !== 'object') return false;
  if (Array.isArray(node)) {
    let present = false;
    for (let k = 0; k < node.length; k++) if (walk(node[k], path, i, out)) present = true;
    return present;
  }
  const row = path.joined[i];
  let present = false;
  for (let j = i; j < segments.length; j++) {
    const key = row[j];
    if (key === null) break;
    // Read first, then check ownership only for found values: missing keys (the common case for the dotted
    // joins) cost one property load; inherited ones (`constructor`, `__proto__`) are rejected by hasOwn.
    const child = (node as Record<string, unknown>)[key];
    if (child === undefined || !hasOwn(node, key)) continue;
    if (segments[j].each) {
      if (!Array.isArray(child)) continue;
      if (j + 1 === segments.length) {
        present = true;
        if (out) for (let k = 0; k < child.length; k++) pushLeaf(child[k], out);
      } else {
        for (let k = 0; k < child.length; k++) if (walk(child[k], path, j + 1, out)) present = true;
      }
    } else if (walk(child, path, j + 1, out)) {
      present = true;
    }
  }
  return present;
}

function pushLeaf(value: unknown, out: unknown[]): void {
  if (Array.isArray(value)) {
    for (let k = 0; k < value.length; k++) pushLeaf(value[k], out);
  } else {
    out.push(value);
  }
}

/**
 * Values of one path for the event being matched, shared by every rule that reads the path: the walk and the
 * case folding happen once per event instead of once per rule. Arrays are reused from event to event.
 */
export interface CachedField {
  readonly path: CompiledPath;
  /** Event generation these values belong to. */
  epoch: number;
  present: boolean;
  count: number;
  values: unknown[];
  /** Case-folded string forms of `values` (undefined where a value has no string form), filled on demand. */
  foldedEpoch: number;
  folded: (string | undefined)[];
}

/**
 * The per-rule-set cache of event values. `begin` starts a new event; entries filled for an older event are
 * refilled when read. Only the rule set's `match` uses it: standalone matchers walk the event directly.
 */
export class FieldValueCache {
  epoch = 0;
  private readonly entries = new Map<string, CachedField>();
  private readonly fill: (value: unknown) => boolean;
  private filling: CachedField | null = null;

  constructor() {
    this.fill = (value) => {
      const entry = this.filling!;
      entry.values[entry.count++] = value;
      return false;
    };
  }

  begin(): void {
    this.epoch++;
  }

  entry(field: string): CachedField {
    let entry = this.entries.get(field);
    if (!entry) {
      entry = { path: compilePath(field), epoch: -1, present: false, count: 0, values: [], foldedEpoch: -1, folded: [] };
      this.entries.set(field, entry);
    }
    return entry;
  }

  /** The entry filled for `event` (which must be the event of the current epoch). */
  read(entry: CachedField, event: unknown): CachedField {
    if (entry.epoch === this.epoch) return entry;
    entry.epoch = this.epoch;
    entry.count = 0;
    this.filling = entry;
    entry.present = visitValues(event, entry.path, this.fill) !== VISIT_MISSING;
    this.filling = null;
    return entry;
  }
}

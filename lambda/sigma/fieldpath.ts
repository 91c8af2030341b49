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

// Object.hasOwn: measurably cheaper per call than Object.prototype.hasOwnProperty.call on Node 20.
const hasOwn = (obj: object, key: string): boolean => Object.hasOwn(obj, key);

/**
 * Pushes every value the path reaches into `out` (arrays at the end of the path contribute their elements,
 * flattened) and returns whether the field is present at all (an empty array or a null value counts as present).
 * Arrays met on the way are crossed (any element may match); only own properties are followed.
 */
export function collectValues(root: unknown, path: CompiledPath | readonly PathSegment[], out: unknown[] | null): boolean {
  if (out === null) return fieldIsPresent(root, path);
  return visitValues(root, asCompiled(path), (value) => {
    out.push(value);
    return false;
  }) !== VISIT_MISSING;
}

const STOP = (): boolean => true;

/** True when the path reaches something (null and empty arrays included). */
export function fieldIsPresent(root: unknown, path: CompiledPath | readonly PathSegment[]): boolean {
  return visitValues(root, asCompiled(path), STOP) !== VISIT_MISSING;
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
  if (fast === NEEDS_WALK) return visitWalk(root, path, visit);
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
  return descendFrom(root, path, 0);
}

/** `descend` from segment `start`, `node` being what segments before it reached. */
function descendFrom(node: unknown, path: CompiledPath, start: number): unknown {
  const segments = path.segments;
  const n = segments.length;
  for (let i = start; i < n; i++) {
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

/**
 * The general walk, iterative: an explicit stack of (node, next segment) pairs, so that arrays nested to any
 * depth (attacker-controlled) cost heap, never call stack. Children are pushed in reverse so that values are
 * visited in document order, the order of the former recursive walk.
 */
function visitWalk(root: unknown, path: CompiledPath, visit: (value: unknown) => boolean): Visit {
  const segments = path.segments;
  const n = segments.length;
  const nodes: unknown[] = [root];
  const steps: number[] = [0];
  let state: Visit = VISIT_MISSING;
  while (nodes.length > 0) {
    const node = nodes.pop();
    const i = steps.pop()!;
    if (i === n) {
      state = VISIT_PRESENT;
      if (visitLeaf(node, visit)) return VISIT_STOPPED;
      continue;
    }
    if (node === null || typeof node !== 'object') continue;
    if (Array.isArray(node)) {
      // Arrays met on the way are crossed: each element continues at the same segment.
      for (let k = node.length - 1; k >= 0; k--) {
        nodes.push(node[k]);
        steps.push(i);
      }
      continue;
    }
    const mark = nodes.length;
    const row = path.joined[i];
    for (let j = i; j < n; j++) {
      const key = row[j];
      if (key === null) break;
      // Read first, then check ownership only for found values: missing keys (the common case for the dotted
      // joins) cost one property load; inherited ones (`constructor`, `__proto__`) are rejected by hasOwn.
      const child = (node as Record<string, unknown>)[key];
      if (child === undefined || !hasOwn(node, key)) continue;
      if (segments[j].each) {
        if (!Array.isArray(child)) continue;
        // `key{}` at the end of the path: present even when empty; each element is a leaf.
        if (j + 1 === n) state = VISIT_PRESENT;
        for (let k = 0; k < child.length; k++) {
          nodes.push(child[k]);
          steps.push(j + 1);
        }
      } else {
        nodes.push(child);
        steps.push(j + 1);
      }
    }
    reverseFrom(nodes, mark);
    reverseFrom(steps, mark);
  }
  return state;
}

function reverseFrom<T>(list: T[], from: number): void {
  for (let a = from, b = list.length - 1; a < b; a++, b--) {
    const t = list[a];
    list[a] = list[b];
    list[b] = t;
  }
}

/** A value the path reached: an array contributes its elements, nested arrays flattened (iteratively). */
function visitLeaf(value: unknown, visit: (value: unknown) => boolean): boolean {
  if (!Array.isArray(value)) return visit(value);
  // Flat arrays (the common case) need no stack.
  let k = 0;
  for (; k < value.length; k++) {
    if (Array.isArray(value[k])) break;
    if (visit(value[k])) return true;
  }
  if (k === value.length) return false;
  // From the first nested element on: an explicit stack of (array, next index).
  const arrays: unknown[][] = [value];
  const next: number[] = [k];
  while (arrays.length > 0) {
    const top = arrays.length - 1;
    const list = arrays[top];
    const at = next[top];
    if (at >= list.length) {
      arrays.pop();
      next.pop();
      continue;
    }
    next[top] = at + 1;
    const element = list[at];
    if (Array.isArray(element)) {
      arrays.push(element);
      next.push(0);
    } else if (visit(element)) {
      return true;
    }
  }
  return false;
}

/** Values of a path written as a string (convenience for cold paths: detection output, explain). */
export function valuesAt(root: unknown, field: string): unknown[] {
  const out: unknown[] = [];
  collectValues(root, compilePath(field), out);
  return out;
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
  /** The value each `folded` entry was computed from (kept across events: an equal value is not folded again). */
  foldedFrom: unknown[];
  /** For simple paths of two segments or more: the event's node at the first segment, shared by such paths. */
  head: HeadNode | null;
}

/**
 * What the first segment of a path reached in the current event: MISSING (the root is not an object), NEEDS_WALK
 * (an array), ABSENT (an object without that own key) or the node.
 */
interface HeadNode {
  epoch: number;
  node: unknown;
}

/**
 * The per-rule-set cache of event values. `begin` starts a new event; entries filled for an older event are
 * refilled when read. Only the rule set's `match` uses it: standalone matchers walk the event directly.
 */
export class FieldValueCache {
  epoch = 0;
  /** Compiled artefacts the rule set's matchers share (e.g. one regex per distinct pattern), by their own keys. */
  readonly shared = new Map<string, unknown>();
  private readonly entries = new Map<string, CachedField>();
  private readonly heads = new Map<string, HeadNode>();
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
      const path = compilePath(field);
      let head: HeadNode | null = null;
      if (path.simple && path.segments.length > 1) {
        const key = path.segments[0].key;
        head = this.heads.get(key) ?? null;
        if (!head) this.heads.set(key, (head = { epoch: -1, node: MISSING }));
      }
      entry = { path, epoch: -1, present: false, count: 0, values: [], foldedEpoch: -1, folded: [], foldedFrom: [], head };
      this.entries.set(field, entry);
    }
    return entry;
  }

  /** The entry filled for `event` (which must be the event of the current epoch). */
  read(entry: CachedField, event: unknown): CachedField {
    if (entry.epoch === this.epoch) return entry;
    entry.count = 0;
    if (entry.path.simple) {
      // The common case without the visitor: plain objects down to one scalar (or nothing).
      const leaf = entry.head === null ? descend(event, entry.path) : this.descendShared(entry.head, event, entry.path);
      if (leaf === MISSING || (leaf !== NEEDS_WALK && !Array.isArray(leaf))) {
        entry.present = leaf !== MISSING;
        if (entry.present) entry.values[entry.count++] = leaf;
        entry.epoch = this.epoch;
        return entry;
      }
    }
    this.filling = entry;
    try {
      entry.present = visitValues(event, entry.path, this.fill) !== VISIT_MISSING;
    } finally {
      this.filling = null;
    }
    // Marked filled only once complete: a walk that failed is retried by the next reader, never half-read.
    entry.epoch = this.epoch;
    return entry;
  }

  /**
   * `descend` with its first step (the root's own property at the first key) taken once per event for every path
   * starting with that key; each path still checks its own literal dotted keys at the root.
   */
  private descendShared(head: HeadNode, event: unknown, path: CompiledPath): unknown {
    if (head.epoch !== this.epoch) {
      if (event === null || typeof event !== 'object') head.node = MISSING;
      else if (Array.isArray(event)) head.node = NEEDS_WALK;
      else {
        const key = path.segments[0].key;
        const child = (event as Record<string, unknown>)[key];
        head.node = child === undefined || !hasOwn(event, key) ? ABSENT : child;
      }
      head.epoch = this.epoch;
    }
    const node = head.node;
    if (node === MISSING || node === NEEDS_WALK) return node;
    const row = path.joined[0];
    for (let j = 1; j < row.length; j++) {
      const joined = row[j];
      if (joined === null) break;
      if ((event as Record<string, unknown>)[joined] !== undefined) return NEEDS_WALK;
    }
    return node === ABSENT ? MISSING : descendFrom(node, path, 1);
  }
}

/** A head node for a root that is an object without the key (its literal dotted keys are still checked). */
const ABSENT = Symbol('absent');

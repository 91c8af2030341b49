// The scan's field-coverage report: which of the fields the rules read has no scanned event shown yet. Every
// tracked field is looked for in one walk of each event, over a trie of the fields' path segments, instead of one
// walk per field: fields that share a prefix (`data.details.response.body.…`) share its lookups, and each key an
// object is probed for is probed once however many fields continue through it.
//
// Presence is exactly fieldIsPresent's (lambda/sigma/fieldpath.ts), which test/cli/field-coverage.test.ts checks
// against it: a field is present when the path reaches anything (null and empty arrays included); at an object, a
// step may take one key or several segments joined with `.` (a literal dotted key), never past a `key{}` segment;
// `key{}` continues into the elements of an array (present when the array ends the path, even empty); arrays met
// on the way are crossed; only own properties count. The walk uses an explicit stack: nesting depth (attacker
// written) costs heap, never call stack.

import { parseFieldPath } from '../../lambda/sigma/fieldpath';

// Two ways to find a node's keys in an object: a property lookup per candidate key (most are dotted joins no
// event has; a failed lookup costs about PROBE_COST times a map lookup, measured on the reference corpus), or one
// pass over the object's own keys with a map lookup each. Each trie node keeps a running mean of the key count of
// the objects it met (refreshed on every RELEARN_EVERY-th visit) and takes the cheaper way.
const RELEARN_EVERY = 64;
const PROBE_COST = 4;

/** A field the report tracks. */
export interface CoverageField {
  readonly field: string;
  seen: boolean;
}

/** A trie node: the fields whose path ends here, and the keys an object reached here is probed for. */
interface TrieNode {
  ends: CoverageField[];
  /** One entry per distinct key (a segment, or several joined with `.`), each with the nodes it leads to. */
  probes: Probe[];
  /** The same probes by key. */
  byKey: Map<string, Probe>;
  /** Running mean of the own-key count of the objects met here (learnt while iterating them). */
  meanKeys: number;
  visits: number;
}

interface Probe {
  key: string;
  /** Through a plain segment: the child itself continues at `node`. */
  plain: TrieNode | null;
  /** Through a `key{}` segment: the child must be an array, and each element continues at `node`. */
  each: TrieNode | null;
}

interface SegmentNode {
  ends: CoverageField[];
  children: Map<string, SegmentNode>;
  key: string;
  each: boolean;
  trie: TrieNode | null;
}

/**
 * Tracks fields until each has been seen in some event. `observe` walks an event once for every field not seen
 * yet and marks those it finds; `pending` says whether any is left (on healthy input the list empties early).
 */
export class FieldCoverage {
  private unseen: CoverageField[];
  private root: TrieNode | null;
  // The walk's stack of (node, trie node) pairs, reused from event to event.
  private readonly values: unknown[] = [];
  private readonly nodes: TrieNode[] = [];
  private found = false;

  constructor(readonly fields: readonly CoverageField[]) {
    this.unseen = fields.filter((f) => !f.seen);
    this.root = buildTrie(this.unseen);
  }

  get pending(): boolean {
    return this.unseen.length > 0;
  }

  /** Marks the fields the event shows (no event value is kept). */
  observe(event: unknown): void {
    const root = this.root;
    if (root === null) return;
    this.found = false;
    const values = this.values;
    const nodes = this.nodes;
    values.push(event);
    nodes.push(root);
    while (values.length > 0) {
      const value = values.pop();
      const node = nodes.pop()!;
      if (value === null || typeof value !== 'object') continue;
      if (Array.isArray(value)) {
        // Arrays met on the way are crossed: each element continues at the same node.
        for (let k = 0; k < value.length; k++) {
          values.push(value[k]);
          nodes.push(node);
        }
        continue;
      }
      const object = value as Record<string, unknown>;
      const probes = node.probes;
      if (probes.length * PROBE_COST > node.meanKeys || node.visits++ % RELEARN_EVERY === 0) {
        // Many candidate keys (mostly dotted joins no event has) for few keys: one pass over the object's own
        // keys. Events are JSON values, whose properties are all enumerable.
        let keys = 0;
        for (const key in object) {
          keys++;
          const probe = node.byKey.get(key);
          if (probe !== undefined) this.follow(object, probe);
        }
        node.meanKeys = node.meanKeys === Infinity ? keys : node.meanKeys * 0.875 + keys * 0.125;
      } else {
        for (let p = 0; p < probes.length; p++) this.follow(object, probes[p]);
      }
    }
    if (this.found) this.refresh();
  }

  /** The object's own value under the probe's key, if any, continued at the probe's nodes. */
  private follow(object: Record<string, unknown>, probe: Probe): void {
    // Read first, check ownership only for found values (missing keys, the common case, cost one load).
    const child = object[probe.key];
    if (child === undefined || !Object.hasOwn(object, probe.key)) return;
    if (probe.plain !== null) {
      if (markSeen(probe.plain)) this.found = true;
      if (probe.plain.probes.length > 0) {
        this.values.push(child);
        this.nodes.push(probe.plain);
      }
    }
    if (probe.each !== null && Array.isArray(child)) {
      // `key{}` ending a path: present even when the array is empty.
      if (markSeen(probe.each)) this.found = true;
      if (probe.each.probes.length > 0) {
        for (let k = 0; k < child.length; k++) {
          this.values.push(child[k]);
          this.nodes.push(probe.each);
        }
      }
    }
  }

  /** Drops the fields marked seen since the last walk (by `observe`, or by the caller for fields seen elsewhere). */
  refresh(): void {
    this.unseen = this.unseen.filter((f) => !f.seen);
    this.root = buildTrie(this.unseen);
  }
}

/** Marks the fields ending at `node` as seen; true when one was not seen before. */
function markSeen(node: TrieNode): boolean {
  const ends = node.ends;
  let found = false;
  for (let i = 0; i < ends.length; i++) {
    if (!ends[i].seen) {
      ends[i].seen = true;
      found = true;
    }
  }
  return found;
}

/** The probe trie of `fields` (null when there is none). */
function buildTrie(fields: readonly CoverageField[]): TrieNode | null {
  if (fields.length === 0) return null;
  const root: SegmentNode = { ends: [], children: new Map(), key: '', each: false, trie: null };
  for (const field of fields) {
    let node = root;
    for (const segment of parseFieldPath(field.field)) {
      const id = `${segment.each ? '1' : '0'}${segment.key}`;
      let child = node.children.get(id);
      if (!child) node.children.set(id, (child = { ends: [], children: new Map(), key: segment.key, each: segment.each, trie: null }));
      node = child;
    }
    node.ends.push(field);
  }
  // Trie nodes, then each node's probes: every descendant reachable by joining segments with `.` up to and
  // including the first `key{}` (the probe's key is the joined text). Iterative, children before probes.
  const all: SegmentNode[] = [];
  const pending: SegmentNode[] = [root];
  while (pending.length > 0) {
    const node = pending.pop()!;
    node.trie = { ends: node.ends, probes: [], byKey: new Map(), meanKeys: Infinity, visits: 0 };
    all.push(node);
    for (const child of node.children.values()) pending.push(child);
  }
  for (const node of all) {
    const byKey = new Map<string, Probe>();
    const frontier: { node: SegmentNode; key: string }[] = [...node.children.values()].map((c) => ({ node: c, key: c.key }));
    while (frontier.length > 0) {
      const { node: next, key } = frontier.pop()!;
      let probe = byKey.get(key);
      if (!probe) byKey.set(key, (probe = { key, plain: null, each: null }));
      if (next.each) probe.each = next.trie;
      else probe.plain = next.trie;
      if (next.each) continue; // a `{}` ends the literal key
      for (const c of next.children.values()) frontier.push({ node: c, key: `${key}.${c.key}` });
    }
    node.trie!.probes = [...byKey.values()];
    node.trie!.byKey = byKey;
  }
  return root.trie;
}

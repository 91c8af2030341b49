// Schema lint: checks the fields and `data.type` values a rule reads against Auth0's published log schemas, so a
// rule reading a field Auth0 never writes (it would never fire) is reported at `check` and `cdk synth` time.
// The schemas themselves are not read here: `scripts/gen-field-catalog.ts` turns them into the committed
// `auth0-field-catalog.json` (Apache-2.0 data from auth0/auth0-log-schemas), which this module walks.

import type { CompiledPath, PathSegment } from './fieldpath';
import { compileSegments, parseFieldPath } from './fieldpath';
import type { ConditionNode, Diagnostic, FieldItem, RuleModel, SearchNode, SourceLocation, ValueModifier } from './types';
import { compilePattern, foldCase } from './wildcards';

// ---------------------------------------------------------------------------------------------------------------
// The catalog file

/** JSON types, one letter each: object, array, string, number, integer, boolean, null. */
export type JsonTypeLetter = 'o' | 'a' | 's' | 'n' | 'i' | 'b' | 'z';

/**
 * One schema position. Nodes are hash-consed: identical subtrees (the `ip` block, `auth0_client`, ...) are stored
 * once and referenced by index.
 */
export interface CatalogNode {
  /** The JSON types the position may hold, as letters (`sz` = string or null; all seven = unconstrained). */
  t: string;
  /** Listed properties: key → node index. */
  p?: Record<string, number>;
  /** Array elements (present when `t` has `a`). */
  i?: number;
  /** additionalProperties given as a schema: any key, its value is this node. */
  m?: number;
  /** 1 when the object's keys are not listed (free-form): any path below it may exist. */
  f?: 1;
}

export interface FieldCatalogFile {
  format: 1;
  source: { repository: string; license: string; ref?: string; sha256: string };
  /** Log type code → [description, index of the event-root node `{log_id, data}`]. */
  types: Record<string, [string, number]>;
  nodes: CatalogNode[];
  /**
   * Codes Auth0 documents (the "Log Type Codes" page, per-type pages) that have no schema file: code → event name.
   * Their fields are unknown, so the lint checks them against every schema (see FieldCatalog.resolve).
   */
  documented?: Record<string, string>;
  /** Where `documented` comes from and when it was taken (scripts/data/auth0-log-type-codes.json). */
  documentedSource?: { pages: string[]; taken: string };
}

/** How a field resolves in one log type. */
export interface FieldResolution {
  /** The schema defines the path, or it lies below a free-form object. */
  known: boolean;
  /** Some resolution went below a free-form object (the value's type is then unknown). */
  free: boolean;
  /** JSON types of the values the path reaches where the schema lists it (arrays at the end are flattened). */
  valueTypes: Set<JsonTypeLetter>;
}

const SCALAR_TYPES: readonly JsonTypeLetter[] = ['s', 'n', 'i', 'b', 'z'];
const TYPE_NAMES: Record<JsonTypeLetter, string> = {
  o: 'object', a: 'array', s: 'string', n: 'number', i: 'integer', b: 'boolean', z: 'null',
};

interface KnownPath {
  /** Display form, arrays crossed implicitly: `data.details.prompts.name`. */
  path: string;
  segments: string[];
  free: boolean;
  /** The catalog node the path ends at. */
  node: number;
}

/** The catalog with the lookups the lint needs; per-type path lists are built on first use. */
export class FieldCatalog {
  readonly codes: readonly string[];
  private readonly codeIndex: Map<string, number>;
  private readonly knownPathsByRoot = new Map<number, KnownPath[]>();
  private readonly resolutionCache = new Map<number, Map<string, FieldResolution>>();

  constructor(readonly file: FieldCatalogFile) {
    if (file.format !== 1 || !Array.isArray(file.nodes) || typeof file.types !== 'object') {
      throw new Error('auth0 field catalog: unsupported format; regenerate it with `npm run gen:catalog -- <schemas-folder>`');
    }
    this.codes = [...new Set([...Object.keys(file.types), ...Object.keys(file.documented ?? {})])].sort();
    this.codeIndex = new Map(this.codes.map((code, i) => [code, i]));
  }

  /** A code Auth0 documents (with or without a schema file). */
  hasType(code: string): boolean {
    return this.codeIndex.has(code);
  }

  /** A code with a schema file (its fields are known). */
  hasSchema(code: string): boolean {
    return Object.prototype.hasOwnProperty.call(this.file.types, code);
  }

  /** Position of `code` in `codes`, or -1. */
  indexOf(code: string): number {
    return this.codeIndex.get(code) ?? -1;
  }

  describe(code: string): string | undefined {
    return this.file.types[code]?.[0] || this.file.documented?.[code] || undefined;
  }

  /**
   * Resolves a field (as written in a rule, relative to the event root) in one log type. A documented code without
   * a schema resolves against every schema (known where any type has the field) and its value types stay open:
   * the lint only says "unknown" there when no Auth0 log type has the field.
   */
  resolve(field: string, code: string): FieldResolution {
    const entry = this.file.types[code];
    if (!entry) {
      if (!this.codeIndex.has(code)) throw new Error(`unknown log type code '${code}'`);
      return this.resolveAnySchema(field);
    }
    const root = entry[1];
    let cache = this.resolutionCache.get(root);
    if (!cache) this.resolutionCache.set(root, (cache = new Map()));
    let result = cache.get(field);
    if (!result) {
      result = { known: false, free: false, valueTypes: new Set() };
      const compiled = compileSegments(parseFieldPath(field), field);
      this.walk(root, compiled.segments, compiled.joined, 0, result, 0);
      cache.set(field, result);
    }
    return result;
  }

  private readonly anySchemaCache = new Map<string, FieldResolution>();

  private resolveAnySchema(field: string): FieldResolution {
    let result = this.anySchemaCache.get(field);
    if (!result) {
      result = { known: false, free: true, valueTypes: new Set() };
      for (const code of Object.keys(this.file.types)) {
        if (this.resolve(field, code).known) {
          result.known = true;
          break;
        }
      }
      this.anySchemaCache.set(field, result);
    }
    return result;
  }

  /** Whether `rest` (a path relative to the node) resolves below the catalog node `nodeId`. */
  resolvesBelow(nodeId: number, rest: CompiledPath): boolean {
    const result: FieldResolution = { known: false, free: false, valueTypes: new Set() };
    this.walk(nodeId, rest.segments, rest.joined, 0, result, 0);
    return result.known;
  }

  /** Every path the schema of `code` lists (free-form objects included, marked), arrays crossed implicitly. */
  knownPaths(code: string): KnownPath[] {
    const root = this.file.types[code]?.[1];
    if (root === undefined) return [];
    let list = this.knownPathsByRoot.get(root);
    if (!list) {
      list = [];
      this.collectPaths(root, [], list, 0);
      this.knownPathsByRoot.set(root, list);
    }
    return list;
  }

  /**
   * Walks the nodes the way fieldpath.ts walks an event: arrays are crossed at any step, a dotted name may be
   * one literal key (every split is tried), `name{}` steps into the elements of the array `name`.
   */
  private walk(
    nodeId: number,
    segments: readonly PathSegment[],
    joined: readonly (readonly (string | null)[])[],
    i: number,
    out: FieldResolution,
    depth: number,
  ): void {
    const node = this.file.nodes[nodeId]!;
    if (i === segments.length) {
      out.known = true;
      this.addValueTypes(nodeId, out.valueTypes, 0);
      return;
    }
    if (depth > 64) return;
    if (node.f) {
      out.known = true;
      out.free = true;
    }
    if (node.i !== undefined) this.walk(node.i, segments, joined, i, out, depth + 1);
    if (!node.p && node.m === undefined) return;
    const row = joined[i]!;
    for (let j = i; j < segments.length; j++) {
      const key = row[j];
      if (key === null || key === undefined) break;
      const child = node.p && Object.prototype.hasOwnProperty.call(node.p, key) ? node.p[key] : node.m;
      if (child === undefined) continue;
      if (segments[j]!.each) {
        const childNode = this.file.nodes[child]!;
        if (childNode.i !== undefined) this.walk(childNode.i, segments, joined, j + 1, out, depth + 1);
        else if (childNode.t.includes('a')) {
          // An array whose elements the schema leaves open (an unconstrained position): anything may be below.
          out.known = true;
          out.free = true;
        }
      } else {
        this.walk(child, segments, joined, j + 1, out, depth + 1);
      }
    }
  }

  /** Types of the values a path ending here yields: arrays contribute their elements, as in collectValues. */
  private addValueTypes(nodeId: number, out: Set<JsonTypeLetter>, depth: number): void {
    const node = this.file.nodes[nodeId]!;
    for (const letter of node.t) if (letter !== 'a') out.add(letter as JsonTypeLetter);
    if (!node.t.includes('a')) return;
    if (node.i !== undefined && depth < 16) this.addValueTypes(node.i, out, depth + 1);
    else for (const letter of SCALAR_TYPES) out.add(letter); // elements left open: they may be scalars
  }

  private collectPaths(nodeId: number, prefix: string[], out: KnownPath[], depth: number): void {
    const node = this.file.nodes[nodeId]!;
    if (prefix.length > 0) out.push({ path: prefix.join('.'), segments: prefix, free: node.f === 1, node: nodeId });
    if (depth > 16) return;
    if (node.p) for (const [key, child] of Object.entries(node.p)) this.collectPaths(child, [...prefix, key], out, depth + 1);
    if (node.i !== undefined) {
      // Array elements add no step of their own: a rule reaches `prompts.name` by crossing the array.
      const elements = this.file.nodes[node.i]!;
      if (elements.p) for (const [key, child] of Object.entries(elements.p)) this.collectPaths(child, [...prefix, key], out, depth + 1);
    }
  }
}

let defaultCatalog: FieldCatalog | undefined;

/** The committed catalog, loaded once. */
export function fieldCatalog(): FieldCatalog {
  if (!defaultCatalog) {
    // A plain require keeps the type checker from inferring a type for the whole JSON file.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    defaultCatalog = new FieldCatalog(require('./auth0-field-catalog.json') as FieldCatalogFile);
  }
  return defaultCatalog;
}

// ---------------------------------------------------------------------------------------------------------------
// Log types a rule can match

export interface SchemaLintOptions {
  /** Defaults to the committed catalog; tests pass small hand-made ones. */
  catalog?: FieldCatalog;
}

const TYPE_FIELD = 'data.type';
/** Fields every Auth0 log carries (a string each): `field: null` on them never holds. */
export const ALWAYS_PRESENT_FIELDS: ReadonlySet<string> = new Set(['data.type', 'data.date', 'log_id']);
/** Modifiers whose meaning on `data.type` we can evaluate exactly against the list of codes. */
const TYPE_MODIFIERS_UNDERSTOOD = new Set<ValueModifier>(['contains', 'startswith', 'endswith', 'all', 'cased', 're', 'i', 'm', 's', 'neq']);

/** A set of log types as a bitset over the catalog's sorted codes: the condition analysis does many set operations. */
export class TypeSet {
  private constructor(
    readonly catalog: FieldCatalog,
    private readonly words: Uint32Array,
  ) {}

  private cachedKey?: string;
  private cachedSize?: number;

  /** A new, empty set (the only kind of set that is ever written to). */
  static empty(catalog: FieldCatalog): TypeSet {
    return new TypeSet(catalog, new Uint32Array((catalog.codes.length + 31) >>> 5));
  }

  /** Every type of the catalog (shared: sets are immutable once built). */
  static all(catalog: FieldCatalog): TypeSet {
    let set = allSets.get(catalog);
    if (!set) {
      set = TypeSet.empty(catalog);
      for (let i = 0; i < catalog.codes.length; i++) set.words[i >>> 5]! |= 1 << (i & 31);
      allSets.set(catalog, set);
    }
    return set;
  }

  static of(catalog: FieldCatalog, codes: Iterable<string>): TypeSet {
    const set = TypeSet.empty(catalog);
    for (const code of codes) {
      const i = catalog.indexOf(code);
      if (i >= 0) set.words[i >>> 5]! |= 1 << (i & 31);
    }
    return set;
  }

  and(other: TypeSet): TypeSet {
    const out = TypeSet.empty(this.catalog);
    for (let w = 0; w < out.words.length; w++) out.words[w] = this.words[w]! & other.words[w]!;
    return out;
  }

  or(other: TypeSet): TypeSet {
    const out = TypeSet.empty(this.catalog);
    for (let w = 0; w < out.words.length; w++) out.words[w] = this.words[w]! | other.words[w]!;
    return out;
  }

  /** The types of the catalog not in this set. */
  complement(): TypeSet {
    const all = TypeSet.all(this.catalog);
    const out = TypeSet.empty(this.catalog);
    for (let w = 0; w < out.words.length; w++) out.words[w] = ~this.words[w]! & all.words[w]!;
    return out;
  }

  get size(): number {
    if (this.cachedSize === undefined) {
      let n = 0;
      for (let w of this.words) {
        while (w !== 0) {
          w &= w - 1;
          n++;
        }
      }
      this.cachedSize = n;
    }
    return this.cachedSize;
  }

  isAll(): boolean {
    return this.size === this.catalog.codes.length;
  }

  /** The codes, sorted. */
  codes(): string[] {
    const out: string[] = [];
    const codes = this.catalog.codes;
    for (let i = 0; i < codes.length; i++) if ((this.words[i >>> 5]! >>> (i & 31)) & 1) out.push(codes[i]!);
    return out;
  }

  /** A key for caches: equal sets give equal keys. */
  key(): string {
    this.cachedKey ??= this.words.join(',');
    return this.cachedKey;
  }
}

const allSets = new WeakMap<FieldCatalog, TypeSet>();

/**
 * Over-approximations of where a condition part can be true (`pos`) and can be false (`neg`), as sets of log
 * types. `not` swaps them, so negated type constraints are as precise as positive ones.
 */
interface TypeBounds {
  pos: TypeSet;
  neg: TypeSet;
}

const matchCaches = new WeakMap<FieldCatalog, Map<string, TypeSet | null>>();

/** The types a `data.type` value matches under the item's modifiers (memoised), or null when we cannot tell. */
function codesMatching(value: string, modifiers: readonly ValueModifier[], catalog: FieldCatalog): TypeSet | null {
  let cache = matchCaches.get(catalog);
  if (!cache) matchCaches.set(catalog, (cache = new Map()));
  const key = `${modifiers.join('|')}\0${value}`;
  const known = cache.get(key);
  if (known !== undefined) return known;
  const cased = modifiers.includes('cased');
  let test: ((code: string) => boolean) | null;
  if (modifiers.includes('re')) {
    try {
      const flags = (modifiers.includes('i') ? 'i' : '') + (modifiers.includes('m') ? 'm' : '') + (modifiers.includes('s') ? 's' : '');
      const regex = new RegExp(value, flags);
      test = (code) => regex.test(code);
    } catch {
      test = null; // validate.ts reports the bad regex; here it only widens.
    }
  } else {
    const pattern = modifiers.includes('contains') ? `*${value}*`
      : modifiers.includes('startswith') ? `${value}*`
        : modifiers.includes('endswith') ? `*${value}` : value;
    const compiled = compilePattern(pattern, { caseSensitive: cased });
    test = (code) => compiled.test(cased ? code : foldCase(code));
  }
  const result = test ? TypeSet.of(catalog, catalog.codes.filter(test)) : null;
  cache.set(key, result);
  return result;
}

const itemBoundsCache = new WeakMap<FieldItem, { catalog: FieldCatalog; bounds: TypeBounds }>();

/** Bounds of one `data.type` item; memoised per item, as the linter asks again for every sibling item. */
function typeItemBounds(item: FieldItem, catalog: FieldCatalog): TypeBounds {
  const cached = itemBoundsCache.get(item);
  if (cached && cached.catalog === catalog) return cached.bounds;
  const bounds = computeTypeItemBounds(item, catalog);
  itemBoundsCache.set(item, { catalog, bounds });
  return bounds;
}

function computeTypeItemBounds(item: FieldItem, catalog: FieldCatalog): TypeBounds {
  const all = TypeSet.all(catalog);
  if (item.modifiers.some((m) => !TYPE_MODIFIERS_UNDERSTOOD.has(m))) return { pos: all, neg: all };
  const perValue: TypeSet[] = [];
  for (const value of item.values) {
    // Every cataloged type has `type`: `data.type: null` never holds for them.
    if (value === null) perValue.push(TypeSet.empty(catalog));
    else {
      const codes = codesMatching(String(value), item.modifiers, catalog);
      if (!codes) return { pos: all, neg: all };
      perValue.push(codes);
    }
  }
  if (item.modifiers.includes('neq')) {
    // neq: present and different from every listed value.
    const listed = perValue.reduce((acc, s) => acc.or(s), TypeSet.empty(catalog));
    return { pos: listed.complement(), neg: listed };
  }
  // An event has one type code, so each value's truth is exact: pos = matched, neg = the rest.
  const pos = item.modifiers.includes('all')
    ? perValue.reduce((acc, s) => acc.and(s), all)
    : perValue.reduce((acc, s) => acc.or(s), TypeSet.empty(catalog));
  return { pos, neg: pos.complement() };
}

function searchBounds(node: SearchNode, catalog: FieldCatalog, except?: FieldItem): TypeBounds {
  const all = TypeSet.all(catalog);
  switch (node.kind) {
    case 'keywords':
      return { pos: all, neg: all };
    case 'map': {
      let pos = all;
      let neg = TypeSet.empty(catalog);
      let constrained = false;
      for (const item of node.items) {
        if (item === except) continue;
        if (item.field !== TYPE_FIELD) {
          // Any other item may be false for any type: the map may be false anywhere.
          neg = all;
          continue;
        }
        constrained = true;
        const b = typeItemBounds(item, catalog);
        pos = pos.and(b.pos);
        neg = neg.or(b.neg);
      }
      if (!constrained) return { pos: all, neg: all };
      return { pos, neg };
    }
    case 'anyOf': {
      let pos = TypeSet.empty(catalog);
      let neg = all;
      for (const alt of node.alternatives) {
        const b = searchBounds(alt, catalog);
        pos = pos.or(b.pos);
        neg = neg.and(b.neg);
      }
      return { pos, neg };
    }
  }
}

function conditionBounds(node: ConditionNode, ids: Record<string, TypeBounds>, catalog: FieldCatalog): TypeBounds {
  const unknown = (): TypeBounds => ({ pos: TypeSet.all(catalog), neg: TypeSet.all(catalog) });
  switch (node.op) {
    case 'id':
      return ids[node.name] ?? unknown();
    case 'not': {
      const b = conditionBounds(node.arg, ids, catalog);
      return { pos: b.neg, neg: b.pos };
    }
    case 'and':
    case 'or':
    case 'of': {
      const args: TypeBounds[] = node.op === 'of'
        ? node.names.map((name) => ids[name] ?? unknown())
        : node.args.map((a) => conditionBounds(a, ids, catalog));
      const conjunction = node.op === 'and' || (node.op === 'of' && node.quantifier === 'all');
      let pos = conjunction ? TypeSet.all(catalog) : TypeSet.empty(catalog);
      let neg = conjunction ? TypeSet.empty(catalog) : TypeSet.all(catalog);
      for (const b of args) {
        pos = conjunction ? pos.and(b.pos) : pos.or(b.pos);
        neg = conjunction ? neg.or(b.neg) : neg.and(b.neg);
      }
      return { pos, neg };
    }
  }
}

function ruleTypeSet(rule: RuleModel, catalog: FieldCatalog): TypeSet {
  if (rule.kind !== 'detection' || !rule.detection) return TypeSet.all(catalog);
  const ids: Record<string, TypeBounds> = {};
  for (const [name, node] of Object.entries(rule.detection.identifiers)) ids[name] = searchBounds(node, catalog);
  return conditionBounds(rule.detection.condition, ids, catalog).pos;
}

/**
 * The log type codes a rule can match, from the `data.type` constraints of its condition (values, lists,
 * wildcards and string modifiers, `neq`, `not`), or 'all' when they do not narrow it. Sound: anything we cannot
 * evaluate (other modifiers, correlations) widens. An empty list means no known log type can match.
 */
export function logTypesOf(rule: RuleModel, options: SchemaLintOptions = {}): string[] | 'all' {
  const catalog = options.catalog ?? fieldCatalog();
  const set = ruleTypeSet(rule, catalog);
  return set.isAll() ? 'all' : set.codes();
}

// ---------------------------------------------------------------------------------------------------------------
// Field knowledge and suggestions

/**
 * Whether the schemas of `types` (default: every log type) define `field`, or let it exist below a free-form
 * object. Undefined when none of `types` is a cataloged log type (the catalog cannot say).
 */
export function schemaKnowsField(field: string, types?: string[], options: SchemaLintOptions = {}): boolean | undefined {
  const catalog = options.catalog ?? fieldCatalog();
  const codes = types === undefined ? catalog.codes : types.filter((t) => catalog.hasType(t));
  if (codes.length === 0) return undefined;
  return codes.some((code) => catalog.resolve(field, code).known);
}

/** Levenshtein distance, for typo suggestions. */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  let prev = new Array<number>(b.length + 1);
  let cur = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[b.length]!;
}

/** Segment names interned to small integers, so the typo cost of a pair is memoised without building strings. */
const segmentIds = new Map<string, number>();
const segmentNames: string[] = [];
const segmentCostCache = new Map<number, number>();

function segmentId(name: string): number {
  let id = segmentIds.get(name);
  if (id === undefined) {
    id = segmentNames.length;
    segmentNames.push(name);
    segmentIds.set(name, id);
  }
  return id;
}

/** 0 for equal names, up to 1 for unrelated ones: a typo in a segment costs less than a missing segment. */
function segmentCost(a: number, b: number): number {
  if (a === b) return 0;
  const key = a < b ? a * 1048576 + b : b * 1048576 + a;
  let cost = segmentCostCache.get(key);
  if (cost === undefined) {
    const x = segmentNames[a]!.toLowerCase();
    const y = segmentNames[b]!.toLowerCase();
    cost = Math.max(0.1, editDistance(x, y) / Math.max(x.length, y.length));
    segmentCostCache.set(key, cost);
  }
  return cost;
}

/**
 * Edit distance over path segments: insert/delete a segment costs 1, renaming one costs its relative typo size.
 * `costs[i]` memoises the rename cost of segment i of `a` against each segment id (-1 = not computed yet).
 */
function pathDistance(a: readonly number[], b: readonly number[], costs: Float64Array[], rows: [Float64Array, Float64Array]): number {
  let prev = rows[0];
  let cur = rows[1];
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    const costRow = costs[i - 1]!;
    for (let j = 1; j <= b.length; j++) {
      const id = b[j - 1]!;
      let rename = costRow[id]!;
      if (rename < 0) rename = costRow[id] = segmentCost(a[i - 1]!, id);
      const best = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + rename);
      cur[j] = best;
    }
    const swap = prev;
    prev = cur;
    cur = swap;
  }
  return prev[b.length]!;
}

interface Candidate {
  path: string;
  ids: number[];
}

interface Anchor {
  segments: string[];
  /** The distinct catalog nodes this path ends at across the types of the index. */
  nodes: Set<number>;
}

interface CandidateIndex {
  listed: Candidate[];
  paths: Set<string>;
  anchors: Map<string, Anchor>;
  byLastKey: Map<string, Anchor[]>;
}

const candidateIndexes = new WeakMap<FieldCatalog, Map<string, CandidateIndex>>();

/** The known paths of a set of types, deduplicated; built once per distinct set (rules share few sets). */
function candidateIndex(catalog: FieldCatalog, codes: readonly string[]): CandidateIndex {
  let perCatalog = candidateIndexes.get(catalog);
  if (!perCatalog) candidateIndexes.set(catalog, (perCatalog = new Map()));
  const key = codes.join(',');
  let index = perCatalog.get(key);
  if (!index) {
    index = { listed: [], paths: new Set(), anchors: new Map(), byLastKey: new Map() };
    for (const code of codes) {
      for (const known of catalog.knownPaths(code)) {
        const anchor = index.anchors.get(known.path);
        if (anchor) {
          anchor.nodes.add(known.node);
          continue;
        }
        const created: Anchor = { segments: known.segments, nodes: new Set([known.node]) };
        index.anchors.set(known.path, created);
        index.paths.add(known.path);
        index.listed.push({ path: known.path, ids: known.segments.map(segmentId) });
        const last = known.segments[known.segments.length - 1]!;
        let list = index.byLastKey.get(last);
        if (!list) index.byLastKey.set(last, (list = []));
        list.push(created);
      }
    }
    perCatalog.set(key, index);
  }
  return index;
}

/**
 * The known path nearest to `field` in the schemas of `codes`, or undefined when nothing is close (half the path
 * or more would have to change). Candidates are the listed paths, plus the rule's own path re-rooted onto a
 * listed path ending with one of its segments (so `data.request.body.x` can become
 * `data.details.request.body.x` when `details.request` is free-form), plus the path with `data.` put in front.
 */
export function nearestKnownPath(field: string, codes: readonly string[], options: SchemaLintOptions = {}): string | undefined {
  const catalog = options.catalog ?? fieldCatalog();
  const wantedKeys = parseFieldPath(field).map((s) => s.key);
  const wanted = wantedKeys.map(segmentId);
  const index = candidateIndex(catalog, codes);
  // A field written without the data. prefix that exists with it: that is the answer.
  if (wantedKeys[0] !== 'data' && field !== 'log_id') {
    const prefixed = `data.${field}`;
    if (codes.some((code) => catalog.resolve(prefixed, code).known)) return prefixed;
  }
  const extra: Candidate[] = [];
  const seen = new Set<string>();
  const plainField = wantedKeys.join('.');
  for (let i = 0; i < wantedKeys.length - 1; i++) {
    const restKeys = wantedKeys.slice(i + 1);
    let rest: CompiledPath | undefined;
    for (const anchor of index.byLastKey.get(wantedKeys[i]!) ?? []) {
      const segments = [...anchor.segments, ...restKeys];
      const path = segments.join('.');
      // Re-rooting onto the field's own prefix gives the field back: nothing to learn.
      if (path === plainField || index.paths.has(path) || seen.has(path)) continue;
      seen.add(path);
      rest ??= compileSegments(restKeys.map((key) => ({ key, each: false })));
      const below = rest;
      if ([...anchor.nodes].some((node) => catalog.resolvesBelow(node, below))) extra.push({ path, ids: segments.map(segmentId) });
    }
  }
  let best: { path: string; distance: number } | undefined;
  let longest = wanted.length;
  for (const c of extra) longest = Math.max(longest, c.ids.length);
  for (const c of index.listed) longest = Math.max(longest, c.ids.length);
  const rows: [Float64Array, Float64Array] = [new Float64Array(longest + 1), new Float64Array(longest + 1)];
  const costs = wanted.map(() => new Float64Array(segmentNames.length).fill(-1));
  const visit = (c: Candidate): void => {
    // Close means less than half of the longer path changes.
    const limit = Math.max(wanted.length, c.ids.length, 2) / 2;
    // Segment count difference is a lower bound of the distance: skip what cannot beat the best so far.
    const bound = Math.abs(c.ids.length - wanted.length);
    if (bound >= limit || (best && bound > best.distance) || c.path === plainField) return;
    const distance = pathDistance(wanted, c.ids, costs, rows);
    if (distance >= limit) return;
    if (!best || distance < best.distance || (distance === best.distance
      && (c.path.length < best.path.length || (c.path.length === best.path.length && c.path < best.path)))) {
      best = { path: c.path, distance };
    }
  };
  for (const c of extra) visit(c);
  for (const c of index.listed) visit(c);
  return best?.path;
}

/**
 * Every documented code equally nearest to a misspelt `data.type` value (edit distance, at most half its length),
 * sorted; empty when nothing is close. Several codes can be one edit away (`seccfr`: seccft only, `fx`: f, fc, fd, ...).
 */
export function nearestLogTypes(value: string, options: SchemaLintOptions = {}): string[] {
  const catalog = options.catalog ?? fieldCatalog();
  const folded = value.toLowerCase();
  const limit = Math.max(1, Math.floor(folded.length / 2));
  let best = Infinity;
  let codes: string[] = [];
  for (const code of catalog.codes) {
    const distance = editDistance(folded, code);
    if (distance > limit || distance > best) continue;
    if (distance < best) {
      best = distance;
      codes = [];
    }
    codes.push(code);
  }
  return codes;
}

/** The nearest code when exactly one is nearest, else undefined (see nearestLogTypes). */
export function nearestLogType(value: string, options: SchemaLintOptions = {}): string | undefined {
  const codes = nearestLogTypes(value, options);
  return codes.length === 1 ? codes[0] : undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// The lint

const NUMERIC_MODIFIERS = new Set<ValueModifier>(['gt', 'gte', 'lt', 'lte']);
/** Items that do not compare the field's value with the listed scalars. */
const NOT_A_VALUE_COMPARISON = new Set<ValueModifier>(['exists', 'fieldref']);

function describeTypes(types: TypeSet): string {
  if (types.isAll()) return 'any Auth0 log type';
  const codes = types.codes();
  const shown = codes.slice(0, 4).join(', ');
  const more = codes.length > 4 ? ` and ${codes.length - 4} more` : '';
  return `log type${codes.length > 1 ? 's' : ''} ${shown}${more}`;
}

function typeNames(types: Iterable<JsonTypeLetter>): string {
  return [...types].map((t) => TYPE_NAMES[t]).join(' or ');
}

interface FieldCheck {
  field: string;
  loc: SourceLocation;
  types: TypeSet;
  item?: FieldItem;
  identifier?: string;
  /** Where the field was named, for the message: "" for detection items. */
  context: string;
}

/** What the schemas of a set of types say about one field (cached: rules share fields and type sets). */
interface FieldVerdict {
  known: boolean;
  free: boolean;
  valueTypes: Set<JsonTypeLetter>;
  suggestion?: string | null;
}

class RuleLinter {
  private readonly all: TypeSet;
  /** type set key → field → verdict. */
  private readonly verdicts = new Map<string, Map<string, FieldVerdict>>();

  constructor(
    private readonly catalog: FieldCatalog,
    private readonly out: Diagnostic[],
  ) {
    this.all = TypeSet.all(catalog);
  }

  lintDetection(rule: RuleModel): void {
    const detection = rule.detection;
    if (!detection) return;
    const ruleCodes = ruleTypeSet(rule, this.catalog);
    for (const [identifier, node] of Object.entries(detection.identifiers)) {
      for (const { item, map } of itemsOf(node)) {
        if (item.field === null) continue; // keywords read every value: nothing to check against a path
        if (item.field === TYPE_FIELD) this.checkTypeValues(rule, identifier, item);
        this.checkNullOnAlwaysPresent(rule, identifier, item);
        // An item only decides its map where the map's other data.type items hold: narrow to those types.
        let types = ruleCodes;
        if (map && map.kind === 'map' && map.items.some((other) => other !== item && other.field === TYPE_FIELD)) {
          const local = ruleCodes.and(searchBounds(map, this.catalog, item).pos);
          if (local.size > 0) types = local;
        }
        if (types.size === 0) continue; // no known type can match (a misspelt type code is reported above)
        this.checkField(rule, { field: item.field, loc: item.loc, types, item, identifier, context: '' });
        if (item.modifiers.includes('fieldref')) {
          for (const value of item.values) {
            if (typeof value === 'string') {
              this.checkField(rule, { field: value, loc: item.loc, types, identifier, context: 'fieldref ' });
            }
          }
        }
      }
    }
    if (ruleCodes.size === 0) return;
    this.checkNegations(rule, detection.condition, ruleCodes);
    const loc = { file: rule.file, line: rule.line, col: 1 };
    for (const field of rule.fields) this.checkField(rule, { field, loc, types: ruleCodes, context: 'fields entry ' });
  }

  /**
   * `data.type: null` (or data.date, log_id): every Auth0 log has these fields, so the item never holds. The usual
   * cause is a YAML list whose items are all commented out, which YAML reads as null.
   */
  private checkNullOnAlwaysPresent(rule: RuleModel, identifier: string, item: FieldItem): void {
    if (item.field === null || !ALWAYS_PRESENT_FIELDS.has(item.field)) return;
    if (item.modifiers.length > 0 || item.values.length === 0 || item.values.some((v) => v !== null)) return;
    this.out.push({
      severity: 'warning',
      code: 'null-on-always-present-field',
      message: `'${item.field}: null' never holds (every Auth0 log has ${item.field}): selection '${identifier}' can never match`,
      hint: 'a YAML list whose items are all commented out reads as null: keep at least one value, '
        + `or remove '${identifier}' from the rule and its condition`,
      loc: item.loc,
      ruleId: rule.id,
      ruleTitle: rule.title,
      identifier,
      field: item.field,
    });
  }

  /** `not X` where X can never match (it requires a field Auth0 never writes): the `not` excludes nothing. */
  private checkNegations(rule: RuleModel, node: ConditionNode, types: TypeSet): void {
    const detection = rule.detection!;
    if (node.op === 'not') {
      const reason = this.neverMatches(node.arg, detection.identifiers, types);
      if (reason) {
        this.out.push({
          severity: 'warning',
          code: 'negation-excludes-nothing',
          message: `'not ${reason.identifier}' never excludes anything: field '${reason.field}' is not in the Auth0 schema of `
            + `${describeTypes(types)}, so '${reason.identifier}' never matches and the rule fires on every event its other selections match`,
          hint: 'fix the path of the filter (the warning on the field names the nearest path Auth0 writes)',
          loc: detection.conditionLoc,
          ruleId: rule.id,
          ruleTitle: rule.title,
          identifier: reason.identifier,
          field: reason.field,
        });
      }
    }
    if (node.op === 'not') this.checkNegations(rule, node.arg, types);
    else if (node.op === 'and' || node.op === 'or') for (const a of node.args) this.checkNegations(rule, a, types);
  }

  /** Why a condition part can never be true on the given types (a selection requiring an unknown field), or null. */
  private neverMatches(node: ConditionNode, ids: Record<string, SearchNode>, types: TypeSet): { identifier: string; field: string } | null {
    const searchNever = (name: string): { identifier: string; field: string } | null => {
      const search = ids[name];
      const field = search ? this.searchNeverField(search, types) : null;
      return field ? { identifier: name, field } : null;
    };
    switch (node.op) {
      case 'id':
        return searchNever(node.name);
      case 'not':
        return null;
      case 'and':
        for (const a of node.args) {
          const r = this.neverMatches(a, ids, types);
          if (r) return r;
        }
        return null;
      case 'or': {
        const parts = node.args.map((a) => this.neverMatches(a, ids, types));
        return parts.every((p) => p !== null) ? parts[0]! : null;
      }
      case 'of': {
        const parts = node.names.map(searchNever);
        if (node.quantifier === 'all') return parts.find((p) => p !== null) ?? null;
        return parts.length > 0 && parts.every((p) => p !== null) ? parts[0]! : null;
      }
    }
  }

  /** A field whose absence makes the search false on every event of `types`, or null. */
  private searchNeverField(node: SearchNode, types: TypeSet): string | null {
    switch (node.kind) {
      case 'keywords':
        return null;
      case 'anyOf': {
        const parts = node.alternatives.map((alt) => this.searchNeverField(alt, types));
        return parts.length > 0 && parts.every((p) => p !== null) ? parts[0]! : null;
      }
      case 'map':
        for (const item of node.items) {
          // A missing field fails every comparison except null and exists: false.
          if (item.field === null || item.modifiers.includes('exists') || item.values.some((v) => v === null)) continue;
          if (!this.verdict(item.field, types).known) return item.field;
        }
        return null;
    }
  }

  /** group-by, value fields and aliases of a correlation, against the types of the rules it references. */
  lintCorrelation(rule: RuleModel, byId: Map<string, RuleModel>): void {
    const correlation = rule.correlation;
    if (!correlation) return;
    this.checkEveryGroupAlerts(rule);
    const typesOfRule = (id: string): TypeSet => {
      const base = byId.get(id);
      return base ? ruleTypeSet(base, this.catalog) : this.all;
    };
    let types = TypeSet.empty(this.catalog);
    for (const id of correlation.rules) types = types.or(typesOfRule(id));
    const loc = correlation.loc;
    if (types.size > 0) {
      for (const field of correlation.groupBy) {
        if (correlation.aliases[field]) continue; // an alias names a field per rule, checked below
        this.checkField(rule, { field, loc, types, context: 'group-by ' });
      }
      if (correlation.condition.field && !correlation.aliases[correlation.condition.field]) {
        this.checkField(rule, { field: correlation.condition.field, loc, types, context: 'condition field ' });
      }
    }
    for (const [alias, mapping] of Object.entries(correlation.aliases)) {
      for (const [id, field] of Object.entries(mapping)) {
        const own = typesOfRule(id);
        if (own.size === 0) continue;
        this.checkField(rule, { field, loc, types: own, context: `alias '${alias}' ` });
      }
    }
  }

  /**
   * A count condition every group meets (`gte: 1`, `gt: 0`, `gte: 0`): a group exists only once one of its events
   * arrived, so the correlation alerts on every group, i.e. on (nearly) every matching event.
   */
  private checkEveryGroupAlerts(rule: RuleModel): void {
    const correlation = rule.correlation!;
    if (correlation.type !== 'event_count' && correlation.type !== 'value_count') return;
    const c = correlation.condition;
    if (c.lt !== undefined || c.lte !== undefined || c.eq !== undefined || c.neq !== undefined) return;
    if (c.gte === undefined && c.gt === undefined) return;
    // The smallest count of a group: 1 event; 1 distinct value once one of its events carries the field.
    const least = 1;
    const holdsAtLeast = (c.gte === undefined || c.gte <= least) && (c.gt === undefined || c.gt < least);
    if (!holdsAtLeast) return;
    const written = c.gte !== undefined ? `gte: ${c.gte}` : `gt: ${c.gt}`;
    const everyGroup = correlation.type === 'event_count'
      ? 'every group has at least one event'
      : (c.gte !== undefined && c.gte <= 0) || (c.gt !== undefined && c.gt < 0)
        ? 'every group has at least zero distinct values'
        : `every group whose events carry '${c.field ?? 'the field'}' has at least one distinct value`;
    this.out.push({
      severity: 'warning',
      code: 'correlation-every-group',
      message: `condition '${written}' holds for every group (${everyGroup}): this ${correlation.type} correlation alerts on every group `
        + `of '${correlation.groupBy.join(', ') || '(no group-by)'}' within ${correlation.timespan}`,
      hint: 'set the threshold to the count that is unusual for your tenant (for example gte: 10); scan a week of your logs to see the counts',
      loc: correlation.loc,
      ruleId: rule.id,
      ruleTitle: rule.title,
    });
  }

  private checkTypeValues(rule: RuleModel, identifier: string, item: FieldItem): void {
    if (item.modifiers.some((m) => !TYPE_MODIFIERS_UNDERSTOOD.has(m))) return;
    for (const value of item.values) {
      if (value === null) continue;
      const text = String(value);
      const matched = codesMatching(text, item.modifiers, this.catalog);
      if (!matched || matched.size > 0) continue;
      const plain = !item.modifiers.some((m) => m === 're' || m === 'contains' || m === 'startswith' || m === 'endswith')
        && !/[*?]/.test(text);
      const suggestions = plain ? nearestLogTypes(text, { catalog: this.catalog }) : [];
      const named = suggestions.map((code) => `${code}${this.catalog.describe(code) ? ` (${this.catalog.describe(code)})` : ''}`);
      // Auth0 adds codes over time and the list here has a date: say what is known, not that it can never match.
      this.out.push({
        severity: 'warning',
        code: 'unknown-log-type',
        message: plain
          ? `'${text}' is not a documented Auth0 log type code (as of ${this.catalogDate()})`
          : `'${text}'${item.modifiers.length > 0 ? ` (${item.modifiers.join('|')})` : ''} matches no documented Auth0 log type code (as of ${this.catalogDate()})`,
        hint: named.length > 0
          ? `did you mean ${named.length === 1 ? named[0] : `one of ${named.slice(0, -1).join(', ')} or ${named[named.length - 1]}`}?`
          : 'see the log type codes at https://auth0.com/docs/deploy-monitor/logs/log-event-type-codes',
        loc: item.loc,
        ruleId: rule.id,
        ruleTitle: rule.title,
        identifier,
        field: TYPE_FIELD,
        ...(item.modifiers.length > 0 ? { modifier: item.modifiers.join('|') } : {}),
      });
    }
  }

  private catalogDate(): string {
    return this.catalog.file.documentedSource?.taken ?? `schemas ${this.catalog.file.source.ref ?? 'as committed'}`;
  }

  private verdict(field: string, types: TypeSet): FieldVerdict {
    let perTypes = this.verdicts.get(types.key());
    if (!perTypes) this.verdicts.set(types.key(), (perTypes = new Map()));
    let verdict = perTypes.get(field);
    if (!verdict) {
      verdict = { known: false, free: false, valueTypes: new Set() };
      for (const code of types.codes()) {
        const r = this.catalog.resolve(field, code);
        if (!r.known) continue;
        verdict.known = true;
        if (r.free) verdict.free = true;
        for (const t of r.valueTypes) verdict.valueTypes.add(t);
      }
      perTypes.set(field, verdict);
    }
    return verdict;
  }

  private checkField(rule: RuleModel, check: FieldCheck): void {
    const { field, types, item } = check;
    const verdict = this.verdict(field, types);
    const { known, free, valueTypes } = verdict;
    if (known && (!item || free || valueTypes.size === 0)) return; // the common case: nothing to say
    const base = {
      severity: 'warning' as const,
      loc: check.loc,
      ruleId: rule.id,
      ruleTitle: rule.title,
      ...(check.identifier !== undefined ? { identifier: check.identifier } : {}),
      field,
      ...(item && item.modifiers.length > 0 ? { modifier: item.modifiers.join('|') } : {}),
    };
    if (!known) {
      if (verdict.suggestion === undefined) verdict.suggestion = nearestKnownPath(field, types.codes(), { catalog: this.catalog }) ?? null;
      const suggestion = verdict.suggestion;
      const where = describeTypes(types);
      this.out.push({
        ...base,
        code: 'unknown-field',
        message: `${check.context}field '${field}' is not in the Auth0 schema of ${where}: it never has a value`,
        hint: suggestion
          ? `did you mean ${suggestion}?`
          : field.startsWith('data.') || field === 'log_id'
            ? `check the field against the Auth0 log schema of ${where}`
            : 'event fields start with data. (for example data.type, data.user_id)',
      });
      return;
    }
    // Type checks only where every resolution is typed by the schema (free-form values may be anything).
    if (!item || free || valueTypes.size === 0) return;
    if (item.modifiers.some((m) => NOT_A_VALUE_COMPARISON.has(m))) return;
    if (!item.values.some((v) => v !== null)) return;
    const hasScalar = SCALAR_TYPES.some((t) => valueTypes.has(t));
    if (!hasScalar) {
      this.out.push({
        ...base,
        code: 'scalar-vs-object',
        message: `'${field}' is typed ${typeNames(valueTypes)} in the Auth0 schema of ${describeTypes(types)}: `
          + 'a scalar value never matches it',
        hint: `compare a field inside it (for example ${field}.<name>), or use ${field}|exists: true`,
      });
      return;
    }
    const numeric = item.modifiers.find((m) => NUMERIC_MODIFIERS.has(m));
    if (numeric && !valueTypes.has('n') && !valueTypes.has('i') && valueTypes.has('s')) {
      this.out.push({
        ...base,
        code: 'numeric-on-string',
        message: `'${numeric}' compares numbers, but '${field}' is typed ${typeNames(valueTypes)} in the Auth0 schema of `
          + `${describeTypes(types)}`,
        hint: 'only strings holding a plain decimal number can match; compare the text (startswith, re) if that is meant',
      });
    }
  }
}

/** Every field item of a search node, with the map that holds it (for the map-local type narrowing). */
function itemsOf(node: SearchNode): { item: FieldItem; map?: SearchNode }[] {
  switch (node.kind) {
    case 'keywords':
      return [{ item: node.item }];
    case 'map':
      return node.items.map((item) => ({ item, map: node }));
    case 'anyOf':
      return node.alternatives.flatMap(itemsOf);
  }
}

/**
 * Lints rules against the Auth0 field catalog. Returns warnings only (`unknown-field`, `unknown-log-type`,
 * `scalar-vs-object`, `numeric-on-string`); the CLI's --strict turns them into errors.
 */
export function lintRules(rules: RuleModel[], options: SchemaLintOptions = {}): Diagnostic[] {
  const catalog = options.catalog ?? fieldCatalog();
  const out: Diagnostic[] = [];
  const linter = new RuleLinter(catalog, out);
  const byId = new Map(rules.map((r) => [r.id, r]));
  for (const rule of rules) {
    if (rule.kind === 'detection') linter.lintDetection(rule);
    else linter.lintCorrelation(rule, byId);
  }
  return out;
}

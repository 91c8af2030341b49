// Generates the Auth0 field catalog the schema lint reads (lambda/sigma/auth0-field-catalog.json) and the compact
// copy of the validation schemas the data tests use (test/data/auth0-log-schemas/log-types.schema.json), from a
// folder of Auth0 log schemas (auth0/auth0-log-schemas, Apache-2.0: `schemas/log-types/<code>.schema.json`).
//
//   node bin/run-ts.js scripts/gen-field-catalog.ts <schemas-folder> [out.json] [--validation-out FILE|--no-validation] [--source-ref REF]
//
// The schemas repository has no file for some codes Auth0 documents (signup_pwd_leak among them): the codes of
// Auth0's documentation, recorded with their source and date in scripts/data/auth0-log-type-codes.json
// (`--documented FILE`), are added to the catalog as `documented`, so the lint knows every documented code.
//
// The project never reads the schemas folder at run time or in tests: both outputs are committed.

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CatalogNode, FieldCatalogFile, JsonTypeLetter } from '../lambda/sigma/schema-lint';

type JsonSchema = boolean | { [keyword: string]: unknown };

export interface SchemaSource {
  /** The log type code (the file name without `.schema.json`). */
  code: string;
  schema: JsonSchema;
  /** For error messages. */
  file: string;
}

const ALL_TYPES: JsonTypeLetter[] = ['o', 'a', 's', 'n', 'i', 'b', 'z'];
const TYPE_LETTER: Record<string, JsonTypeLetter> = {
  object: 'o', array: 'a', string: 's', number: 'n', integer: 'i', boolean: 'b', null: 'z',
};
/** How many times a recursive $ref is expanded along one path before it widens to free-form. */
const RECURSION_UNROLL = 3;
/** Below this depth a schema is treated as free-form: a guard against pathological nesting, not a semantic limit. */
const MAX_DEPTH = 24;

/** What the lint needs to know about one schema position, before hash-consing. */
interface Shape {
  types: Set<JsonTypeLetter>;
  props: Map<string, Shape>;
  items?: Shape;
  /** additionalProperties given as a schema: every key is allowed and its value has this shape. */
  mapValue?: Shape;
  /** An object whose keys the schema does not list: any path below it may exist. */
  free: boolean;
}

function anyShape(): Shape {
  return { types: new Set(ALL_TYPES), props: new Map(), free: true };
}

function isSchemaObject(s: unknown): s is Record<string, unknown> {
  return typeof s === 'object' && s !== null && !Array.isArray(s);
}

function jsonTypeOf(value: unknown): JsonTypeLetter {
  if (value === null) return 'z';
  if (Array.isArray(value)) return 'a';
  if (typeof value === 'number') return Number.isInteger(value) ? 'i' : 'n';
  return TYPE_LETTER[typeof value] ?? 'o';
}

/** Unions `b` into `a` (anyOf alternatives, and property definitions met in several places): the lint widens. */
function unionInto(a: Shape, b: Shape): void {
  for (const t of b.types) a.types.add(t);
  for (const [key, child] of b.props) {
    const mine = a.props.get(key);
    if (mine) unionInto(mine, child);
    else a.props.set(key, cloneShape(child));
  }
  if (b.items) {
    if (a.items) unionInto(a.items, b.items);
    else a.items = cloneShape(b.items);
  }
  if (b.mapValue) {
    if (a.mapValue) unionInto(a.mapValue, b.mapValue);
    else a.mapValue = cloneShape(b.mapValue);
  }
  a.free = a.free || b.free;
}

function cloneShape(s: Shape): Shape {
  const copy: Shape = { types: new Set(s.types), props: new Map(), free: s.free };
  for (const [k, v] of s.props) copy.props.set(k, cloneShape(v));
  if (s.items) copy.items = cloneShape(s.items);
  if (s.mapValue) copy.mapValue = cloneShape(s.mapValue);
  return copy;
}

/** Resolves a local JSON pointer (`#/definitions/x`) inside the schema file; other references are refused. */
function resolveLocalRef(root: JsonSchema, ref: string, file: string, where: string): JsonSchema {
  if (!ref.startsWith('#')) {
    throw new Error(`${file}: ${where}: only local $ref ("#/...") is supported, found "${ref}"; inline the referenced schema first`);
  }
  let target: unknown = root;
  const pointer = ref.slice(1);
  if (pointer !== '') {
    for (const raw of pointer.split('/').slice(1)) {
      const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
      target = typeof target === 'object' && target !== null ? (target as Record<string, unknown>)[key] : undefined;
      if (target === undefined) throw new Error(`${file}: ${where}: $ref "${ref}" points nowhere`);
    }
  }
  return target as JsonSchema;
}

class ShapeBuilder {
  constructor(
    private readonly root: JsonSchema,
    private readonly file: string,
  ) {}

  build(): Shape {
    return this.shapeOf(this.root, [], 0, '#');
  }

  /**
   * The shape of `schema`. Keywords that constrain one value combine by conjunction (type, allOf); anyOf/oneOf
   * alternatives by disjunction. Properties met anywhere are unioned: a path any branch allows is known.
   */
  private shapeOf(schema: JsonSchema, refStack: string[], depth: number, where: string): Shape {
    if (schema === true) return anyShape();
    if (schema === false) return { types: new Set(), props: new Map(), free: false };
    if (!isSchemaObject(schema)) throw new Error(`${this.file}: ${where}: a schema must be an object or a boolean`);
    if (depth > MAX_DEPTH) return anyShape();

    if (typeof schema.$ref === 'string') {
      // Draft-07: $ref ignores its siblings. A recursive reference is unrolled a few times, then widens to
      // "anything" instead of looping.
      if (refStack.filter((r) => r === schema.$ref).length >= RECURSION_UNROLL) return anyShape();
      return this.shapeOf(resolveLocalRef(this.root, schema.$ref, this.file, where), [...refStack, schema.$ref], depth + 1, schema.$ref);
    }

    let types = new Set<JsonTypeLetter>(ALL_TYPES);
    const intersect = (allowed: Iterable<JsonTypeLetter>): void => {
      const keep = new Set(allowed);
      // integer ⊂ number: a number-typed position accepts integers and the reverse keeps integers.
      if (keep.has('n')) keep.add('i');
      types = new Set([...types].filter((t) => keep.has(t)));
    };
    if (schema.type !== undefined) {
      const list = Array.isArray(schema.type) ? schema.type : [schema.type];
      intersect(list.map((t) => {
        const letter = TYPE_LETTER[String(t)];
        if (!letter) throw new Error(`${this.file}: ${where}: unknown JSON type "${String(t)}"`);
        return letter;
      }));
    }
    if ('const' in schema) intersect([jsonTypeOf(schema.const)]);
    if (Array.isArray(schema.enum)) intersect(schema.enum.map(jsonTypeOf));

    const shape: Shape = { types, props: new Map(), free: false };
    if (isSchemaObject(schema.properties)) {
      for (const [key, child] of Object.entries(schema.properties)) {
        shape.props.set(key, this.shapeOf(child as JsonSchema, refStack, depth + 1, `${where}/properties/${key}`));
      }
    }
    const hasPatternProps = isSchemaObject(schema.patternProperties) && Object.keys(schema.patternProperties).length > 0;
    const additional = schema.additionalProperties;
    if (isSchemaObject(additional) || hasPatternProps) {
      // A map: any key; the value follows additionalProperties (and any pattern) — unioned, as the lint widens.
      const value: Shape = { types: new Set(), props: new Map(), free: false };
      if (isSchemaObject(additional)) unionInto(value, this.shapeOf(additional, refStack, depth + 1, `${where}/additionalProperties`));
      else if (additional !== false) unionInto(value, anyShape());
      if (hasPatternProps) {
        for (const [pattern, child] of Object.entries(schema.patternProperties as Record<string, JsonSchema>)) {
          unionInto(value, this.shapeOf(child, refStack, depth + 1, `${where}/patternProperties/${pattern}`));
        }
      }
      shape.mapValue = value;
    }
    // Free-form: an object position whose keys are not listed and not closed.
    shape.free = types.has('o') && shape.props.size === 0 && !shape.mapValue && additional !== false;

    if (types.has('a')) {
      const items = schema.items;
      if (items === undefined) shape.items = anyShape();
      else if (Array.isArray(items)) {
        const merged: Shape = { types: new Set(), props: new Map(), free: false };
        items.forEach((item, index) => unionInto(merged, this.shapeOf(item as JsonSchema, refStack, depth + 1, `${where}/items/${index}`)));
        if (schema.additionalItems !== false) unionInto(merged, schema.additionalItems === undefined || schema.additionalItems === true
          ? anyShape()
          : this.shapeOf(schema.additionalItems as JsonSchema, refStack, depth + 1, `${where}/additionalItems`));
        shape.items = merged;
      } else shape.items = this.shapeOf(items as JsonSchema, refStack, depth + 1, `${where}/items`);
    }

    if (Array.isArray(schema.allOf)) {
      for (const [index, member] of schema.allOf.entries()) {
        const part = this.shapeOf(member as JsonSchema, refStack, depth + 1, `${where}/allOf/${index}`);
        this.conjoin(shape, part);
      }
    }
    for (const keyword of ['anyOf', 'oneOf'] as const) {
      const alternatives = schema[keyword];
      if (!Array.isArray(alternatives)) continue;
      const union: Shape = { types: new Set(), props: new Map(), free: false };
      alternatives.forEach((alt, index) => unionInto(union, this.shapeOf(alt as JsonSchema, refStack, depth + 1, `${where}/${keyword}/${index}`)));
      this.conjoin(shape, union);
    }
    return shape;
  }

  /** `shape` AND `part`: types intersect, free-form only if both are, known paths union (widening). */
  private conjoin(shape: Shape, part: Shape): void {
    const types = new Set([...shape.types].filter((t) => part.types.has(t) || (t === 'i' && part.types.has('n'))));
    const wasFree = shape.free;
    const partFree = part.free;
    const ownProps = shape.props.size > 0 || shape.mapValue !== undefined;
    const partProps = part.props.size > 0 || part.mapValue !== undefined;
    unionInto(shape, { ...part, free: false });
    shape.types = types;
    if (!types.has('a')) delete shape.items;
    // A side that says nothing about keys (free) does not make the other side's listed keys free.
    shape.free = (wasFree || !ownProps) && (partFree || !partProps) && (wasFree || partFree) && shape.types.has('o');
  }
}

/** Hash-conses shapes into a node table: identical subtrees (ip, auth0_client, details blocks...) are stored once. */
class NodeTable {
  readonly nodes: CatalogNode[] = [];
  private readonly index = new Map<string, number>();

  add(shape: Shape): number {
    const node: CatalogNode = { t: ALL_TYPES.filter((t) => shape.types.has(t)).join('') };
    if (shape.props.size > 0) {
      const props: Record<string, number> = {};
      for (const key of [...shape.props.keys()].sort()) props[key] = this.add(shape.props.get(key)!);
      node.p = props;
    }
    if (shape.items && shape.types.has('a')) node.i = this.add(shape.items);
    if (shape.mapValue) node.m = this.add(shape.mapValue);
    if (shape.free) node.f = 1;
    return this.intern(node);
  }

  intern(node: CatalogNode): number {
    const key = JSON.stringify(node);
    let id = this.index.get(key);
    if (id === undefined) {
      id = this.nodes.length;
      this.nodes.push(node);
      this.index.set(key, id);
    }
    return id;
  }
}

export interface CatalogSourceInfo {
  repository: string;
  license: string;
  ref?: string;
}

/** Auth0's documented type codes (scripts/data/auth0-log-type-codes.json): the page table and per-type pages. */
export interface DocumentedCodes {
  sources: { page: string }[];
  /** When the lists were read from the documentation (YYYY-MM-DD). */
  taken: string;
  /** The "Log Type Codes" table: code → event name. */
  table: Record<string, string>;
  /** Per-type pages whose code is not in the table: code → event name. */
  pages?: Record<string, string>;
}

export const DEFAULT_DOCUMENTED_CODES = path.join(__dirname, 'data', 'auth0-log-type-codes.json');

/** Reads and checks the documented-codes file; errors name the file and the entry. */
export function readDocumentedCodes(file: string): DocumentedCodes {
  const raw = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
  const fail = (what: string): never => {
    throw new Error(`${file}: ${what}`);
  };
  if (!isSchemaObject(raw)) return fail('expected an object with sources, taken, table');
  if (typeof raw.taken !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(raw.taken)) fail("'taken' must be the date the lists were read, YYYY-MM-DD");
  if (!Array.isArray(raw.sources) || raw.sources.some((s) => !isSchemaObject(s) || typeof s.page !== 'string')) fail("'sources' must list objects with a 'page' address");
  for (const key of ['table', 'pages']) {
    const map = raw[key];
    if (map === undefined && key === 'pages') continue;
    if (!isSchemaObject(map)) return fail(`'${key}' must map codes to event names`);
    for (const [code, name] of Object.entries(map)) {
      if (!/^[a-z0-9_]+$/.test(code) || typeof name !== 'string') fail(`'${key}.${code}': a code is lower-case letters, digits and _, its value the event name`);
    }
  }
  return raw as unknown as DocumentedCodes;
}

/** Builds the catalog from parsed schemas. Pure: the tests feed it small hand-written schemas. */
export function buildFieldCatalog(sources: SchemaSource[], info: CatalogSourceInfo, documented?: DocumentedCodes): FieldCatalogFile {
  const table = new NodeTable();
  const logIdNode = table.intern({ t: 's' });
  const types: FieldCatalogFile['types'] = {};
  const hash = crypto.createHash('sha256');
  for (const source of [...sources].sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0))) {
    hash.update(source.code).update('\0').update(JSON.stringify(source.schema)).update('\0');
    const dataShape = new ShapeBuilder(source.schema, source.file).build();
    const dataNode = table.add(dataShape);
    // The tree of each type starts at the event root `{log_id, data}`, so catalog paths carry the `data.` prefix.
    const root = table.intern({ t: 'o', p: { data: dataNode, log_id: logIdNode } });
    types[source.code] = [describeType(source), root];
  }
  const catalog: FieldCatalogFile = {
    format: 1,
    source: { ...info, sha256: hash.digest('hex') },
    types,
    nodes: table.nodes,
  };
  if (documented) {
    const extra: Record<string, string> = {};
    for (const [code, name] of [...Object.entries(documented.table), ...Object.entries(documented.pages ?? {})].sort()) {
      if (!Object.prototype.hasOwnProperty.call(types, code)) extra[code] = name;
    }
    catalog.documented = extra;
    catalog.documentedSource = { pages: documented.sources.map((s) => s.page), taken: documented.taken };
  }
  return catalog;
}

function describeType(source: SchemaSource): string {
  if (!isSchemaObject(source.schema)) return '';
  const props = source.schema.properties;
  const typeProp = isSchemaObject(props) ? props.type : undefined;
  if (isSchemaObject(typeProp) && typeof typeProp.description === 'string') return typeProp.description;
  return typeof source.schema.description === 'string' ? source.schema.description : '';
}

/** One node per line: compact, yet a regenerated catalog gives a readable diff. */
export function serializeCatalog(catalog: FieldCatalogFile): string {
  // `nodes` goes last, one per line.
  const { nodes: _nodes, ...rest } = catalog;
  const head = JSON.stringify({ ...rest, nodes: [] });
  const lines = catalog.nodes.map((n) => JSON.stringify(n));
  return `${head.slice(0, -3)}[\n${lines.join(',\n')}\n]}\n`;
}

// ---------------------------------------------------------------------------------------------------------------
// The validation copy: the same schemas without annotations, identical subtrees moved into shared definitions.

const SCHEMA_MAP_KEYWORDS = ['properties', 'patternProperties', 'definitions'];
const SCHEMA_KEYWORDS = ['additionalProperties', 'items', 'additionalItems', 'not', 'if', 'then', 'else', 'contains', 'propertyNames'];
const SCHEMA_LIST_KEYWORDS = ['allOf', 'anyOf', 'oneOf', 'items'];
/** Annotations only: validation never reads them. */
const ANNOTATIONS = new Set(['description', 'examples', 'title', '$comment', '$schema', 'default']);

/** Drops annotation keywords at schema positions (never property names) and inlines local $refs. */
function stripSchema(schema: JsonSchema, root: JsonSchema, file: string, refStack: string[] = []): JsonSchema {
  if (!isSchemaObject(schema)) return schema;
  if (typeof schema.$ref === 'string') {
    if (refStack.includes(schema.$ref)) {
      throw new Error(`${file}: recursive $ref "${schema.$ref}" cannot be inlined into the validation copy`);
    }
    const target = resolveLocalRef(root, schema.$ref, file, schema.$ref);
    return stripSchema(target, root, file, [...refStack, schema.$ref]);
  }
  const out: Record<string, unknown> = {};
  for (const [keyword, value] of Object.entries(schema)) {
    if (ANNOTATIONS.has(keyword) || keyword === 'definitions') continue;
    if (SCHEMA_MAP_KEYWORDS.includes(keyword) && isSchemaObject(value)) {
      const map: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) map[k] = stripSchema(v as JsonSchema, root, file, refStack);
      out[keyword] = map;
    } else if (SCHEMA_LIST_KEYWORDS.includes(keyword) && Array.isArray(value)) {
      out[keyword] = value.map((v) => stripSchema(v as JsonSchema, root, file, refStack));
    } else if (SCHEMA_KEYWORDS.includes(keyword)) {
      out[keyword] = stripSchema(value as JsonSchema, root, file, refStack);
    } else out[keyword] = value;
  }
  return out;
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (isSchemaObject(value)) {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Subtrees at least this long (canonical JSON) that occur twice or more are shared through a definition. */
const SHARE_MIN_LENGTH = 48;

export interface ValidationSchemas {
  $schema: string;
  $id: string;
  $comment: string;
  definitions: Record<string, unknown>;
}

/** Builds one draft-07 document: `definitions.<code>` is the schema of a log type's `data`. */
export function buildValidationSchemas(sources: SchemaSource[], info: CatalogSourceInfo): ValidationSchemas {
  const stripped = new Map<string, JsonSchema>();
  for (const s of [...sources].sort((a, b) => (a.code < b.code ? -1 : 1))) stripped.set(s.code, stripSchema(s.schema, s.schema, s.file));

  const counts = new Map<string, number>();
  const count = (value: unknown): string => {
    let text: string;
    if (Array.isArray(value)) text = `[${value.map(count).join(',')}]`;
    else if (isSchemaObject(value)) text = `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${count(value[k])}`).join(',')}}`;
    else return JSON.stringify(value);
    if (isSchemaObject(value)) counts.set(text, (counts.get(text) ?? 0) + 1);
    return text;
  };
  for (const schema of stripped.values()) count(schema);

  const shared = new Map<string, string>();
  const definitions: Record<string, unknown> = {};
  const sharedDefs: Record<string, unknown> = {};
  // Rewrites schema positions only, so a `properties` map (whose keys are names) is never replaced by a $ref.
  const rewrite = (schema: unknown, isRoot: boolean): unknown => {
    if (!isSchemaObject(schema)) return schema;
    const text = canonical(schema);
    if (!isRoot && text.length >= SHARE_MIN_LENGTH && (counts.get(text) ?? 0) >= 2) {
      let name = shared.get(text);
      if (name === undefined) {
        name = `_${shared.size}`;
        shared.set(text, name);
        sharedDefs[name] = rewriteChildren(schema);
      }
      return { $ref: `#/definitions/${name}` };
    }
    return rewriteChildren(schema);
  };
  const rewriteChildren = (schema: Record<string, unknown>): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const keyword of Object.keys(schema).sort()) {
      const value = schema[keyword];
      if (SCHEMA_MAP_KEYWORDS.includes(keyword) && isSchemaObject(value)) {
        const map: Record<string, unknown> = {};
        for (const k of Object.keys(value).sort()) map[k] = rewrite(value[k], false);
        out[keyword] = map;
      } else if (SCHEMA_LIST_KEYWORDS.includes(keyword) && Array.isArray(value)) {
        out[keyword] = value.map((v) => rewrite(v, false));
      } else if (SCHEMA_KEYWORDS.includes(keyword)) out[keyword] = rewrite(value, false);
      else out[keyword] = value;
    }
    return out;
  };
  for (const [code, schema] of stripped) definitions[code] = rewrite(schema, true);
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'auth0-log-schemas',
    $comment: `Validation copy of the Auth0 log schemas (${info.repository}${info.ref ? ` @ ${info.ref}` : ''}, ${info.license}), `
      + 'annotations removed and shared subtrees deduplicated by scripts/gen-field-catalog.ts. definitions.<type code> validates the data of a log event.',
    definitions: { ...definitions, ...sharedDefs },
  };
}

// ---------------------------------------------------------------------------------------------------------------

export function readSchemaFolder(folder: string): SchemaSource[] {
  // Accept the repository root, its `schemas` folder, or the `log-types` folder itself.
  const candidates = [path.join(folder, 'schemas', 'log-types'), path.join(folder, 'log-types'), folder];
  const dir = candidates.find((c) => fs.existsSync(c) && fs.statSync(c).isDirectory()
    && fs.readdirSync(c).some((f) => f.endsWith('.schema.json')));
  if (!dir) {
    throw new Error(`${folder}: no log-types/*.schema.json found; pass the folder holding log-types/ (auth0/auth0-log-schemas: schemas/)`);
  }
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.schema.json')).sort();
  return files.map((name) => {
    const file = path.join(dir, name);
    let schema: JsonSchema;
    try {
      schema = JSON.parse(fs.readFileSync(file, 'utf8')) as JsonSchema;
    } catch (err) {
      throw new Error(`${file}: not valid JSON: ${(err as Error).message}`);
    }
    return { code: name.slice(0, -'.schema.json'.length), schema, file };
  });
}

/**
 * Apache-2.0 asks that a derived work ships with the license: the validation copy's folder gets the schemas'
 * LICENSE (found in the folder given or its parents) and a README naming the source.
 */
function writeProvenance(folder: string, outDir: string, info: CatalogSourceInfo): void {
  const license = [folder, path.join(folder, '..'), path.join(folder, '..', '..')]
    .map((dir) => path.join(dir, 'LICENSE'))
    .find((file) => fs.existsSync(file));
  if (license) {
    // Written anew rather than copied: a copy would keep the source's read-only mode and block the next run.
    const target = path.join(outDir, 'LICENSE');
    fs.rmSync(target, { force: true });
    fs.writeFileSync(target, fs.readFileSync(license));
  }
  else process.stderr.write(`warning: no LICENSE found next to ${folder}: add the schemas' license to ${outDir} by hand\n`);
  fs.writeFileSync(path.join(outDir, 'README.md'), [
    '# Auth0 log schemas (validation copy)',
    '',
    `\`log-types.schema.json\` is derived from [auth0/auth0-log-schemas](${info.repository})`
      + `${info.ref ? ` at commit \`${info.ref}\`` : ''} (${info.license}, see LICENSE here): the per-type schemas of`,
    'log event `data`, with descriptions and examples removed and shared subtrees deduplicated into `definitions`.',
    'It is generated, not edited: `npm run gen:catalog -- <schemas-folder>` (see scripts/gen-field-catalog.ts), and read only',
    'by test/data/schemas.test.ts.',
    '',
  ].join('\n'));
}

interface CliArgs {
  folder: string;
  out: string;
  validationOut: string | null;
  ref?: string;
  documented: string | null;
}

const USAGE = 'usage: gen-field-catalog.ts <schemas-folder> [out.json] [--validation-out FILE | --no-validation] [--source-ref REF] [--documented FILE | --no-documented]';

function parseArgs(argv: string[]): CliArgs {
  const positional: string[] = [];
  let validationOut: string | null = path.join('test', 'data', 'auth0-log-schemas', 'log-types.schema.json');
  let ref: string | undefined;
  let documented: string | null = DEFAULT_DOCUMENTED_CODES;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--validation-out') validationOut = argv[++i] ?? '';
    else if (arg === '--documented') documented = argv[++i] ?? '';
    else if (arg === '--no-documented') documented = null;
    else if (arg === '--no-validation') validationOut = null;
    else if (arg === '--source-ref') ref = argv[++i];
    else if (arg.startsWith('--')) throw new Error(`unknown option ${arg}\n${USAGE}`);
    else positional.push(arg);
  }
  if (positional.length < 1 || positional.length > 2 || validationOut === '' || documented === '') throw new Error(USAGE);
  return { folder: positional[0]!, out: positional[1] ?? path.join('lambda', 'sigma', 'auth0-field-catalog.json'), validationOut, ref, documented };
}

function main(argv: string[]): number {
  let args: CliArgs;
  try {
    args = parseArgs(argv);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 2;
  }
  try {
    const sources = readSchemaFolder(args.folder);
    const info: CatalogSourceInfo = {
      repository: 'https://github.com/auth0/auth0-log-schemas',
      license: 'Apache-2.0',
      ...(args.ref ? { ref: args.ref } : {}),
    };
    const catalog = buildFieldCatalog(sources, info, args.documented ? readDocumentedCodes(args.documented) : undefined);
    const text = serializeCatalog(catalog);
    fs.mkdirSync(path.dirname(path.resolve(args.out)), { recursive: true });
    fs.writeFileSync(args.out, text);
    process.stdout.write(`${args.out}: ${Object.keys(catalog.types).length} log types, ${Object.keys(catalog.documented ?? {}).length} documented `
      + `codes without a schema, ${catalog.nodes.length} shared nodes, ${text.length} bytes\n`);
    if (args.validationOut) {
      const validation = `${JSON.stringify(buildValidationSchemas(sources, info))}\n`;
      fs.mkdirSync(path.dirname(path.resolve(args.validationOut)), { recursive: true });
      fs.writeFileSync(args.validationOut, validation);
      process.stdout.write(`${args.validationOut}: validation schemas, ${validation.length} bytes\n`);
      writeProvenance(args.folder, path.dirname(args.validationOut), info);
    }
    return 0;
  } catch (err) {
    process.stderr.write(`gen-field-catalog: ${(err as Error).message}\n`);
    return 1;
  }
}

// Runs only as a script (bin/run-ts.js puts the script path in argv[1]); the tests import the builders.
if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === __filename) {
  process.exitCode = main(process.argv.slice(2));
}

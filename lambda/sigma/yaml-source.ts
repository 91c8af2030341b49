// YAML with positions. js-yaml returns plain values only, so its parse `listener` (called when each node
// opens and closes) is used to rebuild a tree of node spans alongside; mapping entries are paired with
// their keys so every diagnostic can point at the exact key or value (`rules/x.yml:14:9`).
//
// The core schema is used on purpose: `date: 2025-07-11` stays the string written in the rule (the model
// must be plain JSON), and no YAML-specific types (binary, sets, merge keys) leak into rules.

import type * as JsYaml from 'js-yaml';

// js-yaml is loaded when some YAML is first parsed: a scan whose rule set comes from the cache of loaded rule sets
// (bin/cli/rule-cache.ts) parses none.
let jsYaml: typeof JsYaml | undefined;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const yaml = (): typeof JsYaml => (jsYaml ??= require('js-yaml') as typeof JsYaml);
import type { Diagnostic, SourceLocation } from './types';

/** A node of a parsed document with its 1-based position (where its content starts). */
export interface YamlNode {
  line: number;
  col: number;
  kind: 'mapping' | 'sequence' | 'scalar';
  /** Mapping entries by key, with the key's own position. */
  entries?: Map<string, YamlEntry>;
  /** Sequence items, in order. */
  items?: YamlNode[];
}

export interface YamlEntry {
  key: string;
  line: number;
  col: number;
  value: YamlNode;
}

export interface YamlDoc {
  file: string;
  /** 0-based index of the document in its file. */
  index: number;
  /** The plain value js-yaml produced. */
  value: unknown;
  /** Position tree; its shape follows `value`. */
  root: YamlNode;
  /** The file's text (BOM removed, line ends normalised), shared by its documents: for exact columns inside values. */
  text: string;
}

export interface ParsedYaml {
  docs: YamlDoc[];
  diagnostics: Diagnostic[];
}

export type YamlPath = ReadonlyArray<string | number>;

/** What js-yaml tells the listener about one node. */
interface Span {
  start: number;
  end: number;
  kind: string | null;
  result: unknown;
  children: Span[];
}

/**
 * Parses every document of `text`. A syntax error becomes an `error` diagnostic at js-yaml's mark; the
 * other documents of the file are still returned when the file can be split at `---` lines.
 */
export function parseYamlDocuments(text: string, file: string): ParsedYaml {
  const normalized = normalizeText(text);
  try {
    return withinAliasLimit(parseAll(normalized, file));
  } catch (err) {
    if (!(err instanceof yaml().YAMLException)) throw err;
    return parseByChunks(normalized, file);
  }
}

/** One YAML document expected (config files): `null` value when the file is empty. */
export function parseYamlDocument(text: string, file: string): { doc?: YamlDoc; diagnostics: Diagnostic[] } {
  const parsed = parseYamlDocuments(text, file);
  const diagnostics = [...parsed.diagnostics];
  if (parsed.docs.length > 1) {
    const second = parsed.docs[1];
    diagnostics.push({
      severity: 'error',
      code: 'yaml-multiple-documents',
      message: 'expected a single YAML document, found several',
      hint: 'remove the `---` separator and merge the documents',
      loc: { file, line: second.root.line, col: second.root.col },
    });
  }
  return { doc: parsed.docs[0], diagnostics };
}

/** The node at `path` (mapping keys and sequence indexes), or undefined. */
export function nodeAt(doc: YamlDoc, path: YamlPath): YamlNode | undefined {
  let node: YamlNode | undefined = doc.root;
  for (const step of path) {
    if (!node) return undefined;
    node = childOf(node, step)?.node;
  }
  return node;
}

/**
 * The position of `path` in `doc`: the key itself for a mapping key (`part: 'key'`, the default) or the
 * value's start (`part: 'value'`). A path that does not exist resolves to its deepest existing ancestor,
 * so a location is always available.
 */
export function locOf(doc: YamlDoc, path: YamlPath, part: 'key' | 'value' = 'key'): SourceLocation {
  let node = doc.root;
  let pos = { line: node.line, col: node.col };
  for (let i = 0; i < path.length; i++) {
    const child = childOf(node, path[i]);
    if (!child) break;
    node = child.node;
    const last = i === path.length - 1;
    pos = last && part === 'key' && child.keyPos ? child.keyPos : { line: node.line, col: node.col };
  }
  return { file: doc.file, line: pos.line, col: pos.col };
}

function childOf(node: YamlNode, step: string | number): { node: YamlNode; keyPos?: { line: number; col: number } } | undefined {
  if (typeof step === 'number') {
    const item = node.items?.[step];
    return item ? { node: item } : undefined;
  }
  const entry = node.entries?.get(step);
  return entry ? { node: entry.value, keyPos: { line: entry.line, col: entry.col } } : undefined;
}

function normalizeText(text: string): string {
  // js-yaml strips a BOM itself, which would shift every position by one; CR LF does not change columns.
  const noBom = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  return noBom.replace(/\r\n?/g, '\n');
}

function parseAll(text: string, file: string): YamlDoc[] {
  const roots: Span[] = [];
  const stack: Span[] = [];
  const values = yaml().loadAll(text, undefined, {
    filename: file,
    schema: yaml().CORE_SCHEMA,
    listener(event, state) {
      if (event === 'open') {
        stack.push({ start: state.position, end: state.position, kind: null, result: null, children: [] });
        return;
      }
      const span = stack.pop();
      if (!span) return;
      span.end = state.position;
      span.kind = state.kind ?? null;
      span.result = state.result;
      const parent = stack[stack.length - 1];
      if (parent) parent.children.push(span);
      else roots.push(span);
    },
  });
  const lines = new LineIndex(text);
  const aligned = roots.length === values.length;
  return values.map((value, index) => ({
    file,
    index,
    value,
    root: aligned ? buildNode(roots[index], text, lines) : { line: 1, col: 1, kind: kindOfValue(value) },
    text,
  }));
}

/** After a syntax error: parse each `---`-separated chunk alone so the other documents still load. */
function parseByChunks(text: string, file: string): ParsedYaml {
  const lines = text.split('\n');
  const starts: number[] = [0];
  lines.forEach((line, i) => {
    if (i > 0 && /^---(?:[ \t]|$)/.test(line)) starts.push(i);
  });
  const docs: YamlDoc[] = [];
  const diagnostics: Diagnostic[] = [];
  starts.forEach((startLine, chunkIndex) => {
    const endLine = chunkIndex + 1 < starts.length ? starts[chunkIndex + 1] : lines.length;
    const chunkLines = lines.slice(startLine, endLine);
    if (chunkLines.every((l) => /^\s*(#.*)?$/.test(l) || /^---\s*$/.test(l))) return;
    // Keep the line numbers: lines of other chunks become empty lines.
    const chunkText = '\n'.repeat(startLine) + chunkLines.join('\n');
    try {
      for (const doc of parseAll(chunkText, file)) {
        docs.push({ ...doc, index: docs.length, text });
      }
    } catch (err) {
      if (!(err instanceof yaml().YAMLException)) throw err;
      diagnostics.push(yamlErrorDiagnostic(err, file));
      // Keep numbering as the author sees it: the broken document still counts.
      docs.push({ file, index: docs.length, value: BROKEN_DOCUMENT, root: { line: startLine + 1, col: 1, kind: 'scalar' }, text });
    }
  });
  const checked = withinAliasLimit(docs.filter((d) => d.value !== BROKEN_DOCUMENT));
  return { docs: checked.docs, diagnostics: [...diagnostics, ...checked.diagnostics] };
}

/**
 * How much YAML aliases may add to one document, in expanded size units (one per node plus one per character of
 * each string, counted at every place an alias repeats it). A few aliases of short lists cost hundreds; a
 * "billion laughs" document of a few hundred bytes expands to billions, which every consumer of the plain value
 * (JSON of the rule model at synth, `scan --format json`) would then write out.
 */
export const MAX_ALIAS_EXPANSION = 1_000_000;

/** Drops each document whose aliases expand past MAX_ALIAS_EXPANSION, with a located error. */
function withinAliasLimit(docs: YamlDoc[]): ParsedYaml {
  const diagnostics: Diagnostic[] = [];
  const kept = docs.filter((doc) => {
    const sizes = expandedSizes(doc.value);
    const expanded = sizeOf(doc.value, sizes);
    if (expanded <= MAX_ALIAS_EXPANSION + doc.text.length) return true;
    const path = aliasCulprit(doc.value, sizes);
    const where = path.length === 0 ? 'the document' : `'${path.join('.')}'`;
    diagnostics.push({
      severity: 'error',
      code: 'yaml-alias-expansion',
      message: `YAML aliases expand this document to about ${expanded.toExponential(1)} nodes and characters, more than the ${MAX_ALIAS_EXPANSION} aliases may add (the alias at ${where} repeats a large anchored value)`,
      hint: 'write the values out, or repeat fewer and smaller anchored values (`*name` aliases)',
      loc: locOf(doc, path),
    });
    return false;
  });
  return { docs: kept, diagnostics };
}

function sizeOf(value: unknown, sizes: Map<object, number>): number {
  if (typeof value === 'string') return 1 + value.length;
  if (value !== null && typeof value === 'object') return sizes.get(value) ?? 1;
  return 1;
}

/**
 * Expanded size of every object and array of a parsed value, each computed once (aliases share one object, so
 * the walk is linear in the text while the sizes count every repetition). Iterative: no recursion on depth.
 */
function expandedSizes(root: unknown): Map<object, number> {
  const sizes = new Map<object, number>();
  if (root === null || typeof root !== 'object') return sizes;
  const stack: { node: object; children: unknown[]; next: number }[] = [{ node: root, children: childrenOf(root), next: 0 }];
  const onStack = new Set<object>([root]);
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    if (top.next < top.children.length) {
      const child = top.children[top.next++];
      if (child !== null && typeof child === 'object' && !sizes.has(child) && !onStack.has(child)) {
        onStack.add(child);
        stack.push({ node: child, children: childrenOf(child), next: 0 });
      }
      continue;
    }
    let total = 1;
    for (const child of top.children) total += sizeOf(child, sizes);
    sizes.set(top.node, Math.min(total, Number.MAX_SAFE_INTEGER));
    onStack.delete(top.node);
    stack.pop();
  }
  return sizes;
}

function childrenOf(node: object): unknown[] {
  if (Array.isArray(node)) return node;
  const out: unknown[] = [];
  for (const key of Object.keys(node)) out.push(key, (node as Record<string, unknown>)[key]);
  return out;
}

/**
 * The path to the alias that makes a document large: from the root, follow the largest child (the last of equal
 * ones: an alias comes after its anchor) until reaching a value that appears more than once (an alias use).
 */
function aliasCulprit(root: unknown, sizes: Map<object, number>): (string | number)[] {
  const uses = new Map<object, number>();
  for (const node of sizes.keys()) {
    for (const child of childrenOf(node)) if (child !== null && typeof child === 'object') uses.set(child, (uses.get(child) ?? 0) + 1);
  }
  const path: (string | number)[] = [];
  let node: unknown = root;
  for (let steps = 0; steps < 10_000 && node !== null && typeof node === 'object'; steps++) {
    let best: { key: string | number; value: unknown; size: number } | undefined;
    const entries: [string | number, unknown][] = Array.isArray(node) ? node.map((v, i) => [i, v]) : Object.entries(node);
    for (const [key, value] of entries) {
      const size = sizeOf(value, sizes);
      if (!best || size >= best.size) best = { key, value, size };
    }
    if (!best) break;
    path.push(best.key);
    node = best.value;
    if (node !== null && typeof node === 'object' && (uses.get(node) ?? 0) > 1) break;
  }
  return path;
}

/** Marks a document that failed to parse in chunk mode (so later document indexes stay right). */
const BROKEN_DOCUMENT = Symbol('broken-yaml-document');

export function yamlErrorDiagnostic(err: JsYaml.YAMLException, file: string): Diagnostic {
  const mark = err.mark;
  return {
    severity: 'error',
    code: 'yaml-syntax',
    message: `YAML syntax error: ${err.reason || err.message}`,
    hint: 'fix the YAML at this position (indentation, a missing `:` or quote, a duplicated key)',
    loc: { file, line: mark ? mark.line + 1 : 1, col: mark ? mark.column + 1 : 1 },
  };
}

function kindOfValue(value: unknown): YamlNode['kind'] {
  if (Array.isArray(value)) return 'sequence';
  if (value !== null && typeof value === 'object') return 'mapping';
  return 'scalar';
}

function buildNode(span: Span, text: string, lines: LineIndex): YamlNode {
  span = unwrap(span);
  const start = contentStart(text, span);
  const pos = lines.position(start);
  const kind: YamlNode['kind'] = span.kind === 'mapping' ? 'mapping' : span.kind === 'sequence' ? 'sequence' : 'scalar';
  const node: YamlNode = { line: pos.line, col: pos.col, kind };
  if (kind === 'sequence') {
    node.items = sequenceItems(span, node, text, lines);
  } else if (kind === 'mapping') {
    node.entries = pairEntries(span, text, lines);
  }
  return node;
}

/**
 * Block sequence entries with nothing after the dash (`-` then a line break) are stored as null without
 * a node of their own; they take the position of the entry before them.
 */
function sequenceItems(span: Span, node: YamlNode, text: string, lines: LineIndex): YamlNode[] {
  const values = Array.isArray(span.result) ? span.result : [];
  const kids = span.children;
  if (kids.length === values.length) return kids.map((c) => buildNode(c, text, lines));
  const items: YamlNode[] = [];
  let next = 0;
  for (const value of values) {
    if (next < kids.length && Object.is(kids[next].result, value)) items.push(buildNode(kids[next++], text, lines));
    else {
      const before = items[items.length - 1] ?? node;
      items.push({ line: before.line, col: before.col, kind: 'scalar' });
    }
  }
  return items;
}

/**
 * A block mapping probes its first entry as a possible key; when no `:` follows, that probe *is* the node,
 * so the outer span only wraps it. The inner span carries the children.
 */
function unwrap(span: Span): Span {
  while (span.children.length === 1 && span.children[0].kind === span.kind && span.children[0].result === span.result) {
    span = span.children[0];
  }
  return span;
}

function pairEntries(span: Span, text: string, lines: LineIndex): Map<string, YamlEntry> {
  const entries = new Map<string, YamlEntry>();
  const children = span.children;
  for (let i = 0; i < children.length; i++) {
    const keySpan = children[i];
    const hasColon = colonFollows(text, keySpan.end);
    if (!hasColon && keySpan.kind === null) continue; // end-of-mapping probe
    const keyNode = buildNode(keySpan, text, lines);
    let valueNode: YamlNode = { line: keyNode.line, col: keyNode.col, kind: 'scalar' };
    if (hasColon && i + 1 < children.length) {
      i += 1;
      valueNode = buildNode(children[i], text, lines);
    }
    const key = String(unwrap(keySpan).result);
    if (!entries.has(key)) entries.set(key, { key, line: keyNode.line, col: keyNode.col, value: valueNode });
  }
  return entries;
}

/** Whether a `:` follows a key: on the same line, or on a later line after an explicit `? key`. */
function colonFollows(text: string, from: number): boolean {
  let i = from;
  while (i < text.length) {
    const ch = text[i];
    if (ch === ' ' || ch === '\t' || ch === '\n') i++;
    else if (ch === '#') {
      while (i < text.length && text[i] !== '\n') i++;
    } else break;
  }
  return text[i] === ':';
}

/** Skips the separation space and comments js-yaml reads after opening a node. */
function contentStart(text: string, span: Span): number {
  let i = span.start;
  while (i < span.end) {
    const ch = text[i];
    if (ch === ' ' || ch === '\t' || ch === '\n') i++;
    else if (ch === '#') {
      while (i < span.end && text[i] !== '\n') i++;
    } else break;
  }
  // A node that read nothing (`key:` with no value) sits right after its key.
  return i >= span.end && span.kind === null ? span.start : i;
}

class LineIndex {
  private readonly starts: number[] = [0];

  constructor(text: string) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.starts.push(i + 1);
  }

  position(offset: number): { line: number; col: number } {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: offset - this.starts[lo] + 1 };
  }
}

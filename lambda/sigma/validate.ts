// Raw YAML documents → validated rule models. Validation never stops at the first problem: each document
// is checked completely and every problem becomes a located diagnostic. Cross-document work (correlation
// references, duplicate ids, `alerts`, `minLevel`) happens in `assembleRuleSet` once every document is read.

import { createHash } from 'node:crypto';
import {
  CORRELATION_TYPES,
  SIGMA_LEVELS,
  type ConditionNode,
  type CorrelationCondition,
  type CorrelationModel,
  type CorrelationType,
  type DetectionModel,
  type Diagnostic,
  type EngineOptions,
  type FieldItem,
  type Level,
  type RuleModel,
  type Scalar,
  type SearchNode,
  type Severity,
  type SourceLocation,
} from './types';
import { locOf, type YamlDoc, type YamlPath } from './yaml-source';
import { ConditionSyntaxError, conditionIdentifiers, parseCondition } from './conditions';
import {
  placeholderHint,
  substituteMap,
  unquotedPlaceholderName,
  type PlaceholderValues,
  type RawFieldItem,
} from './placeholders';
import { validateFieldItem } from './modifiers';
import type * as RegexSafety from './regex-safety';

// The ReDoS checker (redos-detector, a sizeable module) is loaded when a rule first has a `re` value: a scan whose
// rule sets come from the cache of loaded rule sets (bin/cli/rule-cache.ts) never loads it.
let regexSafety: typeof RegexSafety | undefined;
function regexWarnings(item: FieldItem, valueCap: number): ReturnType<typeof RegexSafety.regexWarnings> {
  if (!item.modifiers.includes('re')) return [];
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  regexSafety ??= require('./regex-safety') as typeof RegexSafety;
  return regexSafety.regexWarnings(item, valueCap);
}

/** Top-level keys the rule summary (`Detection.rule`) already carries: not repeated in `meta`. */
const SUMMARY_KEYS = new Set(['id', 'title', 'level', 'tags']);

export interface ValidateOptions {
  placeholders?: PlaceholderValues;
  unresolvedPlaceholders: 'error' | 'skip-rule';
  engine: EngineOptions;
}

/** What one YAML document became. */
export interface RuleDraft {
  file: string;
  line: number;
  docIndex: number;
  title: string;
  kind: 'detection' | 'correlation';
  /** The id as written, or derived. Undefined only when the document is too broken to tell. */
  id?: string;
  name?: string;
  level: Level;
  status: 'ok' | 'error' | 'skipped';
  /** Why the rule is not enabled (status `skipped`). */
  skipReason?: string;
  /** Severity of the diagnostic that reports the skip. */
  skipSeverity?: Severity;
  /** The model, for `ok` drafts (correlation `rules`/`aliases` still hold names until assembly). */
  rule?: RuleModel;
  correlation?: CorrelationDraft;
  /** Placeholder names the detection uses, also when the rule has errors (`check` lists what each rule needs). */
  placeholders?: string[];
}

export interface CorrelationDraft {
  refs: { ref: string; loc: SourceLocation }[];
  aliases: { alias: string; ref: string; field: string; loc: SourceLocation }[];
  generate: boolean;
}

/** Sigma rule statuses; `deprecated` and `unsupported` rules are not enabled. */
export const SIGMA_STATUSES = ['stable', 'test', 'experimental', 'deprecated', 'unsupported'] as const;
const DISABLED_STATUSES = new Set(['deprecated', 'unsupported']);
const DEFAULT_LEVEL: Level = 'medium';
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TIMESPAN_UNITS_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const CORRELATION_KEYS = new Set(['type', 'rules', 'group-by', 'timespan', 'condition', 'aliases', 'generate']);
const CONDITION_COMPARISONS = ['gt', 'gte', 'lt', 'lte', 'eq', 'neq'] as const;
const TEMPORAL_TYPES = new Set<CorrelationType>(['temporal', 'temporal_ordered']);
const VALUE_TYPES = new Set<CorrelationType>(['value_count', 'value_sum', 'value_avg', 'value_percentile']);

/**
 * A stable id for a rule without one: UUID-shaped (version 5 layout) from a SHA-1 of the file path (as
 * given, relative to the root) and the title. Moving or renaming the rule changes it; set `id` to pin it.
 */
export function deriveRuleId(file: string, title: string): string {
  const hex = createHash('sha1').update(`${file}\n${title}`, 'utf8').digest('hex');
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export function levelRank(level: Level): number {
  return SIGMA_LEVELS.indexOf(level);
}

/** Validates one document. Returns undefined for an empty document (a trailing `---`). */
export function validateDocument(doc: YamlDoc, options: ValidateOptions, out: Diagnostic[]): RuleDraft | undefined {
  return new DocumentValidator(doc, options, out).run();
}

class DocumentValidator {
  private readonly raw: Record<string, unknown>;
  private title = '';
  private ruleId?: string;
  private errors = 0;

  constructor(
    private readonly doc: YamlDoc,
    private readonly options: ValidateOptions,
    private readonly out: Diagnostic[],
  ) {
    this.raw = isMapping(doc.value) ? doc.value : {};
  }

  private loc(path: YamlPath, part: 'key' | 'value' = 'key'): SourceLocation {
    return locOf(this.doc, path, part);
  }

  private report(
    severity: Severity,
    code: string,
    loc: SourceLocation,
    message: string,
    hint?: string,
    context: { identifier?: string; field?: string | null; modifier?: string } = {},
  ): void {
    if (severity === 'error') this.errors += 1;
    const d: Diagnostic = { severity, code, message, loc };
    if (hint) d.hint = hint;
    if (this.title) d.ruleTitle = this.title;
    if (this.ruleId) d.ruleId = this.ruleId;
    if (context.identifier !== undefined) d.identifier = context.identifier;
    if (context.field !== undefined && context.field !== null) d.field = context.field;
    if (context.modifier !== undefined) d.modifier = context.modifier;
    this.out.push(d);
  }

  run(): RuleDraft | undefined {
    const { doc } = this;
    if (doc.value === null || doc.value === undefined) return undefined;
    const base = { file: doc.file, line: doc.root.line, docIndex: doc.index };
    if (!isMapping(doc.value)) {
      this.report('error', 'rule-not-mapping', this.loc([]), `a rule document must be a YAML mapping, not ${describe(doc.value)}`,
        'start the document with `title:`, `detection:` (or `correlation:`) and the other rule keys');
      return { ...base, title: '(not a rule)', kind: 'detection', level: DEFAULT_LEVEL, status: 'error' };
    }
    const raw = this.raw;
    const kind: RuleDraft['kind'] = has(raw, 'correlation') ? 'correlation' : 'detection';

    // Title first: every later diagnostic names the rule.
    if (!has(raw, 'title')) {
      this.report('error', 'missing-title', this.loc([]), 'the rule has no title', 'add `title: <what this rule detects>`');
    } else if (typeof raw.title !== 'string' || raw.title.trim() === '') {
      this.report('error', 'bad-title', this.loc(['title'], 'value'), 'the title must be a non-empty string', 'write `title: <what this rule detects>`');
    } else {
      this.title = raw.title;
    }
    const title = this.title || '(untitled)';

    let id: string | undefined;
    let idDerived = false;
    if (has(raw, 'id')) {
      if (typeof raw.id !== 'string' || raw.id.trim() === '') {
        this.report('error', 'bad-id', this.loc(['id'], 'value'), `the id must be a string, not ${describe(raw.id)}`, "quote it: id: '...' (Sigma ids are UUIDs)");
      } else {
        id = raw.id;
        if (!UUID_PATTERN.test(id)) {
          this.report('warning', 'id-not-uuid', this.loc(['id'], 'value'), `the id '${id}' is not a UUID`,
            'Sigma ids are UUIDs (generate one with `uuidgen`); other ids work but may clash with other rule sets');
        }
      }
    } else if (this.title) {
      id = deriveRuleId(doc.file, this.title);
      idDerived = true;
    }
    this.ruleId = id;

    let name: string | undefined;
    if (has(raw, 'name')) {
      if (typeof raw.name === 'string' && raw.name.trim() !== '') name = raw.name;
      else this.report('error', 'bad-name', this.loc(['name'], 'value'), 'the name must be a non-empty string', 'write `name: snake_case_name` (correlations refer to rules by name or id)');
    }

    let level: Level = DEFAULT_LEVEL;
    if (!has(raw, 'level')) {
      this.report('warning', 'missing-level', this.loc([]), `the rule has no level; '${DEFAULT_LEVEL}' is used`, `add \`level: ${SIGMA_LEVELS.join('|')}\``);
    } else if (typeof raw.level === 'string' && (SIGMA_LEVELS as readonly string[]).includes(raw.level)) {
      level = raw.level as Level;
    } else {
      this.report('error', 'bad-level', this.loc(['level'], 'value'), `the level ${JSON.stringify(raw.level)} is not a Sigma level`, `use one of: ${SIGMA_LEVELS.join(', ')}`);
    }

    const draftBase: RuleDraft = { ...base, title, kind, id, name, level, status: 'error' };

    // Enablement: decided before the detection is validated, so rules for other products cost nothing.
    const skipReason = this.disabledReason();
    if (skipReason) {
      this.report('note', 'rule-skipped', this.loc([]), `rule skipped: ${skipReason}`);
      return { ...draftBase, status: 'skipped', skipReason, skipSeverity: 'note' };
    }

    let status: string | undefined;
    if (has(raw, 'status')) {
      if (typeof raw.status === 'string') {
        status = raw.status;
        if (!(SIGMA_STATUSES as readonly string[]).includes(status)) {
          this.report('warning', 'unknown-status', this.loc(['status'], 'value'), `the status '${status}' is not a Sigma status`, `use one of: ${SIGMA_STATUSES.join(', ')}`);
        }
      } else {
        this.report('error', 'bad-status', this.loc(['status'], 'value'), 'the status must be a string', `use one of: ${SIGMA_STATUSES.join(', ')}`);
      }
    }
    let description: string | undefined;
    if (has(raw, 'description')) {
      if (typeof raw.description === 'string') description = raw.description;
      else this.report('error', 'bad-description', this.loc(['description'], 'value'), 'the description must be a string', 'use a block scalar: `description: |` then indented text');
    }
    const tags = this.stringList('tags', false);
    const falsepositives = this.stringList('falsepositives', true);
    const references = this.stringList('references', true);
    const fields = this.stringList('fields', true);

    const meta: Record<string, unknown> = {};
    for (const key of Object.keys(raw)) {
      // The detection's rule summary carries id, title, level and tags (validated); meta holds the rest, once.
      if (key === 'detection' || key === 'correlation' || SUMMARY_KEYS.has(key)) continue;
      defineKey(meta, key, raw[key]);
    }

    const rule: RuleModel = {
      kind, id: id ?? '', idDerived, title, level, tags, falsepositives, references, fields, meta,
      file: doc.file, line: doc.root.line, docIndex: doc.index, alerts: true, placeholders: [],
    };
    if (name !== undefined) rule.name = name;
    if (status !== undefined) rule.status = status;
    if (description !== undefined) rule.description = description;

    let correlation: CorrelationDraft | undefined;
    let unresolved: string[] = [];
    if (has(raw, 'detection') && has(raw, 'correlation')) {
      this.report('error', 'detection-and-correlation', this.loc(['correlation']), 'a rule has either `detection` or `correlation`, not both',
        'put the correlation in its own YAML document, after a `---` line');
    } else if (kind === 'correlation') {
      const built = this.correlation();
      if (built) {
        rule.correlation = built.model;
        correlation = built.draft;
      }
    } else if (!has(raw, 'detection')) {
      this.report('error', 'missing-detection', this.loc([]), 'the rule has no `detection` (nor `correlation`)',
        'add `detection:` with search identifiers and a `condition:`');
    } else {
      const built = this.detection();
      if (built) {
        rule.detection = built.model;
        rule.placeholders = built.placeholders;
        draftBase.placeholders = built.placeholders;
        unresolved = built.unresolved;
      }
    }

    if (this.errors > 0 || id === undefined) return draftBase;
    if (unresolved.length > 0) {
      // Only reached in 'skip-rule' mode: in 'error' mode unresolved placeholders are errors above.
      const reason = `unresolved placeholder${unresolved.length > 1 ? 's' : ''} ${unresolved.map((n) => `'${n}'`).join(', ')}`;
      this.report('warning', 'rule-skipped-placeholder', this.loc(['detection']), `rule skipped: ${reason}`, placeholderHint(unresolved[0]));
      return { ...draftBase, status: 'skipped', skipReason: reason, skipSeverity: 'warning' };
    }
    return { ...draftBase, status: 'ok', rule, correlation };
  }

  private disabledReason(): string | undefined {
    const raw = this.raw;
    if (!has(raw, 'logsource') && has(raw, 'detection')) {
      // The specification makes logsource mandatory; such a rule still runs (on Auth0 logs, as written).
      this.report('warning', 'missing-logsource', this.loc([]), 'the rule has no logsource (the Sigma specification requires one)',
        'add `logsource:` then `  product: auth0`');
    }
    if (has(raw, 'logsource')) {
      const logsource = raw.logsource;
      if (!isMapping(logsource)) {
        // Not a logsource we can read: say so, but as an error, since the author meant something.
        this.report('error', 'bad-logsource', this.loc(['logsource'], 'value'), 'logsource must be a mapping', 'write `logsource:` then `  product: auth0`');
      } else if (!has(logsource, 'product')) {
        return 'its logsource has no product (only `product: auth0` rules, or rules without logsource, run here)';
      } else if (String(logsource.product).toLowerCase() !== 'auth0') {
        return `logsource product '${String(logsource.product)}' is not auth0`;
      }
    }
    if (typeof raw.status === 'string' && DISABLED_STATUSES.has(raw.status)) return `status is ${raw.status}`;
    return undefined;
  }

  /** A list of strings; `single` accepts one string for one entry (`falsepositives: Unknown`). */
  private stringList(key: string, single: boolean): string[] {
    if (!has(this.raw, key) || this.raw[key] === null) return [];
    const value = this.raw[key];
    if (single && typeof value === 'string') return [value];
    if (!Array.isArray(value)) {
      this.report('error', `bad-${key}`, this.loc([key], 'value'), `${key} must be a list of strings, not ${describe(value)}`, `write \`${key}:\` then one \`- item\` per line`);
      return [];
    }
    const out: string[] = [];
    value.forEach((item, i) => {
      if (typeof item === 'string') out.push(item);
      else this.report('error', `bad-${key}`, this.loc([key, i], 'value'), `${key} entries must be strings, not ${describe(item)}`, 'quote the entry');
    });
    return out;
  }

  // ---------------------------------------------------------------- detection

  private detection(): { model: DetectionModel; placeholders: string[]; unresolved: string[] } | undefined {
    const det = this.raw.detection;
    if (!isMapping(det)) {
      this.report('error', 'bad-detection', this.loc(['detection'], 'value'), `detection must be a mapping of search identifiers and a condition, not ${describe(det)}`,
        'write `detection:` then `  selection:` (field: value lines) and `  condition: selection`');
      return undefined;
    }
    const identifiers: Record<string, SearchNode> = {};
    const names: string[] = [];
    const used = new Set<string>();
    const unresolved = new Map<string, { loc: SourceLocation; identifier: string; field: string | null }>();
    for (const key of Object.keys(det)) {
      if (key === 'condition') continue;
      if (key === 'timeframe') {
        this.report('warning', 'timeframe-ignored', this.loc(['detection', key]), '`timeframe` in a detection is ignored',
          'time windows belong to correlation rules (`timespan`)');
        continue;
      }
      names.push(key);
      const node = this.search(key, det[key], used, unresolved);
      if (node) defineKey(identifiers, key, node);
    }

    if (unresolved.size > 0 && this.options.unresolvedPlaceholders === 'error') {
      for (const [name, where] of unresolved) {
        this.report('error', 'unresolved-placeholder', where.loc, `placeholder '{${name}}' has no value`, placeholderHint(name),
          { identifier: where.identifier, field: where.field });
      }
    }

    const conditionLoc = this.loc(['detection', 'condition'], 'value');
    if (!has(det, 'condition')) {
      this.report('error', 'missing-condition', this.loc(['detection']), 'the detection has no condition', `add \`condition: ${names[0] ?? 'selection'}\` under detection`);
      return undefined;
    }
    const rawCondition = det.condition;
    const texts: { text: string; path: YamlPath }[] = [];
    if (typeof rawCondition === 'string') texts.push({ text: rawCondition, path: ['detection', 'condition'] });
    else if (Array.isArray(rawCondition) && rawCondition.length > 0) {
      rawCondition.forEach((c, i) => {
        if (typeof c === 'string') texts.push({ text: c, path: ['detection', 'condition', i] });
        else this.report('error', 'bad-condition', this.loc(['detection', 'condition', i], 'value'), `a condition must be a string, not ${describe(c)}`, 'quote the condition');
      });
    } else {
      this.report('error', 'bad-condition', conditionLoc, `the condition must be a string or a list of strings, not ${describe(rawCondition)}`,
        'write e.g. `condition: selection and not filter`');
    }
    const parsed: ConditionNode[] = [];
    for (const { text, path } of texts) {
      try {
        parsed.push(parseCondition(text, names));
      } catch (err) {
        if (!(err instanceof ConditionSyntaxError)) throw err;
        for (const p of err.problems) {
          this.report('error', p.code, this.conditionColumn(path, text, p.column), `condition: ${p.message}`, p.hint);
        }
      }
    }
    if (parsed.length !== texts.length || texts.length === 0) return undefined;
    const condition: ConditionNode = parsed.length === 1 ? parsed[0] : { op: 'or', args: parsed };

    const referenced = new Set(conditionIdentifiers(condition));
    for (const n of names) {
      if (!referenced.has(n)) {
        this.report('warning', 'unused-identifier', this.loc(['detection', n]), `search identifier '${n}' is not used by the condition`,
          'use it in the condition or remove it', { identifier: n });
      }
    }
    const model: DetectionModel = { identifiers, conditionText: texts.map((t) => t.text), condition, conditionLoc };
    const unresolvedNames = this.options.unresolvedPlaceholders === 'skip-rule' ? [...unresolved.keys()] : [];
    return { model, placeholders: [...used].sort(), unresolved: unresolvedNames };
  }

  /** The exact column of a condition problem when the condition is written on one line; else the value's start. */
  private conditionColumn(path: YamlPath, text: string, column: number): SourceLocation {
    const loc = this.loc(path, 'value');
    const line = this.doc.text.split('\n')[loc.line - 1] ?? '';
    const quote = line[loc.col - 1];
    const start = quote === '"' || quote === "'" ? loc.col : loc.col - 1;
    if (line.slice(start, start + column - 1) === text.slice(0, column - 1)) return { ...loc, col: start + column };
    return loc;
  }

  private search(
    identifier: string,
    value: unknown,
    used: Set<string>,
    unresolved: Map<string, { loc: SourceLocation; identifier: string; field: string | null }>,
  ): SearchNode | undefined {
    const path: YamlPath = ['detection', identifier];
    const keyLoc = this.loc(path);
    const ctx = { identifier };
    if (Array.isArray(value)) {
      if (value.length === 0) {
        this.report('error', 'empty-search', keyLoc, `search identifier '${identifier}' is an empty list`, 'give it field: value entries or keywords', ctx);
        return undefined;
      }
      // A list made only of maps is a list of alternatives, even `- name: null` entries; an unquoted
      // `{name}` is taken as a placeholder only among plain keywords.
      const maps = value.filter((v) => isMapping(v));
      const fieldMaps = maps.filter((v) => unquotedPlaceholderName(v) === undefined);
      if (maps.length === value.length) {
        // A list of maps: alternatives (OR).
        const alternatives: SearchNode[] = [];
        value.forEach((v, i) => {
          const rawItems = this.mapItems(identifier, v as Record<string, unknown>, [...path, i]);
          if (rawItems) alternatives.push(...this.substitute(identifier, rawItems, this.loc([...path, i], 'value'), used, unresolved));
        });
        return alternatives.length > 0 ? { kind: 'anyOf', alternatives, loc: keyLoc } : undefined;
      }
      if (fieldMaps.length > 0) {
        this.report('error', 'mixed-search-list', keyLoc, `search identifier '${identifier}' mixes maps and plain values in one list`,
          'use a list of maps (OR of field conditions) or a list of keywords, not both', ctx);
        return undefined;
      }
      const values = this.values(identifier, null, value, path);
      if (!values) return undefined;
      const item: RawFieldItem = { field: null, modifiers: [], values, loc: this.loc([...path, 0], 'value') };
      return this.single(identifier, [item], keyLoc, used, unresolved);
    }
    if (isMapping(value)) {
      const keys = Object.keys(value);
      if (keys.length === 0) {
        this.report('error', 'empty-search', keyLoc, `search identifier '${identifier}' is an empty map`, 'give it at least one `field: value`', ctx);
        return undefined;
      }
      const rawItems = this.mapItems(identifier, value, path);
      if (!rawItems) return undefined;
      return this.single(identifier, rawItems, keyLoc, used, unresolved);
    }
    this.report('error', 'scalar-search', keyLoc, `search identifier '${identifier}' must be a map of field: value or a list, not ${describe(value)}`,
      `write \`${identifier}:\` then indented \`field: value\` lines (or \`- keyword\` lines)`, ctx);
    return undefined;
  }

  /** Substitutes one map or keyword item and wraps the result: one node, or alternatives when `all` split it. */
  private single(
    identifier: string,
    rawItems: RawFieldItem[],
    loc: SourceLocation,
    used: Set<string>,
    unresolved: Map<string, { loc: SourceLocation; identifier: string; field: string | null }>,
  ): SearchNode | undefined {
    const nodes = this.substitute(identifier, rawItems, loc, used, unresolved);
    if (nodes.length === 0) return undefined;
    return nodes.length === 1 ? nodes[0] : { kind: 'anyOf', alternatives: nodes, loc };
  }

  private substitute(
    identifier: string,
    rawItems: RawFieldItem[],
    loc: SourceLocation,
    used: Set<string>,
    unresolved: Map<string, { loc: SourceLocation; identifier: string; field: string | null }>,
  ): SearchNode[] {
    const result = substituteMap(rawItems, this.options.placeholders);
    result.used.forEach((n) => used.add(n));
    for (const u of result.unresolved) if (!unresolved.has(u.name)) unresolved.set(u.name, { loc: u.loc, identifier, field: u.field });
    for (const p of result.problems) this.report(p.severity, p.code, p.loc, p.message, p.hint, { identifier, field: p.field });
    const unresolvedNames = new Set(result.unresolved.map((u) => u.name));
    const checked = new Set<FieldItem>();
    const nodes: SearchNode[] = [];
    for (const items of result.alternatives) {
      for (const item of items) {
        // Values still holding an unresolved placeholder would only produce noise (already reported).
        if (checked.has(item) || holdsPlaceholder(item, unresolvedNames)) continue;
        checked.add(item);
        this.checkModifiers(identifier, item);
      }
      if (items.length === 1 && items[0].field === null) nodes.push({ kind: 'keywords', item: items[0], loc });
      else nodes.push({ kind: 'map', items, loc });
    }
    return nodes;
  }

  private checkModifiers(identifier: string, item: FieldItem): void {
    const field = item.field;
    for (const p of validateFieldItem(item, this.options.engine)) {
      this.report('error', p.code, item.loc, p.message, p.hint, { identifier, field, modifier: p.modifier });
    }
    // A regex that must run on the backtracking engine still loads, with a warning naming its cost bound.
    for (const p of regexWarnings(item, this.options.engine.regexValueCap)) {
      this.report('warning', p.code, item.loc, p.message, p.hint, { identifier, field, modifier: p.modifier });
    }
  }

  /** The `field|modifier: value` entries of one map, values normalised to lists. */
  private mapItems(identifier: string, map: Record<string, unknown>, path: YamlPath): RawFieldItem[] | undefined {
    const keys = Object.keys(map);
    if (keys.length === 0) {
      this.report('error', 'empty-search', this.loc(path, 'value'), `an alternative of '${identifier}' is an empty map`, 'give it at least one `field: value`', { identifier });
      return undefined;
    }
    const items: RawFieldItem[] = [];
    let ok = true;
    for (const key of keys) {
      const keyPath = [...path, key];
      const loc = this.loc(keyPath);
      const [field, ...mods] = key.split('|');
      if (field === '' && keys.length > 1) {
        this.report('error', 'keyword-in-map', loc, `'${key}' has no field name, which makes it a keyword search, and keyword searches cannot be ANDed with fields in one map`,
          'move it to its own search identifier and combine both in the condition', { identifier });
        ok = false;
        continue;
      }
      const emptyModifier = mods.findIndex((m) => m.trim() === '');
      if (emptyModifier >= 0) {
        this.report('error', 'empty-modifier', loc, `'${key}' has an empty modifier (two '|' in a row or a trailing '|')`, 'remove the extra `|`',
          { identifier, field: field || null });
        ok = false;
        continue;
      }
      const values = this.values(identifier, field || null, map[key], keyPath);
      if (!values) {
        ok = false;
        continue;
      }
      items.push({ field: field === '' ? null : field, modifiers: mods, values, loc });
    }
    return ok ? items : undefined;
  }

  /** A value or a list of values, as a list. Recognises an unquoted `{name}` (YAML read it as a map). */
  private values(identifier: string, field: string | null, value: unknown, path: YamlPath): Scalar[] | undefined {
    const ctx = { identifier, field };
    const one = (v: unknown, p: YamlPath): Scalar | undefined => {
      if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') {
        if (typeof v === 'number' && !Number.isFinite(v)) {
          this.report('error', 'bad-value', this.loc(p, 'value'), `the value ${String(v)} is not a finite number`, 'quote it if it is text', ctx);
          return undefined;
        }
        return v;
      }
      const placeholder = unquotedPlaceholderName(v);
      if (placeholder !== undefined) {
        this.report('warning', 'unquoted-placeholder', this.loc(p, 'value'),
          `the unquoted {${placeholder}} is read by YAML as a map; it is taken as the placeholder '{${placeholder}}'`,
          `quote it: '{${placeholder}}'`, ctx);
        return `{${placeholder}}`;
      }
      this.report('error', 'bad-value', this.loc(p, 'value'), `a value must be a string, number, boolean or null, not ${describe(v)}`,
        isMapping(v) ? 'nested maps are not Sigma: write the nested field as a dotted path (`a.b: value`)' : 'flatten the list', ctx);
      return undefined;
    };
    if (Array.isArray(value)) {
      if (value.length === 0) {
        this.report('error', 'empty-value-list', this.loc(path, 'value'), 'the value list is empty, so it can never match', 'give at least one value, or use `|exists: false`', ctx);
        return undefined;
      }
      const out: Scalar[] = [];
      let ok = true;
      value.forEach((v, i) => {
        const s = one(v, [...path, i]);
        if (s === undefined) ok = false;
        else if (s === null && field === null) {
          this.report('error', 'null-keyword', this.loc([...path, i], 'value'), 'a keyword cannot be null', 'remove the empty `-` entry', ctx);
          ok = false;
        } else out.push(s);
      });
      return ok ? out : undefined;
    }
    const s = one(value, path);
    return s === undefined ? undefined : [s];
  }

  // ---------------------------------------------------------------- correlation

  private correlation(): { model: CorrelationModel; draft: CorrelationDraft } | undefined {
    const corr = this.raw.correlation;
    const base: YamlPath = ['correlation'];
    if (!isMapping(corr)) {
      this.report('error', 'bad-correlation', this.loc(base, 'value'), `correlation must be a mapping, not ${describe(corr)}`,
        'write `correlation:` with `type`, `rules`, `group-by`, `timespan` and `condition` below it');
      return undefined;
    }
    const before = this.errors;
    for (const key of Object.keys(corr)) {
      if (!CORRELATION_KEYS.has(key)) {
        this.report('warning', 'unknown-correlation-key', this.loc([...base, key]), `unknown correlation key '${key}' is ignored`,
          `correlation keys are: ${[...CORRELATION_KEYS].join(', ')}`);
      }
    }

    let type: CorrelationType | undefined;
    if (!has(corr, 'type')) this.report('error', 'missing-correlation-type', this.loc(base), 'the correlation has no type', `add \`type:\` (${CORRELATION_TYPES.join(', ')})`);
    else if (typeof corr.type === 'string' && (CORRELATION_TYPES as readonly string[]).includes(corr.type)) type = corr.type as CorrelationType;
    else this.report('error', 'bad-correlation-type', this.loc([...base, 'type'], 'value'), `unknown correlation type ${JSON.stringify(corr.type)}`, `use one of: ${CORRELATION_TYPES.join(', ')}`);

    const refs: CorrelationDraft['refs'] = [];
    if (!has(corr, 'rules')) {
      this.report('error', 'missing-correlation-rules', this.loc(base), 'the correlation has no `rules`', 'list the names or ids of the rules it correlates under `rules:`');
    } else {
      const list = typeof corr.rules === 'string' ? [corr.rules] : corr.rules;
      if (!Array.isArray(list) || list.length === 0) {
        this.report('error', 'bad-correlation-rules', this.loc([...base, 'rules'], 'value'), '`rules` must be a non-empty list of rule names or ids', 'write `rules:` then `- rule_name` lines');
      } else {
        list.forEach((r, i) => {
          const p = typeof corr.rules === 'string' ? [...base, 'rules'] : [...base, 'rules', i];
          if (typeof r === 'string' && r.trim() !== '') refs.push({ ref: r, loc: this.loc(p, 'value') });
          else this.report('error', 'bad-correlation-rules', this.loc(p, 'value'), `a rule reference must be a name or id, not ${describe(r)}`, 'write the `name` or `id` of a rule');
        });
        if (type && TEMPORAL_TYPES.has(type) && list.length < 2) {
          this.report('error', 'temporal-needs-rules', this.loc([...base, 'rules'], 'value'), `a ${type} correlation needs at least two rules`, 'list every rule that must match within the timespan');
        }
      }
    }

    let groupBy: string[] = [];
    if (has(corr, 'group-by') && corr['group-by'] !== null) {
      const g = typeof corr['group-by'] === 'string' ? [corr['group-by']] : corr['group-by'];
      if (!Array.isArray(g) || !g.every((x) => typeof x === 'string' && x !== '')) {
        this.report('error', 'bad-group-by', this.loc([...base, 'group-by'], 'value'), '`group-by` must be a list of field names', 'write `group-by:` then `- data.ip` lines');
      } else groupBy = g as string[];
    }

    let timespanMs = 0;
    let timespan = '';
    if (!has(corr, 'timespan')) {
      this.report('error', 'missing-timespan', this.loc(base), 'the correlation has no timespan', 'add e.g. `timespan: 5m` (s, m, h or d)');
    } else {
      const m = typeof corr.timespan === 'string' ? /^(\d+)([smhd])$/.exec(corr.timespan.trim()) : null;
      if (!m || Number(m[1]) <= 0) {
        this.report('error', 'bad-timespan', this.loc([...base, 'timespan'], 'value'), `the timespan ${JSON.stringify(corr.timespan)} is not a duration`,
          'write a positive whole number and a unit: 30s, 5m, 1h or 2d');
      } else {
        timespan = corr.timespan as string;
        timespanMs = Number(m[1]) * TIMESPAN_UNITS_MS[m[2]];
      }
    }

    const condition = this.correlationCondition(corr, type, refs.length);

    const aliases: CorrelationDraft['aliases'] = [];
    if (has(corr, 'aliases') && corr.aliases !== null) {
      if (!isMapping(corr.aliases)) {
        this.report('error', 'bad-aliases', this.loc([...base, 'aliases'], 'value'), '`aliases` must map an alias to {rule: field}', 'write `aliases:` then `  ip: {rule_a: data.ip, rule_b: data.client_ip}`');
      } else {
        for (const [alias, mapping] of Object.entries(corr.aliases)) {
          const p = [...base, 'aliases', alias];
          if (!isMapping(mapping) || Object.keys(mapping).length === 0) {
            this.report('error', 'bad-aliases', this.loc(p, 'value'), `alias '${alias}' must map rule names to field names`, `write \`${alias}: {rule_name: field.path}\``);
            continue;
          }
          for (const [ref, field] of Object.entries(mapping)) {
            if (typeof field !== 'string' || field === '') {
              this.report('error', 'bad-aliases', this.loc([...p, ref], 'value'), `alias '${alias}': the field for '${ref}' must be a field name`, 'write the field path as a string');
            } else if (!refs.some((r) => r.ref === ref)) {
              this.report('error', 'alias-unknown-rule', this.loc([...p, ref]), `alias '${alias}' names '${ref}', which is not among the correlation's rules`,
                `use one of: ${refs.map((r) => r.ref).join(', ')}`);
            } else aliases.push({ alias, ref, field, loc: this.loc([...p, ref]) });
          }
        }
      }
    }

    let generate = false;
    if (has(corr, 'generate')) {
      if (typeof corr.generate === 'boolean') generate = corr.generate;
      else this.report('error', 'bad-generate', this.loc([...base, 'generate'], 'value'), '`generate` must be true or false', 'true makes the referenced rules alert on their own too');
    }

    if (this.errors > before || !type || !condition) return undefined;
    const model: CorrelationModel = {
      type, rules: refs.map((r) => r.ref), groupBy, timespanMs, timespan, condition, aliases: {}, loc: this.loc(base),
    };
    return { model, draft: { refs, aliases, generate } };
  }

  private correlationCondition(corr: Record<string, unknown>, type: CorrelationType | undefined, ruleCount: number): CorrelationCondition | undefined {
    const p: YamlPath = ['correlation', 'condition'];
    const temporal = type !== undefined && TEMPORAL_TYPES.has(type);
    if (!has(corr, 'condition') || corr.condition === null) {
      // Temporal correlations mean "every rule matched in the window" unless a condition says otherwise.
      if (temporal) return { gte: Math.max(ruleCount, 1) };
      this.report('error', 'missing-correlation-condition', this.loc(['correlation']), 'the correlation has no condition', 'add e.g. `condition: {gte: 10}`');
      return undefined;
    }
    const c = corr.condition;
    if (!isMapping(c)) {
      this.report('error', 'bad-correlation-condition', this.loc(p, 'value'), 'the correlation condition must be a mapping like {gte: 10}', 'write `condition:` then `  gte: 10`');
      return undefined;
    }
    const out: CorrelationCondition = {};
    let ok = true;
    for (const [key, value] of Object.entries(c)) {
      if ((CONDITION_COMPARISONS as readonly string[]).includes(key) || key === 'percentile') {
        if (typeof value !== 'number' || !Number.isFinite(value)) {
          this.report('error', 'bad-correlation-condition', this.loc([...p, key], 'value'), `'${key}' must be a number, not ${describe(value)}`, `write \`${key}: 10\``);
          ok = false;
        } else if (key === 'percentile' && (value < 0 || value > 100)) {
          this.report('error', 'bad-correlation-condition', this.loc([...p, key], 'value'), 'percentile must be between 0 and 100', 'write e.g. `percentile: 95`');
          ok = false;
        } else (out as Record<string, number>)[key] = value;
      } else if (key === 'field') {
        if (typeof value === 'string' && value !== '') out.field = value;
        else {
          this.report('error', 'bad-correlation-condition', this.loc([...p, key], 'value'), '`field` must be a field name', 'write `field: data.user_id`');
          ok = false;
        }
      } else {
        this.report('error', 'bad-correlation-condition', this.loc([...p, key]), `unknown condition key '${key}'`, `use ${CONDITION_COMPARISONS.join(', ')}, field or percentile`);
        ok = false;
      }
    }
    if (!ok) return undefined;
    if (!CONDITION_COMPARISONS.some((k) => out[k] !== undefined)) {
      this.report('error', 'bad-correlation-condition', this.loc(p), 'the condition has no comparison', `add one of ${CONDITION_COMPARISONS.join(', ')}, e.g. \`gte: 10\``);
      return undefined;
    }
    if (type && VALUE_TYPES.has(type) && out.field === undefined) {
      this.report('error', 'missing-correlation-field', this.loc(p), `a ${type} correlation needs \`field\` in its condition`, 'add e.g. `field: data.user_id` under condition');
      return undefined;
    }
    if (type === 'value_percentile' && out.percentile === undefined) {
      this.report('error', 'missing-correlation-percentile', this.loc(p), 'a value_percentile correlation needs `percentile` in its condition', 'add e.g. `percentile: 95` under condition');
      return undefined;
    }
    if (type && !VALUE_TYPES.has(type) && out.field !== undefined) {
      this.report('warning', 'correlation-field-ignored', this.loc([...p, 'field']), `\`field\` has no meaning for a ${type} correlation and is ignored`, 'remove it');
    }
    return out;
  }
}

function holdsPlaceholder(item: FieldItem, names: Set<string>): boolean {
  if (names.size === 0) return false;
  return item.values.some((v) => typeof v === 'string' && [...names].some((n) => v.includes(`{${n}}`) || v.includes(`%${n}%`)));
}

export interface AssembleOptions {
  minLevel?: Level;
}

export interface AssembledRules {
  rules: RuleModel[];
  skipped: { file: string; line: number; title: string; reason: string }[];
}

/**
 * Cross-document checks and decisions, in this order: duplicate ids; correlation references (same file
 * first, then every file; ambiguous or missing is an error; a reference to a skipped rule skips the
 * correlation); `minLevel` (a rule below it is still kept when a kept correlation needs it); `alerts`.
 */
export function assembleRuleSet(drafts: RuleDraft[], options: AssembleOptions, out: Diagnostic[]): AssembledRules {
  const report = (d: RuleDraft, severity: Severity, code: string, loc: SourceLocation, message: string, hint?: string): void => {
    const diag: Diagnostic = { severity, code, message, loc, ruleTitle: d.title };
    if (d.id) diag.ruleId = d.id;
    if (hint) diag.hint = hint;
    out.push(diag);
  };
  const ruleLoc = (d: RuleDraft): SourceLocation => ({ file: d.file, line: d.line, col: 1 });

  // Duplicate ids: the first keeps it.
  const byId = new Map<string, RuleDraft>();
  for (const d of drafts) {
    if (d.status !== 'ok' || !d.id) continue;
    const first = byId.get(d.id);
    if (first) {
      report(d, 'error', 'duplicate-id', ruleLoc(d), `the id ${d.id} is also used by '${first.title}' (${first.file}:${first.line})`,
        d.rule?.idDerived ? 'two rules in one file share a title: give them different titles or explicit ids' : 'give each rule its own id (`uuidgen`)');
      d.status = 'error';
    } else byId.set(d.id, d);
  }

  // Correlation references.
  const targets = new Map<RuleDraft, RuleDraft[]>();
  const named = (ref: string): RuleDraft[] => drafts.filter((d) => d.name === ref || d.id === ref);
  for (const d of drafts) {
    if (d.status !== 'ok' || !d.correlation) continue;
    const resolved: RuleDraft[] = [];
    for (const { ref, loc } of d.correlation.refs) {
      const all = named(ref).filter((t) => t !== d);
      const local = all.filter((t) => t.file === d.file);
      const pool = local.length > 0 ? local : all;
      if (named(ref).includes(d) && all.length === 0) {
        report(d, 'error', 'self-reference', loc, `the correlation references itself ('${ref}')`, 'reference the detection rules it correlates');
        d.status = 'error';
      } else if (pool.length === 0) {
        const known = drafts.filter((t) => t.file === d.file && t !== d).map((t) => t.name ?? t.id).filter(Boolean);
        report(d, 'error', 'unknown-rule-reference', loc, `no rule has the name or id '${ref}'`,
          known.length > 0 ? `rules in this file: ${known.join(', ')}; set \`name: ${ref}\` on the rule meant` : `set \`name: ${ref}\` on the rule meant`);
        d.status = 'error';
      } else if (pool.length > 1) {
        report(d, 'error', 'ambiguous-rule-reference', loc, `'${ref}' names several rules: ${pool.map((t) => `'${t.title}' (${t.file}:${t.line})`).join(', ')}`,
          'reference the rule by its id, or give the rules distinct names');
        d.status = 'error';
      } else resolved.push(pool[0]);
    }
    targets.set(d, resolved);
  }
  // Broken or skipped targets propagate until nothing changes (correlations may reference correlations).
  let changed = true;
  while (changed) {
    changed = false;
    for (const [d, ts] of targets) {
      if (d.status !== 'ok') continue;
      const broken = ts.find((t) => t.status === 'error');
      const skipped = ts.find((t) => t.status === 'skipped');
      const refLoc = (t: RuleDraft): SourceLocation => d.correlation?.refs.find((r) => r.ref === t.name || r.ref === t.id)?.loc ?? ruleLoc(d);
      if (broken) {
        report(d, 'error', 'reference-to-broken-rule', refLoc(broken), `the referenced rule '${broken.title}' (${broken.file}:${broken.line}) has errors`,
          'fix that rule first');
        d.status = 'error';
        changed = true;
      } else if (skipped) {
        const reason = `it references '${skipped.title}', which is skipped (${skipped.skipReason ?? 'not enabled'})`;
        report(d, 'warning', 'rule-skipped-reference', refLoc(skipped), `rule skipped: ${reason}`);
        d.status = 'skipped';
        d.skipReason = reason;
        d.skipSeverity = 'warning';
        changed = true;
      }
    }
  }

  // minLevel: rules at or above it, plus whatever a kept correlation needs.
  const minRank = options.minLevel ? levelRank(options.minLevel) : 0;
  const kept = new Set<RuleDraft>();
  const keep = (d: RuleDraft): void => {
    if (kept.has(d) || d.status !== 'ok') return;
    kept.add(d);
    (targets.get(d) ?? []).forEach(keep);
  };
  drafts.filter((d) => d.status === 'ok' && levelRank(d.level) >= minRank).forEach(keep);
  for (const d of drafts) {
    if (d.status === 'ok' && !kept.has(d)) {
      d.status = 'skipped';
      d.skipReason = `level ${d.level} is below the minimum level ${options.minLevel}`;
      d.skipSeverity = 'note';
      report(d, 'note', 'rule-skipped', ruleLoc(d), `rule skipped: ${d.skipReason}`);
    }
  }

  // alerts: a rule referenced by a kept correlation is silent unless one of them says `generate: true`.
  const referencedBy = new Map<RuleDraft, RuleDraft[]>();
  for (const d of kept) {
    for (const t of targets.get(d) ?? []) referencedBy.set(t, [...(referencedBy.get(t) ?? []), d]);
  }
  const rules: RuleModel[] = [];
  for (const d of drafts) {
    if (!kept.has(d) || !d.rule) continue;
    const rule = d.rule;
    if (rule.kind === 'correlation' && rule.correlation && d.correlation) {
      const ts = targets.get(d) ?? [];
      const idOf = (ref: string): string => ts.find((t) => t.name === ref || t.id === ref)?.id ?? ref;
      rule.correlation.rules = d.correlation.refs.map((r) => idOf(r.ref));
      const aliases: CorrelationModel['aliases'] = {};
      for (const a of d.correlation.aliases) {
        if (!Object.prototype.hasOwnProperty.call(aliases, a.alias)) defineKey(aliases, a.alias, {});
        defineKey(aliases[a.alias], idOf(a.ref), a.field);
      }
      rule.correlation.aliases = aliases;
      rule.alerts = true;
    } else {
      const refs = referencedBy.get(d) ?? [];
      rule.alerts = refs.length === 0 || refs.some((c) => c.correlation?.generate === true);
    }
    rules.push(rule);
  }
  const skipped = drafts
    .filter((d) => d.status === 'skipped')
    .map((d) => ({ file: d.file, line: d.line, title: d.title, reason: d.skipReason ?? 'not enabled' }));
  return { rules, skipped };
}

export function isMapping(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function has(obj: Record<string, unknown>, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key);
}

/** Own-property assignment that keeps `__proto__` an ordinary key. */
export function defineKey<T>(target: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  return `${typeof value} ${JSON.stringify(value)}`;
}

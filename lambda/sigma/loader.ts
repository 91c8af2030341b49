// Rule loading: files and folders → YAML documents → validated rule set. The only engine file (with the
// fixtures runner) that touches the file system; everything after reading is `loadRulesFromText`, so the
// CLI, the synth step and tests share one path.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_ENGINE_OPTIONS, SIGMA_LEVELS, type Diagnostic, type EngineOptions, type Level, type RuleSetModel } from './types';
import { Diagnostics, RuleError, compareDiagnostics } from './diagnostics';
import { parseYamlDocuments } from './yaml-source';
import { assembleRuleSet, isMapping, validateDocument, type RuleDraft, type ValidateOptions } from './validate';
import { parsePlaceholderConfig, placeholderValueList, type PlaceholderValues } from './placeholders';
import { applyFilters, isFilterDocument, validateFilterDocument, type FilterDraft, type FilterTarget } from './filters';
import { parseDetectionConfig, type DetectionConfig, type RuleOverride } from './detection-config';
import type { YamlDoc } from './yaml-source';

export interface LoadOptions {
  /** Placeholder values (`--set`, `--config`, CDK context). */
  placeholders?: PlaceholderValues;
  /** `error` (default; `check`, synth): an unresolved placeholder is an error. `skip-rule` (`scan`): the rule is skipped with a warning. */
  unresolvedPlaceholders?: 'error' | 'skip-rule';
  /** Rules below this level are skipped (unless a kept correlation needs them). */
  minLevel?: Level;
  engine?: Partial<EngineOptions>;
  /** Rule files are named relative to this folder (default: the current directory). */
  root?: string;
  /** Per-rule overrides (`overrides:` of the detection config file). */
  overrides?: readonly RuleOverride[];
  /** Filter documents of the detection config file (filters in rule sources are found while loading). */
  configFilters?: readonly YamlDoc[];
}

/** One placeholder the rule set needs: the rules (and filters) using it, and whether it has a value. */
export interface PlaceholderUse {
  name: string;
  hasValue: boolean;
  usedBy: { id: string; title: string; file: string; line: number }[];
}

export interface SkippedRule {
  file: string;
  line: number;
  title: string;
  reason: string;
}

export interface LoadResult {
  model: RuleSetModel;
  /** Every problem, sorted by file, line and column. */
  diagnostics: Diagnostic[];
  skipped: SkippedRule[];
  /** The files read, as named in the model. */
  files: string[];
  /** Every placeholder the enabled (or failing) rules and filters use, sorted by name. */
  placeholderUse: PlaceholderUse[];
  /** Sigma filters read (from rule sources and the config file), valid or not. */
  filters: FilterDraft[];
  /** Placeholders given a value that no loaded rule or filter uses (often a misspelt name). */
  unusedPlaceholders: string[];
}

export interface RuleSource {
  file: string;
  text: string;
}

const RULE_FILE = /\.ya?ml$/i;
const FIXTURE_FILE = /\.test\.ya?ml$/i;

/** A rule file: `*.yml`/`*.yaml`, not a fixture file (`*.test.yml`). */
export function isRuleFile(name: string): boolean {
  return RULE_FILE.test(name) && !FIXTURE_FILE.test(name);
}

/**
 * The rule files under `paths` (files or folders, searched recursively; folders starting with `.` are not
 * entered), sorted so loading is stable. A path that does not exist is an error: reported in `diagnostics`
 * when given, thrown as a `RuleError` otherwise.
 */
export function findRuleFiles(paths: readonly string[], diagnostics?: Diagnostics): string[] {
  const found = new Set<string>();
  const problems: Diagnostic[] = [];
  const visited = new Set<string>();
  const walk = (dir: string): void => {
    let real: string;
    try {
      real = fs.realpathSync(dir);
    } catch {
      return;
    }
    if (visited.has(real)) return; // symlink loops
    visited.add(real);
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      let isDir = entry.isDirectory();
      let isFile = entry.isFile();
      if (entry.isSymbolicLink()) {
        try {
          const st = fs.statSync(full);
          isDir = st.isDirectory();
          isFile = st.isFile();
        } catch {
          // A dangling link named like a rule is a rule the user expects to run: say so rather than skip it.
          if (isRuleFile(entry.name)) {
            problems.push({
              severity: 'warning', code: 'dangling-link', message: `'${full}' is a symbolic link to nothing; the rule was not loaded`,
              hint: 'fix or remove the link', loc: { file: toPosix(full), line: 1, col: 1 },
            });
          }
          continue;
        }
      }
      if (isDir && !entry.name.startsWith('.')) walk(full);
      else if (isFile && isRuleFile(entry.name)) found.add(full);
    }
  };
  // Files are sorted within each path and the paths keep their order: the first source named wins a duplicate.
  const ordered: string[] = [];
  const placed = new Set<string>();
  const flush = (): void => {
    const batch = [...found].filter((f) => !placed.has(f));
    batch.forEach((f) => placed.add(f));
    ordered.push(...batch.sort((a, b) => (toPosix(a) < toPosix(b) ? -1 : toPosix(a) > toPosix(b) ? 1 : 0)));
  };
  for (const p of paths) {
    flush();
    let stat: fs.Stats;
    try {
      stat = fs.statSync(p);
    } catch {
      problems.push({
        severity: 'error', code: 'path-not-found', message: `rules path '${p}' does not exist`,
        hint: 'pass an existing rule file or folder (--rules PATH)', loc: { file: toPosix(p), line: 1, col: 1 },
      });
      continue;
    }
    if (stat.isDirectory()) walk(p);
    else if (isRuleFile(path.basename(p))) found.add(p);
    else if (!FIXTURE_FILE.test(p)) {
      problems.push({
        severity: 'warning', code: 'not-a-rule-file', message: `'${p}' is not a .yml or .yaml file and was not loaded`,
        hint: 'rule files end in .yml or .yaml', loc: { file: toPosix(p), line: 1, col: 1 },
      });
    }
  }
  flush();
  if (diagnostics) diagnostics.addAll(problems);
  else if (problems.some((d) => d.severity === 'error')) throw new RuleError(problems);
  return ordered;
}

/** Loads every rule under `paths`. Never throws for bad rules: problems are in `diagnostics`. */
/**
 * Loads every rule file under `paths`. `cache` (optional: `scan`'s cache of loaded rule sets, bin/cli/rule-cache.ts)
 * is consulted for the result of `loadRulesFromText` on the files read, and given a fresh one.
 */
export function loadRules(paths: readonly string[], options: LoadOptions = {}, cache?: LoadResultCache): LoadResult {
  const diagnostics = new Diagnostics();
  const root = options.root ?? process.cwd();
  const sources: RuleSource[] = [];
  for (const file of findRuleFiles(paths, diagnostics)) {
    const name = relativeName(file, root);
    try {
      sources.push({ file: name, text: fs.readFileSync(file, 'utf8') });
    } catch (err) {
      diagnostics.add({
        severity: 'error', code: 'read-error', message: `cannot read the file: ${(err as Error).message}`,
        hint: 'check the file permissions', loc: { file: name, line: 1, col: 1 },
      });
    }
  }
  let result = cache?.get(sources, options);
  if (!result) {
    result = loadRulesFromText(sources, options);
    cache?.set(sources, options, result);
  }
  return { ...result, diagnostics: [...diagnostics.all(), ...result.diagnostics].sort(compareDiagnostics) };
}

/**
 * A store of `loadRulesFromText` results by everything they depend on (the sources and options given, the
 * engine's code): `scan`'s cache of loaded rule sets (bin/cli/rule-cache.ts).
 */
export interface LoadResultCache {
  get(sources: readonly RuleSource[], options: LoadOptions): LoadResult | undefined;
  set(sources: readonly RuleSource[], options: LoadOptions, result: LoadResult): void;
}

/** Loads rules from text. An absolute `file` is named relative to `options.root`; others are kept (with `/`). */
export function loadRulesFromText(sources: readonly RuleSource[], options: LoadOptions = {}): LoadResult {
  const root = options.root ?? process.cwd();
  const diagnostics: Diagnostic[] = [];
  const engine = engineOptions(options.engine, diagnostics);
  const validateOptions: ValidateOptions = {
    placeholders: options.placeholders,
    unresolvedPlaceholders: options.unresolvedPlaceholders ?? 'error',
    engine,
  };
  if (options.minLevel !== undefined && !(SIGMA_LEVELS as readonly string[]).includes(options.minLevel)) {
    throw new RuleError([], `minLevel '${String(options.minLevel)}' is not a Sigma level (${SIGMA_LEVELS.join(', ')})`);
  }
  const drafts: RuleDraft[] = [];
  const rawOf = new Map<RuleDraft, Record<string, unknown>>();
  const filters: FilterDraft[] = [];
  const files: string[] = [];
  const overrides = new Map<string, RuleOverride>();
  for (const o of options.overrides ?? []) overrides.set(o.ruleId, o);
  for (const source of sources) {
    const file = path.isAbsolute(source.file) ? relativeName(source.file, root) : toPosix(source.file);
    files.push(file);
    const parsed = parseYamlDocuments(source.text, file);
    diagnostics.push(...parsed.diagnostics);
    for (const doc of parsed.docs) {
      if (isFilterDocument(doc.value)) {
        filters.push(validateFilterDocument(doc, validateOptions, diagnostics));
        continue;
      }
      const draft = disabledByOverride(doc, overrides, diagnostics) ?? validateDocument(doc, validateOptions, diagnostics);
      if (!draft) continue;
      drafts.push(draft);
      if (isMapping(doc.value)) rawOf.set(draft, doc.value);
    }
  }
  for (const doc of options.configFilters ?? []) filters.push(validateFilterDocument(doc, validateOptions, diagnostics, true));

  const loaded = dropDuplicates(drafts, rawOf, diagnostics);
  applyLevelOverrides(loaded, overrides, diagnostics);
  const { rules, skipped } = assembleRuleSet(loaded, { minLevel: options.minLevel }, diagnostics);
  const targets: FilterTarget[] = loaded.filter((d) => d.id).map((d) => ({
    id: d.id!, name: d.name, title: d.title, file: d.file, line: d.line, kind: d.kind, status: d.status, skipReason: d.skipReason,
    counts: d.correlation?.refs.map((r) => r.ref),
  }));
  applyFilters(rules, targets, filters, diagnostics);
  const uses = placeholderUse(loaded, filters, options.placeholders);
  return {
    model: { version: 1, rules, options: engine },
    diagnostics: diagnostics.sort(compareDiagnostics),
    skipped,
    files,
    placeholderUse: uses,
    filters,
    unusedPlaceholders: Object.keys(options.placeholders ?? {}).filter((name) => !uses.some((u) => u.name === name)).sort(),
  };
}

/** A rule turned off by `overrides: {<id>: {enabled: false}}`: skipped before validation, so its errors and unset placeholders do not count. */
function disabledByOverride(doc: YamlDoc, overrides: Map<string, RuleOverride>, out: Diagnostic[]): RuleDraft | undefined {
  const raw = doc.value;
  if (!isMapping(raw) || typeof raw.id !== 'string') return undefined;
  const override = overrides.get(raw.id);
  if (!override || override.enabled !== false) return undefined;
  const title = typeof raw.title === 'string' && raw.title.trim() !== '' ? raw.title : '(untitled)';
  const reason = `disabled by the override at ${override.loc.file}:${override.loc.line}`;
  out.push({ severity: 'note', code: 'rule-skipped', message: `rule skipped: ${reason}`, loc: { file: doc.file, line: doc.root.line, col: doc.root.col }, ruleId: raw.id, ruleTitle: title });
  return {
    file: doc.file, line: doc.root.line, docIndex: doc.index, title, id: raw.id,
    name: typeof raw.name === 'string' ? raw.name : undefined,
    kind: Object.prototype.hasOwnProperty.call(raw, 'correlation') ? 'correlation' : 'detection',
    level: 'medium', status: 'skipped', skipReason: reason, skipSeverity: 'note',
  };
}

/** The keys that make a rule's detection logic: two rules with the same id and equal values here are one rule. */
const LOGIC_KEYS = ['logsource', 'detection', 'correlation', 'level'];

/**
 * A rule that arrives twice (same id, other file) with the same detection logic loads once, from the first
 * source: a note names both files and the fields that differ. Different logic under one id is an error naming
 * both files. Duplicates within one file are left to `assembleRuleSet` (always an error).
 */
function dropDuplicates(drafts: RuleDraft[], rawOf: Map<RuleDraft, Record<string, unknown>>, out: Diagnostic[]): RuleDraft[] {
  const firstById = new Map<string, RuleDraft>();
  const kept: RuleDraft[] = [];
  for (const d of drafts) {
    const raw = rawOf.get(d);
    const explicitId = raw && typeof raw.id === 'string' ? raw.id : undefined;
    const first = explicitId === undefined ? undefined : firstById.get(explicitId);
    if (explicitId !== undefined && !first) firstById.set(explicitId, d);
    if (!first || first.file === d.file || explicitId === undefined) {
      kept.push(d);
      continue;
    }
    const firstRaw = rawOf.get(first)!;
    const differing = [...new Set([...Object.keys(firstRaw), ...Object.keys(raw!)])].filter((k) => canonical(firstRaw[k]) !== canonical(raw![k]));
    const logic = differing.filter((k) => LOGIC_KEYS.includes(k));
    const loc = { file: d.file, line: d.line, col: 1 };
    const where = `${first.file}:${first.line}`;
    if (logic.length === 0) {
      const others = differing.length > 0 ? `; fields that differ: ${differing.join(', ')}` : '; the two copies are identical';
      out.push({
        severity: 'note', code: 'duplicate-rule', loc, ruleId: explicitId, ruleTitle: d.title,
        message: `rule ${explicitId} is also in ${where} with the same detection logic: loaded once, from ${first.file} (the first rule source)${others}`,
      });
      continue; // dropped
    }
    out.push({
      severity: 'error', code: 'duplicate-id', loc, ruleId: explicitId, ruleTitle: d.title,
      message: `the id ${explicitId} is also used by '${first.title}' (${where}) with different detection logic (${logic.join(', ')} differ${logic.length === 1 ? 's' : ''})`,
      hint: 'keep one copy in the rule sources, or give your edited copy its own id (`uuidgen`)',
    });
    d.status = 'error';
    kept.push(d);
  }
  return kept;
}

/** JSON with sorted keys: equal for equal YAML values whatever the key order. */
function canonical(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (isMapping(v)) return Object.keys(v).sort().map((k) => [k, sort(v[k])]);
    return v;
  };
  return JSON.stringify(sort(value)) ?? 'undefined';
}

/** `overrides: {<id>: {level: ...}}`; an override naming no rule read is a warning. */
function applyLevelOverrides(drafts: RuleDraft[], overrides: Map<string, RuleOverride>, out: Diagnostic[]): void {
  const ids = new Set(drafts.map((d) => d.id));
  for (const o of overrides.values()) {
    if (!ids.has(o.ruleId)) {
      out.push({
        severity: 'warning', code: 'override-unknown-rule', loc: o.loc, message: `override: no rule has the id '${o.ruleId}', so it changes nothing`,
        hint: 'use the id of a rule in the rule sources (`check` lists problems by rule; ids are the `id:` of each rule)',
      });
    }
  }
  for (const d of drafts) {
    const o = d.id === undefined ? undefined : overrides.get(d.id);
    if (!o?.level || (d.status === 'skipped' && d.skipReason?.startsWith('disabled by the override'))) continue;
    const before = d.level;
    d.level = o.level;
    if (d.rule) {
      d.rule.level = o.level;
      // The level as written travels in `meta` to notifications: keep it in step with the level used.
      if (Object.prototype.hasOwnProperty.call(d.rule.meta, 'level')) d.rule.meta.level = o.level;
    }
    // The missing-level warning is answered by the override.
    for (let i = out.length - 1; i >= 0; i--) {
      if (out[i].code === 'missing-level' && out[i].ruleId === d.id && out[i].loc.file === d.file) out.splice(i, 1);
    }
    out.push({
      severity: 'note', code: 'level-override', loc: { file: d.file, line: d.line, col: 1 }, ruleId: d.id, ruleTitle: d.title,
      message: `level ${o.level} (was ${before}) set by the override at ${o.loc.file}:${o.loc.line}`,
    });
  }
}

function placeholderUse(drafts: RuleDraft[], filters: FilterDraft[], values: PlaceholderValues | undefined): PlaceholderUse[] {
  const byName = new Map<string, PlaceholderUse>();
  const add = (names: string[] | undefined, user: PlaceholderUse['usedBy'][number]): void => {
    for (const name of names ?? []) {
      let use = byName.get(name);
      if (!use) byName.set(name, (use = { name, hasValue: placeholderValueList(values, name) !== undefined, usedBy: [] }));
      use.usedBy.push(user);
    }
  };
  for (const d of drafts) {
    const needed = d.status === 'ok' || d.status === 'error' || (d.status === 'skipped' && /placeholder/.test(d.skipReason ?? ''));
    if (needed) add(d.placeholders, { id: d.id ?? '', title: d.title, file: d.file, line: d.line });
  }
  for (const f of filters) if (f.status !== 'skipped') add(f.placeholders, { id: f.id, title: f.title, file: f.file, line: f.line });
  return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * Reads a detection configuration file (`--config`, `-c config=`): rule sources resolved against the file's
 * folder, placeholders, overrides and filters. A missing or unreadable file is an error diagnostic.
 */
export function loadDetectionConfig(file: string, root?: string): { config: DetectionConfig; ruleSources: string[]; diagnostics: Diagnostic[] } {
  const read = readConfigText(file, root, 'pass an existing YAML file (auth0-sigma.yml)');
  if ('error' in read) {
    return { config: { file: read.name, rules: [], placeholders: {}, overrides: [], filters: [] }, ruleSources: [], diagnostics: [read.error] };
  }
  const { text, name } = read;
  const { config, diagnostics } = parseDetectionConfig(text, name);
  const dir = path.dirname(path.resolve(file));
  const ruleSources: string[] = [];
  for (const source of config.rules) {
    const resolved = path.resolve(dir, source.path);
    if (!fs.existsSync(resolved)) {
      diagnostics.push({
        severity: 'error', code: 'path-not-found', loc: source.loc,
        message: `rule source '${source.path}' does not exist (resolved against the config file's folder: ${relativeName(resolved, root ?? process.cwd())})`,
        hint: 'write the path relative to the folder of this file, or clone the catalog there',
      });
    } else ruleSources.push(resolved);
  }
  return { config, ruleSources, diagnostics };
}

/** Reads a `--config` file's `placeholders:` map. A missing or unreadable file is an error diagnostic. */
export function loadPlaceholderConfig(file: string, root?: string): { placeholders: PlaceholderValues; diagnostics: Diagnostic[] } {
  const read = readConfigText(file, root, 'pass an existing YAML file to --config');
  return 'error' in read ? { placeholders: {}, diagnostics: [read.error] } : parsePlaceholderConfig(read.text, read.name);
}

/** A config file's text and display name, or the error diagnostic saying why it cannot be read. */
function readConfigText(file: string, root: string | undefined, hint: string): { text: string; name: string } | { error: Diagnostic; name: string } {
  const name = relativeName(path.resolve(file), root ?? process.cwd());
  try {
    return { text: fs.readFileSync(file, 'utf8'), name };
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    return {
      name,
      error: {
        severity: 'error', code: 'config-not-found', hint, loc: { file: name, line: 1, col: 1 },
        message: missing ? `config file '${file}' does not exist` : `cannot read config file '${file}': ${(err as Error).message}`,
      },
    };
  }
}

function engineOptions(given: Partial<EngineOptions> | undefined, diagnostics: Diagnostic[]): EngineOptions {
  const engine: EngineOptions = { ...DEFAULT_ENGINE_OPTIONS, ...given };
  if (!Number.isInteger(engine.regexValueCap) || engine.regexValueCap <= 0) {
    diagnostics.push({
      severity: 'error', code: 'bad-engine-option', message: `regexValueCap must be a positive integer, not ${String(engine.regexValueCap)}`,
      hint: `leave it unset for the default (${DEFAULT_ENGINE_OPTIONS.regexValueCap})`, loc: { file: '<options>', line: 1, col: 1 },
    });
    engine.regexValueCap = DEFAULT_ENGINE_OPTIONS.regexValueCap;
  }
  return engine;
}

/** `file` relative to `root` with forward slashes (absolute when it is on another drive). */
export function relativeName(file: string, root: string): string {
  const rel = path.relative(path.resolve(root), path.resolve(file));
  return toPosix(rel === '' || path.isAbsolute(rel) ? path.resolve(file) : rel);
}

function toPosix(p: string): string {
  return p.split(path.sep).join('/');
}

// Rule loading: files and folders → YAML documents → validated rule set. The only engine file (with the
// fixtures runner) that touches the file system; everything after reading is `loadRulesFromText`, so the
// CLI, the synth step and tests share one path.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_ENGINE_OPTIONS, SIGMA_LEVELS, type Diagnostic, type EngineOptions, type Level, type RuleSetModel } from './types';
import { Diagnostics, RuleError, compareDiagnostics } from './diagnostics';
import { parseYamlDocuments } from './yaml-source';
import { assembleRuleSet, validateDocument, type RuleDraft } from './validate';
import { parsePlaceholderConfig, type PlaceholderValues } from './placeholders';

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
  for (const p of paths) {
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
  if (diagnostics) diagnostics.addAll(problems);
  else if (problems.some((d) => d.severity === 'error')) throw new RuleError(problems);
  return [...found].sort((a, b) => (toPosix(a) < toPosix(b) ? -1 : toPosix(a) > toPosix(b) ? 1 : 0));
}

/** Loads every rule under `paths`. Never throws for bad rules: problems are in `diagnostics`. */
export function loadRules(paths: readonly string[], options: LoadOptions = {}): LoadResult {
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
  const result = loadRulesFromText(sources, options);
  return { ...result, diagnostics: [...diagnostics.all(), ...result.diagnostics].sort(compareDiagnostics) };
}

/** Loads rules from text. An absolute `file` is named relative to `options.root`; others are kept (with `/`). */
export function loadRulesFromText(sources: readonly RuleSource[], options: LoadOptions = {}): LoadResult {
  const root = options.root ?? process.cwd();
  const diagnostics: Diagnostic[] = [];
  const engine = engineOptions(options.engine, diagnostics);
  const validateOptions = {
    placeholders: options.placeholders,
    unresolvedPlaceholders: options.unresolvedPlaceholders ?? 'error',
    engine,
  } as const;
  if (options.minLevel !== undefined && !(SIGMA_LEVELS as readonly string[]).includes(options.minLevel)) {
    throw new RuleError([], `minLevel '${String(options.minLevel)}' is not a Sigma level (${SIGMA_LEVELS.join(', ')})`);
  }
  const drafts: RuleDraft[] = [];
  const files: string[] = [];
  for (const source of sources) {
    const file = path.isAbsolute(source.file) ? relativeName(source.file, root) : toPosix(source.file);
    files.push(file);
    const parsed = parseYamlDocuments(source.text, file);
    diagnostics.push(...parsed.diagnostics);
    for (const doc of parsed.docs) {
      const draft = validateDocument(doc, validateOptions, diagnostics);
      if (draft) drafts.push(draft);
    }
  }
  const { rules, skipped } = assembleRuleSet(drafts, { minLevel: options.minLevel }, diagnostics);
  return {
    model: { version: 1, rules, options: engine },
    diagnostics: diagnostics.sort(compareDiagnostics),
    skipped,
    files,
  };
}

/** Reads a `--config` file's `placeholders:` map. A missing or unreadable file is an error diagnostic. */
export function loadPlaceholderConfig(file: string, root?: string): { placeholders: PlaceholderValues; diagnostics: Diagnostic[] } {
  const name = relativeName(path.resolve(file), root ?? process.cwd());
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    return {
      placeholders: {},
      diagnostics: [{
        severity: 'error', code: 'config-not-found',
        message: missing ? `config file '${file}' does not exist` : `cannot read config file '${file}': ${(err as Error).message}`,
        hint: 'pass an existing YAML file to --config', loc: { file: name, line: 1, col: 1 },
      }],
    };
  }
  return parsePlaceholderConfig(text, name);
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

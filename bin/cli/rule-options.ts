// What check, scan and explain share: the rule and placeholder options, loading the rule set, and the
// diagnostics every command prints the same way.

import * as fs from 'node:fs';
import type { Command } from 'commander';
import { loadDetectionConfig, loadRules, type LoadResult, type LoadResultCache } from '../../lambda/sigma/loader';
import type { DetectionConfig } from '../../lambda/sigma/detection-config';
import { formatDiagnostic, compareDiagnostics } from '../../lambda/sigma/diagnostics';
import { mergePlaceholders, parsePlaceholderAssignments, type PlaceholderValues } from '../../lambda/sigma/placeholders';
import type { Diagnostic } from '../../lambda/sigma/types';
import { lintRuleSet } from './lint';
import { UsageError, displayPath, formatCount, resolvePath, type CliIO } from './io';
import { integerOption } from './limits';
import { DEFAULT_REGEX_BUDGET } from '../../lambda/sigma/budget';

export interface RuleOptions {
  rules: string[];
  config?: string;
  set: string[];
  strict?: boolean;
  /** `--regex-value-cap`: longest value a regex runs on (the engine's regexValueCap); range-checked when parsed. */
  regexValueCap?: number;
  /** `--regex-budget`: regex steps one event may use (the engine's regexBudget). */
  regexBudget?: string;
}

export const DEFAULT_RULES_PATH = './rules';

/** Collects a repeatable option into a list. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function addRulesOption(cmd: Command): Command {
  return cmd.option('--rules <path>', `rule file or folder (repeatable; default ${DEFAULT_RULES_PATH})`, collect, []);
}

export function addPlaceholderOptions(cmd: Command): Command {
  return cmd
    .option('--config <file>', 'detection config file (auth0-sigma.yml): rule sources, placeholders, overrides, filters')
    .option('--set <name=value>', 'placeholder value (repeat a name for a list of values, which OR); overrides --config', collect, [])
    .option('--regex-value-cap <n>', 'longest value (in UTF-16 units) a |re regex runs on, 16 to 1048576; longer values are cut (default 4096)', integerOption(16, 1_048_576))
    .option('--regex-budget <steps>', `regex work one event may use across all rules (value length x pattern size); past it the event's remaining regex checks are skipped and the built-in "evaluation budget exceeded" rule fires (default ${formatCount(DEFAULT_REGEX_BUDGET)})`);
}

/** `--regex-budget`: a positive whole number of steps (digits, `_` or `,` separators allowed), else a usage error. */
export function parseRegexBudget(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const digits = text.trim().replace(/[_,]/g, '');
  const value = /^\d+$/.test(digits) ? Number(digits) : NaN;
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new UsageError(`--regex-budget must be a positive whole number of regex steps, e.g. ${DEFAULT_REGEX_BUDGET} (got '${text}')`);
  }
  return value;
}

/** The rule paths given, resolved against the working directory; each must exist. */
export function rulePaths(io: CliIO, given: string[]): string[] {
  const paths = (given.length > 0 ? given : [DEFAULT_RULES_PATH]).map((p) => resolvePath(io, p));
  for (const p of paths) {
    if (!fs.existsSync(p)) {
      const hint = given.length === 0 ? ' (the default; give the rule folder as an argument or with --rules PATH)' : '';
      throw new UsageError(`rules path '${displayPath(io, p)}' does not exist${hint}`);
    }
  }
  return paths;
}

/**
 * Placeholder values from `--config` then `--set` (a name set on the command line replaces the config's value).
 * Problems in either are usage errors: a scan with a mistyped placeholder file must not silently skip rules.
 */
export function readPlaceholders(io: CliIO, options: RuleOptions, config = readDetectionConfig(io, options)): PlaceholderValues {
  const fromSet = parsePlaceholderAssignments(options.set);
  if (fromSet.errors.length > 0) throw new UsageError(fromSet.errors.join('\n'));
  return mergePlaceholders(config?.config.placeholders, fromSet.placeholders);
}

/**
 * The `--config` detection config file (rule sources resolved against its folder), or undefined without
 * `--config`. Its problems are usage errors, printed located: a mistyped config must not silently change what runs.
 */
export function readDetectionConfig(io: CliIO, options: Pick<RuleOptions, 'config'>): { config: DetectionConfig; ruleSources: string[] } | undefined {
  if (options.config === undefined) return undefined;
  const file = resolvePath(io, options.config);
  try {
    fs.accessSync(file, fs.constants.R_OK);
  } catch (err) {
    throw new UsageError(`cannot read --config '${options.config}': ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const loaded = loadDetectionConfig(file, io.cwd);
  const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
  for (const d of loaded.diagnostics) io.stderr.write(`${formatDiagnostic(d)}\n`);
  if (errors.length > 0) throw new UsageError(`the --config file has ${errors.length} error(s)`);
  return { config: loaded.config, ruleSources: loaded.ruleSources };
}

export interface LoadedRules {
  result: LoadResult;
  /** Loader diagnostics plus schema lint warnings, sorted; under --strict, warnings are already errors. */
  diagnostics: Diagnostic[];
  errors: number;
  warnings: number;
}

/** `--strict`: every warning becomes an error (same text, `error:` severity). */
function applyStrict(diagnostics: Diagnostic[], strict: boolean): Diagnostic[] {
  if (!strict) return diagnostics;
  return diagnostics.map((d) => (d.severity === 'warning' ? { ...d, severity: 'error' } : d));
}

export function loadRuleSet(io: CliIO, options: RuleOptions, unresolvedPlaceholders: 'error' | 'skip-rule', cache?: LoadResultCache): LoadedRules {
  const config = readDetectionConfig(io, options);
  // --rules replaces the config file's rule sources; without either, ./rules.
  const paths = options.rules.length === 0 && config && config.config.rules.length > 0 ? config.ruleSources : rulePaths(io, options.rules);
  const placeholders = readPlaceholders(io, options, config);
  const regexBudget = parseRegexBudget(options.regexBudget);
  const engine = options.regexValueCap === undefined && regexBudget === undefined ? undefined : {
    ...(options.regexValueCap === undefined ? {} : { regexValueCap: Number(options.regexValueCap) }),
    ...(regexBudget === undefined ? {} : { regexBudget }),
  };
  const result = loadRules(paths, {
    placeholders, unresolvedPlaceholders, root: io.cwd, engine,
    overrides: config?.config.overrides, configFilters: config?.config.filters,
  }, cache);
  const all = applyStrict([...result.diagnostics, ...lintRuleSet(result.model.rules)], Boolean(options.strict)).sort(compareDiagnostics);
  return {
    result,
    diagnostics: all,
    errors: all.filter((d) => d.severity === 'error').length,
    warnings: all.filter((d) => d.severity === 'warning').length,
  };
}

/**
 * Rules left out of the set because of an error: those an error names (file + rule), plus each place where a
 * document failed before it was a rule at all (a YAML syntax error, a document that is not a mapping).
 */
export function rulesWithErrors(diagnostics: Diagnostic[]): number {
  const keys = new Set<string>();
  for (const d of diagnostics) {
    if (d.severity !== 'error') continue;
    const rule = d.ruleId ?? d.ruleTitle;
    keys.add(rule !== undefined ? `${d.loc.file}\u0000${rule}` : `${d.loc.file}\u0000@${d.loc.line}`);
  }
  return keys.size;
}

export function printDiagnostics(stream: NodeJS.WritableStream, diagnostics: Diagnostic[]): void {
  for (const d of diagnostics) stream.write(`${formatDiagnostic(d)}\n`);
}

export function plural(n: number, word: string, pluralWord = `${word}s`): string {
  return `${n} ${n === 1 ? word : pluralWord}`;
}

/** Finds an enabled rule by id, then title, then name. */
export function findRule(result: LoadResult, wanted: string): LoadResult['model']['rules'][number] | undefined {
  const rules = result.model.rules;
  return rules.find((r) => r.id === wanted) ?? rules.find((r) => r.title === wanted) ?? rules.find((r) => r.name === wanted);
}

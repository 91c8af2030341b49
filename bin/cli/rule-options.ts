// What check, scan and explain share: the rule and placeholder options, loading the rule set, and the
// diagnostics every command prints the same way.

import * as fs from 'node:fs';
import type { Command } from 'commander';
import { loadRules, type LoadResult } from '../../lambda/sigma/loader';
import { formatDiagnostic, compareDiagnostics } from '../../lambda/sigma/diagnostics';
import { mergePlaceholders, parsePlaceholderAssignments, parsePlaceholderConfig, type PlaceholderValues } from '../../lambda/sigma/placeholders';
import type { Diagnostic } from '../../lambda/sigma/types';
import { lintRuleSet } from './lint';
import { UsageError, displayPath, resolvePath, type CliIO } from './io';

export interface RuleOptions {
  rules: string[];
  config?: string;
  set: string[];
  strict?: boolean;
  /** `--regex-value-cap`: longest value a regex runs on (the engine's regexValueCap). */
  regexValueCap?: string;
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
    .option('--config <file>', 'YAML file with a `placeholders:` map (name: value or list of values)')
    .option('--set <name=value>', 'placeholder value (repeat a name for a list of values, which OR); overrides --config', collect, [])
    .option('--regex-value-cap <n>', 'longest value (in UTF-16 units) a |re regex runs on; longer values are cut (default 4096)');
}

/** The rule paths given, resolved against the working directory; each must exist. */
export function rulePaths(io: CliIO, given: string[]): string[] {
  const paths = (given.length > 0 ? given : [DEFAULT_RULES_PATH]).map((p) => resolvePath(io, p));
  for (const p of paths) {
    if (!fs.existsSync(p)) {
      const hint = given.length === 0 ? ' (the default; pass --rules PATH to load rules from elsewhere)' : '';
      throw new UsageError(`rules path '${displayPath(io, p)}' does not exist${hint}`);
    }
  }
  return paths;
}

/**
 * Placeholder values from `--config` then `--set` (a name set on the command line replaces the config's value).
 * Problems in either are usage errors: a scan with a mistyped placeholder file must not silently skip rules.
 */
export function readPlaceholders(io: CliIO, options: RuleOptions): PlaceholderValues {
  let fromConfig: PlaceholderValues | undefined;
  if (options.config !== undefined) {
    const file = resolvePath(io, options.config);
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      throw new UsageError(`cannot read --config '${options.config}': ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    const parsed = parsePlaceholderConfig(text, displayPath(io, file));
    const errors = parsed.diagnostics.filter((d) => d.severity === 'error');
    for (const d of parsed.diagnostics) io.stderr.write(`${formatDiagnostic(d)}\n`);
    if (errors.length > 0) throw new UsageError(`the --config file has ${errors.length} error(s)`);
    fromConfig = parsed.placeholders;
  }
  const fromSet = parsePlaceholderAssignments(options.set);
  if (fromSet.errors.length > 0) throw new UsageError(fromSet.errors.join('\n'));
  return mergePlaceholders(fromConfig, fromSet.placeholders);
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

export function loadRuleSet(io: CliIO, options: RuleOptions, unresolvedPlaceholders: 'error' | 'skip-rule'): LoadedRules {
  const paths = rulePaths(io, options.rules);
  const placeholders = readPlaceholders(io, options);
  const engine = options.regexValueCap === undefined ? undefined : { regexValueCap: Number(options.regexValueCap) };
  const result = loadRules(paths, { placeholders, unresolvedPlaceholders, root: io.cwd, engine });
  const all = applyStrict([...result.diagnostics, ...lintRuleSet(result.model.rules)], Boolean(options.strict)).sort(compareDiagnostics);
  return {
    result,
    diagnostics: all,
    errors: all.filter((d) => d.severity === 'error').length,
    warnings: all.filter((d) => d.severity === 'warning').length,
  };
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

// Rules at synth: load and validate `rulesDir` with the configured placeholders, fail `cdk synth` on any error
// or unresolved placeholder (listing every problem), and write the validated rule set as rules.json for the
// Lambda bundle. Content-addressed output: the same rules give the same file, so the asset hash only changes
// when the rules do.

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkCorrelations } from '../lambda/sigma/correlation';
import { formatDiagnostic } from '../lambda/sigma/diagnostics';
import { loadDetectionConfig, loadRules, type LoadOptions } from '../lambda/sigma/loader';
import { mergePlaceholders } from '../lambda/sigma/placeholders';
import { CONFIG_DEFAULTS } from './config';
import type { Diagnostic, Level, RuleModel, RuleSetModel } from '../lambda/sigma/types';

export interface DeployRulesOptions {
  /** The rules directory or directories, in order (absolute, or relative to `root`). */
  rulesDir: string | string[];
  /**
   * The detection config file (absolute, or relative to `root`): its `rules:` replace `rulesDir` (which must
   * then be left at its default), its placeholders are used unless `placeholders` names them too, its
   * overrides and filters apply.
   */
  configFile?: string;
  placeholders: Record<string, string | string[]>;
  minLevel: Level;
  /** Project root: rule file names in messages are relative to it. */
  root: string;
  /** Longest value a regex runs on (the engine's regexValueCap); unset = the engine's default. */
  regexValueCap?: number;
  /** Regex steps one event may use (the engine's regexBudget); unset = the engine's default. */
  regexBudget?: number;
}

export interface DeployRules {
  model: RuleSetModel;
  /** Warnings (rule and schema lint), formatted, for the synth output. */
  warnings: string[];
  /** Rules left out (below minLevel and the like), as "file:line title: reason". */
  skipped: string[];
  files: string[];
  /** Where the rules came from, for messages: the folders, or the config file and its rule sources. */
  sources: string;
}

export class RulesError extends Error {
  constructor(
    readonly rulesDir: string,
    readonly problems: string[],
    /** The `check` arguments that load the same rules (default: the folder). */
    checkArgs = rulesDir,
  ) {
    super(
      `The rules in ${rulesDir} cannot be deployed (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((p) => `  ${p}`).join('\n') +
        '\nFix the rules (run `npx auth0-sigma check ' + checkArgs + '` to see the same list), or set the missing ' +
        `placeholders with -c placeholders='{"name":"value"}' or in cdk.json.`,
    );
    this.name = 'RulesError';
  }
}

export function loadDeployRules(options: DeployRulesOptions): DeployRules {
  const given = typeof options.rulesDir === 'string' ? [options.rulesDir] : options.rulesDir;
  const fromConfig = options.configFile === undefined ? undefined : readConfigFile(options, given);
  const dirs = fromConfig?.ruleSources ?? given.map((d) => path.resolve(options.root, d));
  const sources = fromConfig?.ruleSources ? `${fromConfig.file} (${dirs.map((d) => path.relative(options.root, d) || '.').join(', ')})` : given.join(', ');
  const checkArgs = [...(fromConfig?.ruleSources ? [] : given.map((d) => `--rules ${d}`)), ...(fromConfig ? [`--config ${fromConfig.file}`] : [])].join(' ');
  const fail = (problems: string[]): RulesError => new RulesError(sources, problems, checkArgs);
  if (!fromConfig?.ruleSources) {
    const missing = dirs.filter((dir) => !fs.existsSync(dir) || !fs.statSync(dir).isDirectory());
    if (missing.length > 0) {
      throw fail(missing.map((dir) =>
        `${dir} is not a directory: set 'rulesDir' (cdk.json context or -c rulesDir=..., several separated by commas) to the folders holding your Sigma rules`));
    }
  }
  const load: LoadOptions = {
    placeholders: mergePlaceholders(fromConfig?.placeholders, options.placeholders),
    unresolvedPlaceholders: 'error',
    minLevel: options.minLevel,
    root: options.root,
    engine: options.regexValueCap === undefined && options.regexBudget === undefined ? undefined : {
      ...(options.regexValueCap === undefined ? {} : { regexValueCap: options.regexValueCap }),
      ...(options.regexBudget === undefined ? {} : { regexBudget: options.regexBudget }),
    },
    overrides: fromConfig?.overrides,
    configFilters: fromConfig?.filters,
  };
  const result = loadRules(dirs, load);
  if (result.files.length === 0) {
    throw fail([`${dirs.join(', ')} hold${dirs.length === 1 ? 's' : ''} no rule files (*.yml or *.yaml, fixtures *.test.yml excluded)`]);
  }
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) throw fail(errors.map(formatDiagnostic));
  // What the correlation engine would refuse at the Lambda's cold start (a value_count threshold at the distinct
  // cap, a chain that loops, ...) fails here instead.
  const correlationProblems = checkCorrelations(result.model.rules);
  if (correlationProblems.length > 0) throw fail(correlationProblems);
  const warnings = [...result.diagnostics.filter((d) => d.severity !== 'error'), ...schemaLint(result.model.rules)].map(formatDiagnostic);
  return {
    model: result.model,
    warnings,
    skipped: result.skipped.map((s) => `${s.file}:${s.line} ${s.title}: ${s.reason}`),
    files: result.files,
    sources,
  };
}

/** The detection config file, or a RulesError listing its problems (each file:line:col, key, how to fix). */
function readConfigFile(options: DeployRulesOptions, rulesDir: string[]) {
  const file = path.resolve(options.root, options.configFile!);
  const loaded = loadDetectionConfig(file, options.root);
  const problems = loaded.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic);
  const hasSources = loaded.config.rules.length > 0;
  if (hasSources && !(rulesDir.length === 1 && rulesDir[0] === CONFIG_DEFAULTS.rulesDir)) {
    problems.push(
      `the rule sources are set twice: 'rulesDir' (${rulesDir.join(', ')}) and 'rules:' in ${loaded.config.file}: ` +
        "keep them in the config file and remove 'rulesDir' from the context (cdk.json or -c)",
    );
  }
  if (problems.length > 0) throw new RulesError(loaded.config.file, problems, `--config ${loaded.config.file}`);
  return { ...loaded.config, ruleSources: hasSources ? loaded.ruleSources : undefined };
}

/**
 * The schema lint (rules naming fields Auth0 logs do not have) is optional tooling: used when present, its
 * findings are shown as warnings and never fail the synth.
 */
function schemaLint(rules: RuleModel[]): Diagnostic[] {
  const modulePath = path.join(__dirname, '..', 'lambda', 'sigma', 'schema-lint');
  if (!fs.existsSync(`${modulePath}.ts`) && !fs.existsSync(`${modulePath}.js`)) return [];
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const lint = require(modulePath) as { lintRules?: (rules: RuleModel[]) => Diagnostic[] };
  if (typeof lint.lintRules !== 'function') return [];
  return lint.lintRules(rules).map((d) => (d.severity === 'error' ? { ...d, severity: 'warning' } : d));
}

/**
 * Writes the model as rules.json in a directory named after its content hash, under `baseDir` (default: the
 * OS temp dir), and returns the file's path.
 */
export function writeRulesFile(model: RuleSetModel, baseDir = path.join(os.tmpdir(), 'auth0-sigma-rules')): string {
  const json = JSON.stringify(model);
  const hash = crypto.createHash('sha256').update(json).digest('hex').slice(0, 16);
  const dir = path.join(baseDir, hash);
  const file = path.join(dir, 'rules.json');
  if (!fs.existsSync(file)) {
    fs.mkdirSync(dir, { recursive: true });
    // Write then rename, so a concurrent synth never copies a half-written file.
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, json);
    fs.renameSync(tmp, file);
  }
  return file;
}

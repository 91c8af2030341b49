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
import { loadRules } from '../lambda/sigma/loader';
import type { Diagnostic, Level, RuleModel, RuleSetModel } from '../lambda/sigma/types';

export interface DeployRulesOptions {
  /** The rules directory (absolute, or relative to `root`). */
  rulesDir: string;
  placeholders: Record<string, string | string[]>;
  minLevel: Level;
  /** Project root: rule file names in messages are relative to it. */
  root: string;
  /** Longest value a regex runs on (the engine's regexValueCap); unset = the engine's default. */
  regexValueCap?: number;
}

export interface DeployRules {
  model: RuleSetModel;
  /** Warnings (rule and schema lint), formatted, for the synth output. */
  warnings: string[];
  /** Rules left out (below minLevel and the like), as "file:line title: reason". */
  skipped: string[];
  files: string[];
}

export class RulesError extends Error {
  constructor(
    readonly rulesDir: string,
    readonly problems: string[],
  ) {
    super(
      `The rules in ${rulesDir} cannot be deployed (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((p) => `  ${p}`).join('\n') +
        '\nFix the rules (run `npx auth0-sigma check ' + rulesDir + '` to see the same list), or set the missing ' +
        `placeholders with -c placeholders='{"name":"value"}' or in cdk.json.`,
    );
    this.name = 'RulesError';
  }
}

export function loadDeployRules(options: DeployRulesOptions): DeployRules {
  const dir = path.resolve(options.root, options.rulesDir);
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new RulesError(options.rulesDir, [
      `${dir} is not a directory: set 'rulesDir' (cdk.json context or -c rulesDir=...) to the folder holding your Sigma rules`,
    ]);
  }
  const result = loadRules([dir], {
    placeholders: options.placeholders,
    unresolvedPlaceholders: 'error',
    minLevel: options.minLevel,
    root: options.root,
    engine: options.regexValueCap === undefined ? undefined : { regexValueCap: options.regexValueCap },
  });
  if (result.files.length === 0) {
    throw new RulesError(options.rulesDir, [`${dir} holds no rule files (*.yml or *.yaml, fixtures *.test.yml excluded)`]);
  }
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) throw new RulesError(options.rulesDir, errors.map(formatDiagnostic));
  // What the correlation engine would refuse at the Lambda's cold start (a value_count threshold at the distinct
  // cap, a chain that loops, ...) fails here instead.
  const correlationProblems = checkCorrelations(result.model.rules);
  if (correlationProblems.length > 0) throw new RulesError(options.rulesDir, correlationProblems);
  const warnings = [...result.diagnostics.filter((d) => d.severity !== 'error'), ...schemaLint(result.model.rules)].map(formatDiagnostic);
  return {
    model: result.model,
    warnings,
    skipped: result.skipped.map((s) => `${s.file}:${s.line} ${s.title}: ${s.reason}`),
    files: result.files,
  };
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

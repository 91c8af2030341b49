// `auth0-sigma check`: load and validate every rule, print every problem, exit 1 if any rule cannot run.

import { checkCorrelations } from '../../lambda/sigma/correlation';
import type { Diagnostic } from '../../lambda/sigma/types';
import { EXIT_FAILURE, EXIT_OK, type CliIO } from './io';
import { loadRuleSet, plural, printDiagnostics, type RuleOptions } from './rule-options';
import { formatPrefilter } from './prefilter-output';

export interface CheckOptions extends RuleOptions {
  /** Also print the EventBridge prefilter compiled from the enabled rules. */
  showPrefilter?: boolean;
}

/** Rules that an error diagnostic names (file + rule), i.e. rules left out of the set. */
function rulesWithErrors(diagnostics: Diagnostic[]): number {
  const keys = new Set<string>();
  for (const d of diagnostics) {
    if (d.severity !== 'error') continue;
    const rule = d.ruleId ?? d.ruleTitle;
    if (rule !== undefined) keys.add(`${d.loc.file}\u0000${rule}`);
  }
  return keys.size;
}

export function runCheck(io: CliIO, options: CheckOptions): number {
  const loaded = loadRuleSet(io, options, 'error');
  const { result, diagnostics } = loaded;
  const out = io.stdout;
  // A skipped rule's note would repeat the summary's `skipped` line below.
  const skippedAt = new Set(result.skipped.map((s) => `${s.file}:${s.line}`));
  const shown = diagnostics.filter((d) => !(d.severity === 'note' && skippedAt.has(`${d.loc.file}:${d.loc.line}`)));
  printDiagnostics(out, shown);
  // What the correlation engine would refuse at start (the same check fails `cdk synth`).
  const correlationProblems = checkCorrelations(result.model.rules);
  for (const problem of correlationProblems) out.write(`${problem.replace(/^(.*?:\d+): /, '$1: error: ')}\n`);
  if (shown.length + correlationProblems.length > 0) out.write('\n');

  const enabled = result.model.rules;
  const detections = enabled.filter((r) => r.kind === 'detection').length;
  const correlations = enabled.length - detections;
  const failed = rulesWithErrors(diagnostics);
  out.write(`${plural(result.files.length, 'rule file')}: ${plural(enabled.length, 'rule')} enabled (${detections} detection, ${correlations} correlation), `);
  out.write(`${result.skipped.length} skipped, ${failed} with errors\n`);
  for (const s of result.skipped) out.write(`  skipped ${s.file}:${s.line} '${s.title}': ${s.reason}\n`);

  let failure: string | undefined;
  if (result.files.length === 0) failure = 'no rule files found (*.yml, *.yaml; *.test.yml are fixtures)';
  else if (loaded.errors + correlationProblems.length > 0) failure = `${plural(loaded.errors + correlationProblems.length, 'error')}${options.strict && loaded.warnings === 0 ? ' (--strict: warnings count as errors)' : ''}`;
  if (failure) {
    out.write(`check failed: ${failure}, ${plural(loaded.warnings, 'warning')}\n`);
    return EXIT_FAILURE;
  }
  out.write(`check passed: 0 errors, ${plural(loaded.warnings, 'warning')}\n`);
  if (options.showPrefilter) out.write(`\n${formatPrefilter(result.model)}`);
  return EXIT_OK;
}

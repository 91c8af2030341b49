// `auth0-sigma check`: load and validate every rule, print every problem, exit 1 if any rule cannot run.

import { checkCorrelations } from '../../lambda/sigma/correlation';
import type { RuleModel } from '../../lambda/sigma/types';
import type { PlaceholderUse } from '../../lambda/sigma/loader';
import { EXIT_FAILURE, EXIT_OK, type CliIO } from './io';
import { loadRuleSet, plural, printDiagnostics, rulesWithErrors, type RuleOptions } from './rule-options';
import { formatPrefilter } from './prefilter-output';

export interface CheckOptions extends RuleOptions {
  /** Also print the EventBridge prefilter compiled from the enabled rules. */
  showPrefilter?: boolean;
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
  writeFiltersApplied(out, enabled);
  writePlaceholderUse(out, result.placeholderUse);
  if (result.unusedPlaceholders.length > 0) out.write(`placeholders set but used by no loaded rule (misspelt?): ${result.unusedPlaceholders.join(', ')}\n`);

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

/** Which Sigma filters tune which rules (`filters:` of the config file and filter files in the rule sources). */
function writeFiltersApplied(out: NodeJS.WritableStream, rules: RuleModel[]): void {
  const filtered = rules.filter((r) => r.filters?.length);
  if (filtered.length === 0) return;
  out.write(`filters applied to ${plural(filtered.length, 'rule')}:\n`);
  for (const r of filtered) out.write(`  '${r.title}' (${r.id}): ${r.filters!.map((f) => `'${f.title}' (${f.file}:${f.line})`).join(', ')}\n`);
}

/** Every placeholder the rule set needs, whether it has a value, and the rules that use it. */
function writePlaceholderUse(out: NodeJS.WritableStream, uses: PlaceholderUse[]): void {
  if (uses.length === 0) return;
  const width = Math.max(...uses.map((u) => u.name.length));
  out.write(`placeholders the rules need (${uses.filter((u) => !u.hasValue).length} without a value):\n`);
  for (const u of uses) {
    const rules = u.usedBy.map((r) => `${r.file}:${r.line} '${r.title}'`).join(', ');
    out.write(`  ${u.name.padEnd(width)}  ${u.hasValue ? 'set    ' : 'NOT SET'}  ${rules}\n`);
  }
}

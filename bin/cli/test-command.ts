// `auth0-sigma test`: run every rule's fixtures (`foo.test.yml` next to `foo.yml`) and report like a test runner.

import { formatDiagnostic } from '../../lambda/sigma/diagnostics';
import { runFixtures } from '../../lambda/sigma/fixtures';
import { EXIT_FAILURE, EXIT_OK, type CliIO } from './io';
import { readDetectionConfig, rulePaths } from './rule-options';

const PASS = '✓';
const FAIL = '✗';

function indent(text: string, prefix: string): string {
  return text
    .replace(/\n+$/, '')
    .split('\n')
    .map((l) => prefix + l)
    .join('\n');
}

export async function runTestCommand(io: CliIO, options: { rules: string[]; config?: string }): Promise<number> {
  // --config: its rule sources (unless --rules), overrides and filters; placeholders come from each fixture file.
  const config = readDetectionConfig(io, options);
  const paths = options.rules.length === 0 && config && config.config.rules.length > 0 ? config.ruleSources : rulePaths(io, options.rules);
  const report = await runFixtures({ paths, root: io.cwd, config: config && { overrides: config.config.overrides, configFilters: config.config.filters } });
  const out = io.stdout;

  for (const file of report.files) {
    out.write(`${file.fixtureFile ?? file.ruleFile}\n`);
    for (const p of file.problems) out.write(`  ${FAIL} ${formatDiagnostic(p)}\n`);
    for (const c of file.cases) {
      const mark = c.status === 'passed' ? PASS : FAIL;
      out.write(`  ${mark} ${c.ruleTitle} › ${c.name}\n`);
      if (c.status === 'passed') continue;
      if (c.message) out.write(`      ${c.message}\n`);
      out.write(`      at ${c.loc.file}:${c.loc.line}:${c.loc.col}\n`);
      if (c.details) out.write(`${indent(c.details, '        ')}\n`);
    }
  }
  if (report.rulesWithoutFixtures.length > 0) {
    out.write('\n');
    for (const r of report.rulesWithoutFixtures) {
      out.write(`warning: ${r.file}:${r.line}: rule '${r.title}' has no fixtures (add match/no_match events to ${r.file.replace(/\.ya?ml$/, '.test.yml')})\n`);
    }
  }
  if (report.files.length === 0 && report.rulesWithoutFixtures.length === 0) out.write('no rules found\n');
  out.write('\n');
  out.write(`${report.passed} passed, ${report.failed} failed\n`);
  return report.failed > 0 ? EXIT_FAILURE : EXIT_OK;
}

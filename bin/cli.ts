// The `auth0-sigma` command line: check, scan, test, explain, redrive. `main` returns the exit code instead of exiting,
// so tests can run it in-process with their own streams (see bin/cli/io.ts).
//
// Exit codes: 0 success; 1 the command ran and found a failure (check: rule errors; test: a failing case;
// explain: the rule does not match; scan: --strict rule errors or an input read error); 2 usage error.

import { Command, CommanderError, Option } from 'commander';
import { RuleError, formatDiagnostic } from '../lambda/sigma/diagnostics';
import { EXIT_USAGE, UsageError, processIO, terminalSafeIO, type CliIO } from './cli/io';
import { addPlaceholderOptions, addRulesOption } from './cli/rule-options';
import type { CheckOptions } from './cli/check';
import { SCAN_FORMATS } from './cli/scan-formats';
import type { ScanOptions } from './cli/scan';
import { addAlertVolumeOptions } from './cli/alert-volume';
import type { ExplainOptions } from './cli/explain';
import { registerRedrive } from './cli/redrive';
import { addScanLimitOptions, byteSizeOption, integerOption } from './cli/limits';

// A command's module (and what it imports: the rule engine, the fixture runner, the prefilter) is loaded when that
// command runs, not at every start: `scan` starts without check's, test's and explain's code.
/* eslint-disable @typescript-eslint/no-require-imports */
const checkCommand = (): typeof import('./cli/check') => require('./cli/check') as typeof import('./cli/check');
const scanCommand = (): typeof import('./cli/scan') => require('./cli/scan') as typeof import('./cli/scan');
const testCommand = (): typeof import('./cli/test-command') => require('./cli/test-command') as typeof import('./cli/test-command');
const explainCommand = (): typeof import('./cli/explain') => require('./cli/explain') as typeof import('./cli/explain');
/* eslint-enable @typescript-eslint/no-require-imports */

// eslint-disable-next-line @typescript-eslint/no-require-imports
const VERSION: string = (require('../package.json') as { version: string }).version;

const EXIT_CODES_HELP = `
Exit codes:
  0  success (scan: the input was read to the end, whatever it found; explain: the rule matches)
  1  check: a rule has errors or an unresolved placeholder; test: a case failed;
     explain: the rule does not match; scan: a rule failed to load (unless --allow-rule-errors), --strict and
     the rules have problems, or input could not be read;
     redrive: a message could not be processed (it stays in the queue), or AWS credentials, region or
     permissions are missing (the message says which and how to provide them)
  2  usage error (unknown option, missing file, bad --set)`;

const RULE_PATHS_HELP = 'rule files or folders, the same as --rules (default ./rules)';

/** Positional rule paths and `--rules` together, in the order given (positional first). */
function withRulePaths<T extends { rules: string[] }>(opts: T, paths: string[]): T {
  return { ...opts, rules: [...paths, ...opts.rules] };
}

function buildProgram(io: CliIO, setExitCode: (code: number) => void): Command {
  const program = new Command('auth0-sigma');
  program
    .description('Sigma rules for Auth0 logs: validate rules, scan log exports, run rule fixtures, explain a match.')
    .version(VERSION)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .showHelpAfterError('(add --help for usage)')
    .addHelpText('after', EXIT_CODES_HELP);

  const check = program
    .command('check')
    .description('validate rules: every problem as path:line:col: severity: message; exit 1 on any error')
    .argument('[rule-paths...]', RULE_PATHS_HELP)
    .option('--strict', 'treat warnings (schema lint, unquoted placeholders, ...) as errors')
    .option('--show-prefilter', "also print the EventBridge event pattern compiled from the enabled rules (the bus rule's prefilter)");
  addRulesOption(check);
  addPlaceholderOptions(check);
  check.addHelpText('after', '\nExamples:\n  auth0-sigma check\n  auth0-sigma check rules --set api_explorer_client_id=AbC123 --strict');
  check.action((paths: string[], opts: CheckOptions) => {
    setExitCode(checkCommand().runCheck(io, withRulePaths(opts, paths)));
  });

  const scan = program
    .command('scan')
    .description('evaluate log files (NDJSON or a JSON array; "-" or nothing: stdin) and print detections')
    .argument('[files...]', 'log files; "-" reads stdin')
    .addOption(new Option('--format <format>', 'output format').choices([...SCAN_FORMATS]).default('text'))
    .option('--strict', 'stop (exit 1) on any rule error or warning, unresolved placeholders included, instead of skipping the rule')
    .option('--allow-rule-errors', 'exit 0 even when some rules failed to load (they are left out either way; without this flag the scan exits 1)');
  addRulesOption(scan);
  addPlaceholderOptions(scan);
  addScanLimitOptions(scan);
  addAlertVolumeOptions(scan);
  scan
    .option(
      '--threads <n>',
      'threads scanning a regular NDJSON file (default: 1 below four cores, else the available cores, at most 4); 1 scans on one thread, as stdin and pipes always are',
      integerOption(1, 64),
    )
    .option('--no-rule-cache', 'load the rules without the cache of loaded rule sets (also: AUTH0_SIGMA_RULE_CACHE=off; see docs/cli.md)')
    // Test-only: small ranges put many of them in flight at once.
    .addOption(new Option('--range-size <bytes>').argParser(byteSizeOption(1024, 1024 * 1024 * 1024)).hideHelp());
  scan.addHelpText(
    'after',
    '\nExamples:\n  auth0-sigma scan --set api_explorer_client_id=AbC123 logs.ndjson\n  auth0-sigma scan --format json export.json > detections.ndjson\n  cat logs.ndjson | auth0-sigma scan -',
  );
  scan.action(async (files: string[], opts: ScanOptions) => {
    setExitCode(await scanCommand().runScan(io, opts, files));
  });

  const test = program
    .command('test')
    .description("run each rule's fixtures (foo.test.yml next to foo.yml); exit 1 on any failure")
    .argument('[rule-paths...]', RULE_PATHS_HELP);
  addRulesOption(test);
  test.option('--config <file>', 'detection config file (auth0-sigma.yml): its rule sources, overrides and filters apply (placeholders: each fixture file\'s)');
  test.addHelpText('after', '\nExamples:\n  auth0-sigma test\n  auth0-sigma test rules/login');
  test.action(async (paths: string[], opts: { rules: string[]; config?: string }) => {
    setExitCode(await testCommand().runTestCommand(io, withRulePaths(opts, paths)));
  });

  const explain = program
    .command('explain')
    .description('show, for one event, how each identifier and comparison of a rule evaluates (exit 0 match, 1 no match)')
    .usage('--rule <id> [options] [rule-paths...] <event-file>')
    .argument('<paths...>', `[rule-paths...] ${RULE_PATHS_HELP}; then <event-file>, the file holding the event (NDJSON or JSON array; the first item unless --index)`)
    .requiredOption('--rule <id>', 'rule id, title or name')
    .option('--index <n>', 'which item of the file (0-based)', integerOption(0, Number.MAX_SAFE_INTEGER), 0);
  addRulesOption(explain);
  addPlaceholderOptions(explain);
  explain.addHelpText(
    'after',
    '\nExamples:\n  auth0-sigma explain --rule 90a9a856-716d-11f0-bb81-723487b9527c --set api_explorer_client_id=AbC123 event.json\n  auth0-sigma explain rules/login --rule failed_login_attempt event.json',
  );
  explain.action(async (paths: string[], opts: ExplainOptions) => {
    // The event file comes last, so rule paths can come first as in `check` and `test`.
    const eventFile = paths[paths.length - 1];
    setExitCode(await explainCommand().runExplain(io, withRulePaths(opts, paths.slice(0, -1)), eventFile));
  });

  registerRedrive(program, io, setExitCode);
  return program;
}

let stdoutGuarded = false;

/**
 * `auth0-sigma --help | head`: a reader that went away is no crash. Without a listener, Node throws the EPIPE
 * of any later write as an unhandled 'error' event; `scan` notices a closed output itself and exits 1.
 */
function ignoreClosedStdout(): void {
  if (stdoutGuarded) return;
  stdoutGuarded = true;
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
  });
}

/**
 * Runs the CLI. `argv` is `process.argv`-shaped: `[node, script, command, ...args]`.
 * Returns the exit code; never calls `process.exit`.
 */
export async function main(argv: string[], rawIO: CliIO = processIO()): Promise<number> {
  if (rawIO.stdout === process.stdout) ignoreClosedStdout();
  // Rule files and events are attacker-writable: nothing they hold reaches the terminal raw, whatever prints it.
  const io = terminalSafeIO(rawIO);
  let exitCode = 0;
  const program = buildProgram(io, (code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync(argv, { from: 'node' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end with code 0; anything else commander rejects is a usage error.
      return err.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    if (err instanceof UsageError) {
      io.stderr.write(`auth0-sigma: ${err.message}\n`);
      return EXIT_USAGE;
    }
    if (err instanceof RuleError) {
      for (const d of err.diagnostics) io.stderr.write(`${formatDiagnostic(d)}\n`);
      return EXIT_USAGE;
    }
    throw err;
  }
}

// Rule test fixtures: `foo.test.yml` next to `foo.yml` lists events the rule must match and events it must not
// (and, for correlation rules, event sequences with the detections expected). This module reads and validates
// those files, with a file:line:col for every mistake, and runs them through the real engine.

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Diagnostic, NormalizedEvent, RuleModel, Scalar, SourceLocation } from './types';
import { locOf, parseYamlDocument, type YamlDoc, type YamlPath } from './yaml-source';
import { findRuleFiles, loadRules, relativeName, type LoadOptions, type LoadResult } from './loader';
import { CompiledRuleSet } from './ruleset';
import { normalizeEvent } from './events';
import { formatExplain } from './explain';
import { Correlator } from './correlation';
import { MemoryCorrelationStore } from './correlation-store';

export interface FixtureEvent {
  raw: unknown;
  loc: SourceLocation;
}

export interface ExpectedCorrelation {
  group?: Record<string, Scalar>;
  value?: number;
  loc: SourceLocation;
}

export interface FixtureTest {
  /** Rule id or title; undefined when the rule file holds a single rule. */
  rule?: string;
  loc: SourceLocation;
  match: FixtureEvent[];
  noMatch: FixtureEvent[];
  /** Correlation: events fed in order, then end of input. */
  sequence?: FixtureEvent[];
  expect?: ExpectedCorrelation[];
}

export interface FixtureFile {
  file: string;
  placeholders: Record<string, string | string[]>;
  tests: FixtureTest[];
  /** Problems in the fixture file itself; a file with errors is not run. */
  diagnostics: Diagnostic[];
}

const FIXTURE_SUFFIXES = ['.test.yml', '.test.yaml'];
const TOP_LEVEL_KEYS = new Set(['placeholders', 'tests']);
const TEST_KEYS = new Set(['rule', 'match', 'no_match', 'sequence', 'expect']);
const EXPECT_KEYS = new Set(['group', 'value']);

export function isFixtureFile(file: string): boolean {
  return FIXTURE_SUFFIXES.some((suffix) => file.endsWith(suffix));
}

/** `rules/foo.yml` → `rules/foo.test.yml` (or `.test.yaml`) when it exists. */
export function fixtureFileFor(ruleFile: string): string | undefined {
  const base = ruleFile.replace(/\.ya?ml$/, '');
  for (const suffix of FIXTURE_SUFFIXES) {
    const candidate = base + suffix;
    if (fs.existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** Every fixture file under the given files or folders (recursively), sorted. */
export function findFixtureFiles(paths: string[]): string[] {
  const found = new Set<string>();
  const visit = (p: string): void => {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(p);
    } catch {
      return;
    }
    if (stat.isDirectory()) {
      for (const entry of fs.readdirSync(p)) {
        if (entry === 'node_modules' || entry.startsWith('.')) continue;
        visit(path.join(p, entry));
      }
    } else if (isFixtureFile(p)) {
      found.add(p);
    }
  };
  for (const p of paths) visit(p);
  return [...found].sort();
}

/** Reads and validates one fixture file. `displayFile` is the name used in diagnostics. */
export function loadFixtureFile(file: string, displayFile = file): FixtureFile {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    return {
      file: displayFile,
      placeholders: {},
      tests: [],
      diagnostics: [problem({ file: displayFile, line: 1, col: 1 }, 'fixture-unreadable', `cannot read the fixture file: ${(err as Error).message}`)],
    };
  }
  return parseFixtureText(text, displayFile);
}

function problem(loc: SourceLocation, code: string, message: string, hint?: string): Diagnostic {
  return { severity: 'error', code, message, hint, loc };
}

function isMap(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function isScalar(value: unknown): value is Scalar {
  return value === null || ['string', 'number', 'boolean'].includes(typeof value);
}

/** Validates the text of a fixture file: every problem is reported with its position. */
export function parseFixtureText(text: string, file: string): FixtureFile {
  const result: FixtureFile = { file, placeholders: {}, tests: [], diagnostics: [] };
  const parsed = parseYamlDocument(text, file);
  result.diagnostics.push(...parsed.diagnostics);
  const doc = parsed.doc;
  if (!doc || result.diagnostics.length > 0) {
    if (!doc && parsed.diagnostics.length === 0) {
      result.diagnostics.push(problem({ file, line: 1, col: 1 }, 'fixture-empty', 'the fixture file is empty', 'add a `tests:` list'));
    }
    return result;
  }
  const at = (p: YamlPath, part: 'key' | 'value' = 'value'): SourceLocation => locOf(doc, p, part);
  const root = doc.value;
  if (!isMap(root)) {
    result.diagnostics.push(problem(at([]), 'fixture-shape', 'a fixture file must be a mapping with `tests:` (and optionally `placeholders:`)'));
    return result;
  }
  for (const key of Object.keys(root)) {
    if (!TOP_LEVEL_KEYS.has(key)) {
      result.diagnostics.push(problem(at([key], 'key'), 'fixture-unknown-key', `unknown top-level key '${key}'`, 'allowed keys: placeholders, tests'));
    }
  }
  readPlaceholders(root.placeholders, doc, result);
  const tests = root.tests;
  if (!Array.isArray(tests) || tests.length === 0) {
    result.diagnostics.push(
      problem(at(tests === undefined ? [] : ['tests']), 'fixture-no-tests', '`tests` must be a non-empty list', 'add `tests:` with entries holding `match:` / `no_match:` event lists'),
    );
    return result;
  }
  tests.forEach((entry, i) => {
    const test = readTest(entry, ['tests', i], doc, result);
    if (test) result.tests.push(test);
  });
  return result;
}

function readPlaceholders(value: unknown, doc: YamlDoc, result: FixtureFile): void {
  if (value === undefined || value === null) return;
  if (!isMap(value)) {
    result.diagnostics.push(problem(locOf(doc, ['placeholders'], 'value'), 'fixture-placeholders', '`placeholders` must map names to a value or a list of values'));
    return;
  }
  for (const [name, v] of Object.entries(value)) {
    if (Array.isArray(v) && v.length > 0 && v.every((x) => isScalar(x) && x !== null)) {
      result.placeholders[name] = v.map(String);
    } else if (isScalar(v) && v !== null) {
      result.placeholders[name] = String(v);
    } else {
      result.diagnostics.push(
        problem(locOf(doc, ['placeholders', name], 'value'), 'fixture-placeholders', `placeholder '${name}' must be a string or a non-empty list of strings`, 'quote values that YAML would read as a mapping, e.g. "{x}"'),
      );
    }
  }
}

function readEvents(value: unknown, p: YamlPath, doc: YamlDoc, result: FixtureFile): FixtureEvent[] {
  if (!Array.isArray(value)) {
    result.diagnostics.push(problem(locOf(doc, p, 'value'), 'fixture-events', `\`${String(p[p.length - 1])}\` must be a list of events`));
    return [];
  }
  const events: FixtureEvent[] = [];
  value.forEach((raw, i) => {
    const loc = locOf(doc, [...p, i], 'value');
    if (!isMap(raw)) {
      result.diagnostics.push(problem(loc, 'fixture-event', 'an event must be a mapping (a log object, `{log_id, data}` or an EventBridge envelope)'));
      return;
    }
    events.push({ raw, loc });
  });
  return events;
}

function readTest(entry: unknown, p: YamlPath, doc: YamlDoc, result: FixtureFile): FixtureTest | undefined {
  const loc = locOf(doc, p, 'value');
  if (!isMap(entry)) {
    result.diagnostics.push(problem(loc, 'fixture-test', 'each entry of `tests` must be a mapping with `rule`, `match`, `no_match` (or `sequence` and `expect`)'));
    return undefined;
  }
  const before = result.diagnostics.length;
  for (const key of Object.keys(entry)) {
    if (!TEST_KEYS.has(key)) {
      const hint = key === 'no-match' || key === 'nomatch' ? 'did you mean `no_match`?' : 'allowed keys: rule, match, no_match, sequence, expect';
      result.diagnostics.push(problem(locOf(doc, [...p, key], 'key'), 'fixture-unknown-key', `unknown key '${key}' in a test entry`, hint));
    }
  }
  const test: FixtureTest = { loc, match: [], noMatch: [] };
  if (entry.rule !== undefined) {
    if (typeof entry.rule === 'string' && entry.rule.trim() !== '') test.rule = entry.rule;
    else result.diagnostics.push(problem(locOf(doc, [...p, 'rule'], 'value'), 'fixture-rule', '`rule` must be a rule id or title'));
  }
  if (entry.match !== undefined) test.match = readEvents(entry.match, [...p, 'match'], doc, result);
  if (entry.no_match !== undefined) test.noMatch = readEvents(entry.no_match, [...p, 'no_match'], doc, result);
  if (entry.sequence !== undefined) test.sequence = readEvents(entry.sequence, [...p, 'sequence'], doc, result);
  if (entry.expect !== undefined) {
    if (entry.sequence === undefined) {
      result.diagnostics.push(problem(locOf(doc, [...p, 'expect'], 'key'), 'fixture-expect', '`expect` needs a `sequence` of events'));
    }
    test.expect = readExpect(entry.expect, [...p, 'expect'], doc, result);
  } else if (entry.sequence !== undefined) {
    result.diagnostics.push(
      problem(locOf(doc, [...p, 'sequence'], 'key'), 'fixture-expect', '`sequence` needs an `expect` list (write `expect: []` when no detection is expected)'),
    );
  }
  if (entry.match === undefined && entry.no_match === undefined && entry.sequence === undefined) {
    result.diagnostics.push(problem(loc, 'fixture-test', 'a test entry needs `match`, `no_match` or `sequence`'));
  }
  return result.diagnostics.length === before ? test : undefined;
}

function readExpect(value: unknown, p: YamlPath, doc: YamlDoc, result: FixtureFile): ExpectedCorrelation[] {
  if (!Array.isArray(value)) {
    result.diagnostics.push(problem(locOf(doc, p, 'value'), 'fixture-expect', '`expect` must be a list of expected detections (`{group, value}`, both optional)'));
    return [];
  }
  const out: ExpectedCorrelation[] = [];
  value.forEach((item, i) => {
    const loc = locOf(doc, [...p, i], 'value');
    if (item === null || (isMap(item) && Object.keys(item).length === 0)) {
      out.push({ loc });
      return;
    }
    if (!isMap(item)) {
      result.diagnostics.push(problem(loc, 'fixture-expect', 'an expected detection must be a mapping with optional `group` and `value`'));
      return;
    }
    const expected: ExpectedCorrelation = { loc };
    for (const key of Object.keys(item)) {
      if (!EXPECT_KEYS.has(key)) result.diagnostics.push(problem(locOf(doc, [...p, i, key], 'key'), 'fixture-unknown-key', `unknown key '${key}' in an expected detection`, 'allowed keys: group, value'));
    }
    if (item.group !== undefined) {
      if (isMap(item.group) && Object.values(item.group).every(isScalar)) expected.group = item.group as Record<string, Scalar>;
      else result.diagnostics.push(problem(locOf(doc, [...p, i, 'group'], 'value'), 'fixture-expect', '`group` must map group-by fields to values'));
    }
    if (item.value !== undefined) {
      if (typeof item.value === 'number') expected.value = item.value;
      else result.diagnostics.push(problem(locOf(doc, [...p, i, 'value'], 'value'), 'fixture-expect', '`value` must be a number'));
    }
    out.push(expected);
  });
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Running

export type CaseStatus = 'passed' | 'failed';

export interface FixtureCaseResult {
  ruleTitle: string;
  ruleId?: string;
  /** `match #1`, `no_match #2`, `sequence #1`. */
  name: string;
  status: CaseStatus;
  /** Why it failed. */
  message?: string;
  /** Extra lines (the explain tree of a failing case). */
  details?: string;
  loc: SourceLocation;
}

export interface FixtureFileReport {
  /** The fixture file (as displayed), or the rule file for rules without one. */
  fixtureFile?: string;
  ruleFile: string;
  /** Problems that stop the file from running (fixture or rule file errors); each counts as a failure. */
  problems: Diagnostic[];
  cases: FixtureCaseResult[];
}

export interface FixtureReport {
  files: FixtureFileReport[];
  /** Enabled rules no fixture test covers. */
  rulesWithoutFixtures: { file: string; line: number; id: string; title: string }[];
  passed: number;
  failed: number;
}

export interface RunFixturesOptions {
  /** Rule files or folders. */
  paths: string[];
  /** Paths in the output are relative to this directory. */
  root?: string;
  /** Overrides and filters of a detection config file (`test --config`); fixture placeholders stay the fixture's. */
  config?: Pick<LoadOptions, 'overrides' | 'configFilters'>;
}

// Named exactly as the loader names rule files in diagnostics, so `test` and `check` print the same paths.
function displayName(root: string | undefined, file: string): string {
  return root ? relativeName(file, root) : file;
}

function sameFile(root: string | undefined, a: string, b: string): boolean {
  return path.resolve(root ?? '', a) === path.resolve(root ?? '', b);
}

/** Finds every rule file and its fixture file under `paths`, runs all fixtures, and reports per case. */
export async function runFixtures(options: RunFixturesOptions): Promise<FixtureReport> {
  const root = options.root;
  const ruleFiles = findRuleFiles(options.paths);
  const report: FixtureReport = { files: [], rulesWithoutFixtures: [], passed: 0, failed: 0 };
  const loads = new Map<string, LoadResult>();
  // The whole rule set, so correlations can reference rules of other files. With the fixture's placeholders an
  // unresolved one is an error (reported against the rule file under test); the listing of rules without
  // fixtures uses `skip-rule` so such rules still show up there.
  const loadWith = (placeholders: Record<string, string | string[]>, unresolved: 'error' | 'skip-rule'): LoadResult => {
    const key = unresolved + JSON.stringify(Object.entries(placeholders).sort(([a], [b]) => (a < b ? -1 : 1)));
    let loaded = loads.get(key);
    if (!loaded) {
      loaded = loadRules(options.paths, { placeholders, unresolvedPlaceholders: unresolved, root, ...options.config });
      loads.set(key, loaded);
    }
    return loaded;
  };
  const compiled = new Map<LoadResult, CompiledRuleSet>();
  const compile = (loaded: LoadResult): CompiledRuleSet => {
    let set = compiled.get(loaded);
    if (!set) {
      set = new CompiledRuleSet(loaded.model);
      compiled.set(loaded, set);
    }
    return set;
  };

  const fixtureFilesSeen = new Set<string>();
  for (const ruleFile of ruleFiles) {
    const ruleDisplay = displayName(root, ruleFile);
    const fixturePath = fixtureFileFor(ruleFile);
    const baseLoad = loadWith({}, 'skip-rule');
    if (!fixturePath) {
      for (const rule of baseLoad.model.rules.filter((r) => sameFile(root, r.file, ruleDisplay))) {
        report.rulesWithoutFixtures.push({ file: ruleDisplay, line: rule.line, id: rule.id, title: rule.title });
      }
      for (const s of baseLoad.skipped.filter((x) => sameFile(root, x.file, ruleDisplay) && /placeholder/i.test(x.reason))) {
        report.rulesWithoutFixtures.push({ file: ruleDisplay, line: s.line, id: '', title: s.title });
      }
      continue;
    }
    fixtureFilesSeen.add(path.resolve(fixturePath));
    const fixtureDisplay = displayName(root, fixturePath);
    const fixture = loadFixtureFile(fixturePath, fixtureDisplay);
    const fileReport: FixtureFileReport = { fixtureFile: fixtureDisplay, ruleFile: ruleDisplay, problems: [...fixture.diagnostics], cases: [] };
    report.files.push(fileReport);
    if (fixture.diagnostics.length > 0) continue;

    const loaded = loadWith(fixture.placeholders, 'error');
    const ruleErrors = loaded.diagnostics.filter((d) => d.severity === 'error' && sameFile(root, d.loc.file, ruleDisplay));
    if (ruleErrors.length > 0) {
      fileReport.problems.push(...ruleErrors);
      continue;
    }
    // A Sigma filter file's fixtures test the rules it filters and the correlations counting them.
    const filtered = new Set(loaded.model.rules.filter((r) => r.filters?.some((f) => sameFile(root, f.file, ruleDisplay))).map((r) => r.id));
    const rulesOfFile = loaded.model.rules.filter((r) =>
      sameFile(root, r.file, ruleDisplay) || filtered.has(r.id) || (r.correlation?.rules.some((id) => filtered.has(id)) ?? false));
    const skippedOfFile = loaded.skipped.filter((s) => sameFile(root, s.file, ruleDisplay));
    const covered = new Set<string>();
    const ruleSet = compile(loaded);
    // Cases are numbered per rule and kind across the file, so two entries for one rule never share a name.
    const numbering = new Map<string, number>();
    const caseName = (ruleId: string, kind: string): string => {
      const key = `${ruleId}\u0000${kind}`;
      const n = (numbering.get(key) ?? 0) + 1;
      numbering.set(key, n);
      return `${kind} #${n}`;
    };
    for (const test of fixture.tests) {
      const rule = resolveTestRule(test, rulesOfFile, skippedOfFile, ruleDisplay, fileReport);
      if (!rule) continue;
      covered.add(rule.id);
      // The rules a tested correlation reads are exercised by its sequence.
      for (const id of rule.correlation?.rules ?? []) covered.add(id);
      await runTest(test, rule, ruleSet, loaded, fileReport, caseName);
    }
    for (const rule of rulesOfFile) {
      if (!covered.has(rule.id)) report.rulesWithoutFixtures.push({ file: ruleDisplay, line: rule.line, id: rule.id, title: rule.title });
    }
  }

  // A fixture file whose rule file is missing (renamed rule, typo in the name) would silently test nothing.
  for (const fixturePath of findFixtureFiles(options.paths)) {
    if (fixtureFilesSeen.has(path.resolve(fixturePath))) continue;
    const fixtureDisplay = displayName(root, fixturePath);
    report.files.push({
      fixtureFile: fixtureDisplay,
      ruleFile: fixtureDisplay.replace(/\.test\.ya?ml$/, '.yml'),
      problems: [
        problem(
          { file: fixtureDisplay, line: 1, col: 1 },
          'fixture-orphan',
          `no rule file next to this fixture file (expected ${path.basename(fixturePath).replace(/\.test\.ya?ml$/, '.yml')})`,
          'name the fixture file after its rule file: foo.yml → foo.test.yml',
        ),
      ],
      cases: [],
    });
  }

  for (const file of report.files) {
    report.failed += file.problems.filter((d) => d.severity === 'error').length;
    for (const c of file.cases) report[c.status]++;
  }
  return report;
}

function resolveTestRule(
  test: FixtureTest,
  rules: RuleModel[],
  skipped: LoadResult['skipped'],
  ruleFile: string,
  fileReport: FixtureFileReport,
): RuleModel | undefined {
  const fail = (message: string, hint?: string): undefined => {
    fileReport.problems.push(problem(test.loc, 'fixture-rule', message, hint));
    return undefined;
  };
  if (test.rule === undefined) {
    if (rules.length === 1 && skipped.length === 0) return rules[0];
    return fail(`${ruleFile} holds ${rules.length + skipped.length} rules: say which one this test is for`, 'add `rule: <id or title>` to the test entry');
  }
  const wanted = test.rule;
  const found = rules.find((r) => r.id === wanted) ?? rules.find((r) => r.title === wanted) ?? rules.find((r) => r.name === wanted);
  if (found) return found;
  const skip = skipped.find((s) => s.title === wanted);
  if (skip) return fail(`rule '${wanted}' was not loaded: ${skip.reason}`, /placeholder/i.test(skip.reason) ? 'set its placeholders under `placeholders:` in the fixture file' : undefined);
  const known = [...rules.map((r) => `${r.id} (${r.title})`), ...skipped.map((s) => s.title)].join(', ') || 'none';
  return fail(`no rule '${wanted}' in ${ruleFile}`, `rules in that file: ${known}`);
}

function explainText(ruleSet: CompiledRuleSet, ruleId: string, event: NormalizedEvent): string {
  try {
    return formatExplain(ruleSet.explain(ruleId, event));
  } catch (err) {
    return `(explain failed: ${(err as Error).message})`;
  }
}

async function runTest(
  test: FixtureTest,
  rule: RuleModel,
  ruleSet: CompiledRuleSet,
  loaded: LoadResult,
  fileReport: FixtureFileReport,
  caseName: (ruleId: string, kind: string) => string,
): Promise<void> {
  const base = { ruleTitle: rule.title, ruleId: rule.id };
  const singleEvent = (events: FixtureEvent[], kind: 'match' | 'no_match'): void => {
    events.forEach((ev) => {
      const name = caseName(rule.id, kind);
      if (rule.kind === 'correlation') {
        fileReport.cases.push({ ...base, name, status: 'failed', loc: ev.loc, message: 'a correlation rule is tested with `sequence` and `expect`, not single events' });
        return;
      }
      const normalized = normalizeEvent(ev.raw);
      if ('error' in normalized) {
        fileReport.cases.push({ ...base, name, status: 'failed', loc: ev.loc, message: `the event is not a valid log: ${normalized.error}` });
        return;
      }
      const matched = ruleSet.match(normalized.event).some((m) => m.rule.id === rule.id);
      const wanted = kind === 'match';
      if (matched === wanted) {
        fileReport.cases.push({ ...base, name, status: 'passed', loc: ev.loc });
      } else {
        fileReport.cases.push({
          ...base,
          name,
          status: 'failed',
          loc: ev.loc,
          message: wanted ? 'expected the rule to match this event; it did not' : 'expected the rule not to match this event; it did',
          details: explainText(ruleSet, rule.id, normalized.event),
        });
      }
    });
  };
  singleEvent(test.match, 'match');
  singleEvent(test.noMatch, 'no_match');
  if (test.sequence) {
    const name = caseName(rule.id, 'sequence');
    if (rule.kind !== 'correlation') {
      fileReport.cases.push({ ...base, name, status: 'failed', loc: test.loc, message: '`sequence`/`expect` tests need a correlation rule' });
      return;
    }
    const events: NormalizedEvent[] = [];
    for (const ev of test.sequence) {
      const normalized = normalizeEvent(ev.raw);
      if ('error' in normalized) {
        fileReport.cases.push({ ...base, name, status: 'failed', loc: ev.loc, message: `the event is not a valid log: ${normalized.error}` });
        return;
      }
      events.push(normalized.event);
    }
    const got = await runCorrelation(loaded, ruleSet, rule.id, events);
    const mismatch = compareCorrelations(test.expect ?? [], got);
    fileReport.cases.push(
      mismatch ? { ...base, name, status: 'failed', loc: test.loc, message: mismatch.message, details: mismatch.details } : { ...base, name, status: 'passed', loc: test.loc },
    );
  }
}

/**
 * Feeds the sequence, in order, through a fresh correlation engine over the memory store (as `scan` does),
 * closes every window at the end, and returns the detections of the correlation under test.
 */
async function runCorrelation(
  loaded: LoadResult,
  ruleSet: CompiledRuleSet,
  ruleId: string,
  events: NormalizedEvent[],
): Promise<{ group: Record<string, Scalar>; value: number }[]> {
  const correlator = new Correlator(loaded.model.rules, new MemoryCorrelationStore());
  const detections = [];
  for (const event of events) detections.push(...(await correlator.processEvent(event, ruleSet.match(event))));
  detections.push(...(await correlator.closeWindows(Infinity)));
  return detections
    .filter((d) => d.rule.id === ruleId && d.correlation)
    .map((d) => ({ group: d.correlation?.group ?? {}, value: d.correlation?.value ?? 0 }));
}

function groupMatches(expected: Record<string, Scalar>, actual: Record<string, Scalar>): boolean {
  return Object.entries(expected).every(([field, value]) => String(actual[field] ?? null) === String(value ?? null));
}

/** Expected and actual detections, in any order: each expected entry must pair with a distinct actual one. */
function compareCorrelations(
  expected: ExpectedCorrelation[],
  actual: { group: Record<string, Scalar>; value: number }[],
): { message: string; details: string } | undefined {
  const describe = (d: { group?: Record<string, Scalar>; value?: number }): string =>
    `group ${JSON.stringify(d.group ?? {})}${d.value !== undefined ? `, value ${d.value}` : ''}`;
  const details = [
    `expected (${expected.length}):`,
    ...expected.map((e) => `  ${describe(e)}  (${e.loc.file}:${e.loc.line})`),
    `got (${actual.length}):`,
    ...actual.map((a) => `  ${describe(a)}`),
  ].join('\n');
  if (expected.length !== actual.length) {
    return { message: `expected ${expected.length} correlation detection(s), got ${actual.length}`, details };
  }
  const unused = [...actual];
  for (const e of expected) {
    const i = unused.findIndex((a) => (e.group === undefined || groupMatches(e.group, a.group)) && (e.value === undefined || e.value === a.value));
    if (i < 0) return { message: `no correlation detection matches the expected ${describe(e)}`, details };
    unused.splice(i, 1);
  }
  return undefined;
}

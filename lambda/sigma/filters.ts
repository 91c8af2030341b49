// Sigma filters (Sigma specification v2.1, "Sigma Filters"): a document with `title`, `id`, `logsource` and
// `filter: {rules: [...], <selections>..., condition}` that tunes rules without editing them. As pySigma does, a
// filter is applied at load time by rewriting each filtered rule's condition to `(original) and (filter
// condition)`, with the filter's identifiers renamed into their own namespace (`filter:<key>:<identifier>`): the
// matcher, the type index, explain and the prefilter then need no new concept, and a filter can only remove
// matches (its condition is one more conjunct). The filter condition says which events the rule keeps, so a
// filter that suppresses what its selection matches is written `condition: not selection`.
//
// A filter on a correlation rule is refused: a filter removes single events, so it goes on the rules the
// correlation counts, which removes those events from the count.

import type { AppliedFilter, ConditionNode, Diagnostic, RuleModel, Severity, SourceLocation } from './types';
import type { YamlDoc, YamlNode } from './yaml-source';
import { locOf } from './yaml-source';
import { printCondition } from './conditions';
import { defineKey, has, isMapping, validateDocument, type RuleDraft, type ValidateOptions } from './validate';
import type { ExplainNode } from './explain';

/** A filter document, validated: its selections and condition as a detection model. */
export interface FilterDraft {
  file: string;
  line: number;
  title: string;
  id: string;
  /** Short name used in renamed identifiers: the filter's `name`, else a slug of its title. */
  key: string;
  refs: { ref: string; loc: SourceLocation }[];
  /** The detection built from the filter's selections and condition (undefined when it has errors). */
  rule?: RuleModel;
  status: 'ok' | 'error' | 'skipped';
  skipReason?: string;
  /** Placeholder names the filter's selections use. */
  placeholders: string[];
}

const FILTER_KEYS_NOT_SELECTIONS = new Set(['rules', 'condition']);

/** A YAML document is a filter when it has `filter:` and neither `detection:` nor `correlation:`. */
export function isFilterDocument(value: unknown): boolean {
  return isMapping(value) && has(value, 'filter') && !has(value, 'detection') && !has(value, 'correlation');
}

/**
 * Validates a filter document. `fromConfig`: the filter sits in the detection config file, where `logsource`
 * may be left out (it can only apply to Auth0 rules there); in a rule source a missing logsource is a warning.
 */
export function validateFilterDocument(doc: YamlDoc, options: ValidateOptions, out: Diagnostic[], fromConfig = false): FilterDraft {
  const raw = doc.value as Record<string, unknown>;
  const title = typeof raw.title === 'string' && raw.title.trim() !== '' ? raw.title : '(untitled filter)';
  const draft: FilterDraft = {
    file: doc.file, line: doc.root.line, title, id: typeof raw.id === 'string' ? raw.id : '', key: filterKey(raw, title),
    refs: [], status: 'error', placeholders: [],
  };
  const errorsBefore = out.filter((d) => d.severity === 'error').length;
  const report = (severity: Severity, code: string, loc: SourceLocation, message: string, hint?: string): void => {
    const d: Diagnostic = { severity, code, message, loc, ruleTitle: title };
    if (hint) d.hint = hint;
    out.push(d);
  };

  if (title === '(untitled filter)') {
    report('error', 'missing-title', locOf(doc, has(raw, 'title') ? ['title'] : [], 'value'), 'the filter has no title (the Sigma filters specification requires one)',
      'add `title: <what this filter allows and why>`: check and explain name filters by title');
  }
  // Log source: Auth0 filters only; other products are skipped like rules of other products.
  if (!has(raw, 'logsource')) {
    if (!fromConfig) {
      report('warning', 'filter-missing-logsource', locOf(doc, []), 'the filter has no logsource (the Sigma filters specification requires one); it is applied to Auth0 rules',
        'add `logsource:` then `  product: auth0`');
    }
  } else if (!isMapping(raw.logsource)) {
    report('error', 'bad-logsource', locOf(doc, ['logsource'], 'value'), 'logsource must be a mapping', 'write `logsource:` then `  product: auth0`');
  } else if (has(raw.logsource, 'product') && String(raw.logsource.product).toLowerCase() !== 'auth0') {
    draft.status = 'skipped';
    draft.skipReason = `logsource product '${String(raw.logsource.product)}' is not auth0`;
    report('note', 'filter-skipped', locOf(doc, []), `filter skipped: ${draft.skipReason}`);
    return draft;
  }

  const body = raw.filter;
  const bodyPath = ['filter'];
  if (!isMapping(body)) {
    report('error', 'bad-filter', locOf(doc, bodyPath, 'value'), 'filter must be a mapping of `rules`, selections and a `condition`',
      'write `filter:` then `  rules: [<rule id>]`, `  selection: {field: value}` and `  condition: not selection`');
    return draft;
  }
  if (!has(body, 'rules')) {
    report('error', 'filter-missing-rules', locOf(doc, bodyPath), 'the filter has no `rules`: it must name the rules it applies to',
      'add `rules:` then `  - <rule id or name>`');
  } else {
    const list = typeof body.rules === 'string' ? [body.rules] : body.rules;
    if (!Array.isArray(list) || list.length === 0) {
      report('error', 'bad-filter-rules', locOf(doc, ['filter', 'rules'], 'value'), '`rules` must be a non-empty list of rule ids or names',
        'write `rules:` then one `- <rule id>` per line (`any`/`all` are not supported: list the rules)');
    } else {
      list.forEach((ref, i) => {
        const loc = locOf(doc, typeof body.rules === 'string' ? ['filter', 'rules'] : ['filter', 'rules', i], 'value');
        if (typeof ref === 'string' && ref.trim() !== '' && !['any', 'all'].includes(ref.toLowerCase())) draft.refs.push({ ref, loc });
        else if (typeof ref === 'string' && ['any', 'all'].includes(ref.toLowerCase())) {
          report('error', 'bad-filter-rules', loc, `\`rules: ${ref}\` is not supported: a filter names the rules it applies to`, 'list the rule ids (check prints them)');
        } else report('error', 'bad-filter-rules', loc, `a rule reference must be a rule id or name, not ${JSON.stringify(ref)}`, "quote the id: - '<rule id>'");
      });
    }
  }
  const selections = Object.keys(body).filter((k) => !FILTER_KEYS_NOT_SELECTIONS.has(k));
  if (!has(body, 'condition')) {
    report('error', 'filter-missing-condition', locOf(doc, bodyPath), 'the filter has no condition',
      `add \`condition: not ${selections[0] ?? 'selection'}\` under filter (the rule keeps the events for which it is true)`);
  } else if (typeof body.condition !== 'string') {
    report('error', 'bad-filter-condition', locOf(doc, ['filter', 'condition'], 'value'), 'a filter condition must be one string',
      'write e.g. `condition: not selection`');
  }
  if (selections.length === 0) {
    report('error', 'filter-missing-selection', locOf(doc, bodyPath), 'the filter has no selection',
      'add e.g. `selection:` then `  data.client_id: <the client to allow>`');
  }
  if (out.filter((d) => d.severity === 'error').length > errorsBefore) return draft;

  // The selections and condition are a detection: validate them as one, with positions from the filter.
  const detection: Record<string, unknown> = {};
  for (const k of Object.keys(body)) if (k !== 'rules') detection[k] = body[k];
  // The filter's own logsource was checked above; the stand-in keeps the rule validator from judging it again.
  const value: Record<string, unknown> = { title, level: 'informational', logsource: { product: 'auth0' }, detection };
  if (has(raw, 'id')) value.id = raw.id;
  const entries = new Map(doc.root.entries ?? []);
  const filterEntry = entries.get('filter');
  if (filterEntry) entries.set('detection', { ...filterEntry, key: 'detection' });
  const root: YamlNode = { ...doc.root, entries };
  const before = out.length;
  const ruleDraft: RuleDraft | undefined = validateDocument({ ...doc, value, root }, options, out);
  if (!ruleDraft) return draft;
  draft.placeholders = ruleDraft.placeholders ?? [];
  if (ruleDraft.id) draft.id = ruleDraft.id;
  if (ruleDraft.status === 'skipped') {
    // Only an unset placeholder gets here (`scan` without --strict): say what that means for the filtered rules.
    draft.status = 'skipped';
    draft.skipReason = ruleDraft.skipReason;
    for (const d of out.slice(before)) {
      if (d.code !== 'rule-skipped-placeholder') continue;
      d.code = 'filter-skipped-placeholder';
      d.message = `filter skipped: ${ruleDraft.skipReason ?? 'an unresolved placeholder'}: the rules it names are NOT filtered`;
    }
    return draft;
  }
  if (ruleDraft.status !== 'ok' || !ruleDraft.rule?.detection) return draft;
  draft.rule = ruleDraft.rule;
  draft.status = 'ok';
  if (!hasNot(ruleDraft.rule.detection.condition)) {
    report('warning', 'filter-condition-keeps', locOf(doc, ['filter', 'condition'], 'value'),
      `the filter condition '${ruleDraft.rule.detection.conditionText[0]}' has no \`not\`: the filtered rules will alert ONLY on events it matches`,
      `a filter condition is ANDed with the rule's (as in pySigma): to suppress the events the selection matches, write \`condition: not ${conditionName(ruleDraft.rule.detection.condition)}\``);
  }
  return draft;
}

/** What `applyFilters` needs to know about every rule document read (including ones not enabled). */
export interface FilterTarget {
  id: string;
  name?: string;
  title: string;
  file: string;
  line: number;
  kind: 'detection' | 'correlation';
  status: 'ok' | 'error' | 'skipped';
  skipReason?: string;
  /** For correlations: the rules it counts, as written. */
  counts?: string[];
}

/**
 * Applies every valid filter to the enabled rules it names, in load order. Names no rule: a warning. Names a
 * rule that is not enabled: a note. Names a correlation: an error. Returns the rules as changed.
 */
export function applyFilters(rules: RuleModel[], targets: readonly FilterTarget[], filters: readonly FilterDraft[], out: Diagnostic[]): RuleModel[] {
  const enabled = new Map(rules.map((r) => [r.id, r]));
  for (const filter of filters) {
    if (filter.status !== 'ok' || !filter.rule?.detection) continue;
    const report = (severity: Severity, code: string, loc: SourceLocation, message: string, hint?: string): void => {
      const d: Diagnostic = { severity, code, message, loc, ruleTitle: filter.title };
      if (hint) d.hint = hint;
      out.push(d);
    };
    const applied = new Set<string>();
    for (const { ref, loc } of filter.refs) {
      const found = targets.filter((t) => t.id === ref || t.name === ref);
      const unique = [...new Map(found.map((t) => [t.id, t])).values()];
      if (unique.length === 0) {
        report('warning', 'filter-unknown-rule', loc, `filter '${filter.title}': no rule has the id or name '${ref}', so it filters nothing`,
          'name a rule of the loaded rule sources by its id (`check` lists them), or remove the filter');
        continue;
      }
      if (unique.length > 1) {
        report('error', 'ambiguous-rule-reference', loc, `'${ref}' names several rules: ${unique.map((t) => `'${t.title}' (${t.file}:${t.line})`).join(', ')}`,
          'name the rule by its id');
        continue;
      }
      const target = unique[0];
      if (target.kind === 'correlation') {
        report('error', 'filter-on-correlation', loc, `filter '${filter.title}' names the correlation '${target.title}' (${target.file}:${target.line}); filters apply to detection rules`,
          `name the rules it counts instead (${(target.counts ?? []).join(', ')}): their filtered events then leave the count`);
        continue;
      }
      if (target.status !== 'ok') {
        const why = target.status === 'error' ? 'it has errors' : `it is not enabled: ${target.skipReason ?? 'skipped'}`;
        report('note', 'filter-rule-not-enabled', loc, `filter '${filter.title}' names '${target.title}' (${target.file}:${target.line}), which is not loaded: ${why}`);
        continue;
      }
      const rule = enabled.get(target.id);
      if (!rule || applied.has(rule.id)) continue;
      applied.add(rule.id);
      applyFilter(rule, filter);
    }
  }
  return rules;
}

/** Rewrites one rule: the filter's identifiers join the detection under their own prefix, its condition is ANDed. */
function applyFilter(rule: RuleModel, filter: FilterDraft): void {
  const detection = rule.detection!;
  const source = filter.rule!.detection!;
  const taken = new Set(Object.keys(detection.identifiers));
  let prefix = `filter:${filter.key}:`;
  for (let n = 2; Object.keys(source.identifiers).some((name) => taken.has(prefix + name)); n++) prefix = `filter:${filter.key}_${n}:`;
  const renamed: string[] = [];
  for (const [name, node] of Object.entries(source.identifiers)) {
    defineKey(detection.identifiers, prefix + name, node);
    renamed.push(prefix + name);
  }
  const condition = renameCondition(source.condition, (name) => prefix + name, prefix);
  const first = !rule.filters || rule.filters.length === 0;
  if (first) {
    const original = detection.conditionText.length === 1 ? detection.conditionText[0] : detection.conditionText.map((t) => `(${t})`).join(' or ');
    detection.condition = { op: 'and', args: [detection.condition, condition] };
    detection.conditionText = [`(${original}) and (${printCondition(condition)})`];
  } else {
    (detection.condition as { op: 'and'; args: ConditionNode[] }).args.push(condition);
    detection.conditionText = [`${detection.conditionText[0]} and (${printCondition(condition)})`];
  }
  const applied: AppliedFilter = { id: filter.id, title: filter.title, file: filter.file, line: filter.line, identifiers: renamed };
  rule.filters = [...(rule.filters ?? []), applied];
  rule.placeholders = [...new Set([...rule.placeholders, ...filter.placeholders])].sort();
}

function renameCondition(node: ConditionNode, rename: (name: string) => string, prefix: string): ConditionNode {
  switch (node.op) {
    case 'id':
      return { op: 'id', name: rename(node.name) };
    case 'of':
      return { op: 'of', quantifier: node.quantifier, pattern: prefix + node.pattern, names: node.names.map(rename) };
    case 'not':
      return { op: 'not', arg: renameCondition(node.arg, rename, prefix) };
    case 'and':
    case 'or':
      return { op: node.op, args: node.args.map((a) => renameCondition(a, rename, prefix)) };
  }
}

/**
 * The filters that turned a match into no match, from `CompiledRuleSet.explain` of a filtered rule: those whose
 * condition was false while the rule's own condition was true.
 */
export function filtersThatSuppressed(rule: RuleModel, explained: ExplainNode): AppliedFilter[] {
  if (!rule.filters?.length || explained.kind !== 'rule') return [];
  const top = explained.child;
  if (top.kind !== 'and' || top.children.length !== rule.filters.length + 1 || !top.children[0].result) return [];
  return rule.filters.filter((_, i) => !top.children[i + 1].result);
}

function filterKey(raw: Record<string, unknown>, title: string): string {
  const base = typeof raw.name === 'string' && raw.name.trim() !== '' ? raw.name : title;
  const slug = base.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 40);
  return slug === '' ? 'filter' : slug;
}

function hasNot(node: ConditionNode): boolean {
  switch (node.op) {
    case 'not':
      return true;
    case 'and':
    case 'or':
      return node.args.some(hasNot);
    default:
      return false;
  }
}

function conditionName(node: ConditionNode): string {
  const text = printCondition(node);
  return node.op === 'id' || node.op === 'of' ? text : `(${text})`;
}

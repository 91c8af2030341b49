// The compiled rule set: every detection rule's condition and searches turned into closures once, and an index
// on `data.type` so that an event visits only the rules that can match its type plus the rules that cannot be
// indexed. Correlation rules are not matched here (the correlation engine consumes these matches).

import { BUDGET_RULE, BudgetExceeded, DEFAULT_REGEX_BUDGET, EvaluationBudget } from './budget';
import { CachedField, FieldValueCache } from './fieldpath';
import { allOf, anyOf, compileSearchNode, CompiledSearch, EventPredicate, FALSE, searchFields, TRUE } from './matcher';
import { explainCondition, explainSearch, ExplainNode } from './explain';
import { ExactPredicate, foldedValues, stringForm } from './modifiers';
import { ConditionNode, EngineOptions, FieldItem, NormalizedEvent, RuleModel, RuleSetModel, SearchNode } from './types';
import { foldCase, hasWildcards, literalText, parseWildcard } from './wildcards';

export interface RuleMatch {
  rule: RuleModel;
  /** Search identifiers that were true for the event (in declaration order). */
  matched: string[];
  /** The built-in budget rule only: the rules the event's budget left unevaluated. */
  skippedRules?: { id: string; title: string }[];
}

/** A rule whose evaluation on one event did not complete. `reason` never quotes the event. */
export interface RuleFailure {
  ruleId: string;
  kind: 'error' | 'budget';
  reason: string;
}

/**
 * What `match` could not do for one event. Pass one in to learn about it (it is cleared at each call); the
 * failures are contained either way: other rules still evaluate.
 */
export interface MatchReport {
  failures: RuleFailure[];
  /** Regex steps the event used (see budget.ts). */
  budgetSteps: number;
  budgetExceeded: boolean;
}

export function newMatchReport(): MatchReport {
  return { failures: [], budgetSteps: 0, budgetExceeded: false };
}

export const BUDGET_EXCEEDED_REASON = 'evaluation budget exceeded';

export interface CompiledRuleSetOptions {
  /** Turn the `data.type` index off (every rule evaluated on every event): for tests and benchmarks. */
  index?: boolean;
}

/** The field rules are indexed on. */
export const INDEX_FIELD = 'data.type';

interface CompiledRule {
  position: number;
  rule: RuleModel;
  identifiers: { name: string; search: CompiledSearch }[];
  byName: Map<string, CompiledSearch>;
  test: EventPredicate;
  fields: string[];
  /** Folded `data.type` values one of which the event must have, or null when the rule cannot be indexed. */
  requiredTypes: Set<string> | null;
}

/** A rule in a `data.type` bucket, with its condition specialised for events whose only type is the bucket's. */
interface BucketEntry {
  rule: CompiledRule;
  position: number;
  test: EventPredicate;
}

/**
 * The rules of one `data.type` value. Rules whose specialised condition is a single equality item are found by a
 * lookup on the event's value of that field (`lookups`) instead of being run one by one.
 */
interface Bucket {
  entries: BucketEntry[];
  lookups: { entry: CachedField; byValue: Map<string, BucketEntry[]> }[];
}

export class CompiledRuleSet {
  /** The detection rules, in model order. */
  readonly rules: readonly RuleModel[];
  readonly ruleIds: readonly string[];
  readonly options: EngineOptions;
  private readonly compiled: CompiledRule[];
  private readonly byId = new Map<string, CompiledRule>();
  private readonly typeIndex = new Map<string, Bucket>();
  private readonly positions = new Map<RuleModel, number>();
  /** Rules already found for the current event through a lookup (several values may reach one rule). */
  private readonly found = new Set<CompiledRule>();
  private readonly unindexed: CompiledRule[] = [];
  private readonly useIndex: boolean;
  /** Event values shared by all rules during one `match` call. */
  private readonly cache = new FieldValueCache();
  private readonly typeEntry: CachedField = this.cache.entry(INDEX_FIELD);
  /** The per-event budget every compiled regex charges. */
  private readonly budget: EvaluationBudget;
  /** Failures of the event being matched. */
  private failures: RuleFailure[] = [];

  constructor(model: RuleSetModel, options: CompiledRuleSetOptions = {}) {
    this.options = model.options;
    this.useIndex = options.index !== false;
    const limit = model.options.regexBudget ?? DEFAULT_REGEX_BUDGET;
    if (!(limit > 0) || (!Number.isInteger(limit) && limit !== Infinity)) {
      throw new Error(`engine option regexBudget must be a positive integer (regex steps per event), not ${String(limit)}`);
    }
    this.budget = new EvaluationBudget(limit);
    const detections = model.rules.filter((r) => r.kind === 'detection' && r.detection);
    this.compiled = detections.map((rule, position) => compileRule(rule, position, model.options, this.cache, this.budget));
    this.rules = detections;
    this.ruleIds = detections.map((r) => r.id);
    for (const c of this.compiled) {
      this.byId.set(c.rule.id, c);
      this.positions.set(c.rule, c.position);
      if (c.requiredTypes === null) {
        this.unindexed.push(c);
        continue;
      }
      for (const type of c.requiredTypes) {
        let bucket = this.typeIndex.get(type);
        if (!bucket) this.typeIndex.set(type, (bucket = { entries: [], lookups: [] }));
        const test = specializeCondition(c, type);
        // A rule that cannot match events of this type stays out of the bucket.
        if (test === FALSE) continue;
        const entry: BucketEntry = { rule: c, position: c.position, test };
        const lookup = (test as ExactPredicate).exactLookup;
        if (!lookup) {
          bucket.entries.push(entry);
          continue;
        }
        let group = bucket.lookups.find((l) => l.entry === lookup.entry);
        if (!group) bucket.lookups.push((group = { entry: lookup.entry, byValue: new Map() }));
        for (const value of lookup.values) {
          const list = group.byValue.get(value);
          if (list) list.push(entry);
          else group.byValue.set(value, [entry]);
        }
      }
    }
  }

  /**
   * The rules that matched the event, in rule-set order, then the built-in budget rule when the event exhausted
   * its regex budget. A rule that throws, or that the budget stops, is left out and reported in `report`; every
   * other rule is still evaluated.
   */
  match(event: NormalizedEvent, report?: MatchReport): RuleMatch[] {
    let out: RuleMatch[] = [];
    this.cache.begin();
    this.budget.reset();
    if (this.failures.length > 0) this.failures = [];
    try {
      this.matchRules(event, out);
    } catch (error) {
      // Only the shared index work runs outside a rule's own guard; should it fail, every rule is evaluated
      // generically, each still on its own.
      out = [];
      this.failures = [];
      this.found.clear();
      for (let i = 0; i < this.compiled.length; i++) this.tryRule(this.compiled[i], this.compiled[i].test, event, out);
    }
    const failures = this.failures;
    if (this.budget.exhausted) {
      const skipped: { id: string; title: string }[] = [];
      for (const f of failures) if (f.kind === 'budget') skipped.push({ id: f.ruleId, title: this.byId.get(f.ruleId)!.rule.title });
      // Only rules left undecided make the event a detection (the budget may also run out while listing the
      // identifiers of a rule that already matched, which loses nothing).
      if (skipped.length > 0) out.push({ rule: BUDGET_RULE, matched: [], skippedRules: skipped });
    }
    if (report) {
      report.failures = failures.length > 0 ? failures.slice() : [];
      report.budgetSteps = this.budget.stepsUsed;
      report.budgetExceeded = this.budget.exhausted;
    }
    return out;
  }

  private matchRules(event: NormalizedEvent, out: RuleMatch[]): void {
    if (!this.useIndex) {
      for (let i = 0; i < this.compiled.length; i++) this.tryRule(this.compiled[i], this.compiled[i].test, event, out);
      return;
    }
    const types = this.cache.read(this.typeEntry, event);
    const always = this.unindexed;
    let bucket: Bucket | undefined;
    if (types.count === 1) {
      // Folded through the cache: rules comparing data.type reuse it.
      const folded = foldedValues(types, this.cache.epoch)[0];
      bucket = folded === undefined ? undefined : this.typeIndex.get(folded);
    } else if (types.count > 1) {
      // Several type values (an array, or a literal `data.type` key too): the generic conditions, over every
      // bucket the values reach.
      const rules = this.rulesForTypes(types.values.slice(0, types.count));
      for (let i = 0; i < rules.length; i++) this.tryRule(rules[i], rules[i].test, event, out);
      return;
    }
    if (!bucket) {
      for (let i = 0; i < always.length; i++) this.tryRule(always[i], always[i].test, event, out);
      return;
    }
    // Both lists are in rule order: merge them so results keep the rule-set order.
    const entries = bucket.entries;
    let a = 0;
    let b = 0;
    while (a < entries.length || b < always.length) {
      if (b >= always.length || (a < entries.length && entries[a].position < always[b].position)) {
        const entry = entries[a++];
        this.tryRule(entry.rule, entry.test, event, out);
      } else {
        const c = always[b++];
        this.tryRule(c, c.test, event, out);
      }
    }
    if (bucket.lookups.length) this.lookupRules(bucket, event, out);
    return;
  }

  /** Rules found by value lookups match outright; results are then put back in rule-set order. */
  private lookupRules(bucket: Bucket, event: NormalizedEvent, out: RuleMatch[]): void {
    const before = out.length;
    const epoch = this.cache.epoch;
    for (const { entry, byValue } of bucket.lookups) {
      let e: CachedField;
      let folded: (string | undefined)[];
      try {
        e = this.cache.read(entry, event);
        folded = foldedValues(e, epoch);
      } catch {
        // The lookup's field could not be read: its rules are evaluated one by one instead, each guarded.
        this.runLookupRulesDirectly(byValue, event, out);
        continue;
      }
      for (let i = 0; i < e.count; i++) {
        const value = folded[i];
        const rules = value === undefined ? undefined : byValue.get(value);
        if (!rules) continue;
        for (const r of rules) {
          if (this.found.has(r.rule)) continue;
          this.found.add(r.rule);
          this.tryRule(r.rule, TRUE, event, out);
        }
      }
    }
    this.found.clear();
    if (out.length > before && out.length > 1) out.sort((x, y) => this.positions.get(x.rule)! - this.positions.get(y.rule)!);
  }

  private runLookupRulesDirectly(byValue: Map<string, BucketEntry[]>, event: NormalizedEvent, out: RuleMatch[]): void {
    for (const entries of byValue.values()) {
      for (const r of entries) {
        if (this.found.has(r.rule)) continue;
        this.found.add(r.rule);
        this.tryRule(r.rule, r.rule.test, event, out);
      }
    }
  }

  /**
   * Why the rule does or does not match the event. Throws for an unknown rule id or a correlation rule, and when
   * the explanation needs more regex work than one event's budget.
   */
  explain(ruleId: string, event: NormalizedEvent): ExplainNode {
    const c = this.require(ruleId);
    this.budget.reset();
    const detection = c.rule.detection!;
    let child: ExplainNode;
    try {
      child = explainCondition(detection.condition, (name) => {
        const search = c.byName.get(name);
        if (!search) throw new Error(`rule '${ruleId}': condition names unknown identifier '${name}'`);
        const body = explainSearch(search, event);
        return { kind: 'identifier', name, result: body.result, child: body };
      });
    } catch (error) {
      if (!(error instanceof BudgetExceeded)) throw error;
      throw new Error(`explaining rule '${c.rule.title}' on this event needs more than the regex budget of ${this.budget.limit} steps (the engine skips such a rule and reports the event with the "Evaluation budget exceeded" rule); raise the budget (--regex-budget) to see the details`);
    }
    return { kind: 'rule', ruleId, title: c.rule.title, condition: detection.conditionText, result: child.result, child };
  }

  /** Every field the rule reads (item fields and fieldref targets), in rule order. */
  fieldsRead(ruleId: string): string[] {
    return [...this.require(ruleId).fields];
  }

  hasRule(ruleId: string): boolean {
    return this.byId.has(ruleId);
  }

  getRule(ruleId: string): RuleModel | undefined {
    return this.byId.get(ruleId)?.rule;
  }

  /** How the index splits the rules (benchmarks and `--verbose` output). */
  indexStats(): { indexed: number; unindexed: number; types: number } {
    return { indexed: this.compiled.length - this.unindexed.length, unindexed: this.unindexed.length, types: this.typeIndex.size };
  }

  private require(ruleId: string): CompiledRule {
    const c = this.byId.get(ruleId);
    if (!c) throw new Error(`unknown detection rule '${ruleId}' (correlation rules are explained through the rules they reference)`);
    return c;
  }

  /** Evaluates one rule, contained: whatever it throws is recorded against it and goes no further. */
  private tryRule(c: CompiledRule, test: EventPredicate, event: NormalizedEvent, out: RuleMatch[]): void {
    try {
      if (!test(event)) return;
    } catch (error) {
      this.fail(c, error);
      return;
    }
    // The rule matched: listing its true identifiers must not lose the match, so each is guarded on its own.
    const matched: string[] = [];
    for (const { name, search } of c.identifiers) {
      try {
        if (search.test(event)) matched.push(name);
      } catch {
        // Left out of `matched` (unknown); the match itself stands.
      }
    }
    out.push({ rule: c.rule, matched });
  }

  private fail(c: CompiledRule, error: unknown): void {
    if (error instanceof BudgetExceeded) this.failures.push({ ruleId: c.rule.id, kind: 'budget', reason: BUDGET_EXCEEDED_REASON });
    else this.failures.push({ ruleId: c.rule.id, kind: 'error', reason: failureReason(error) });
  }

  /** The unindexed rules and every rule requiring one of the type values, in rule order. */
  private rulesForTypes(types: unknown[]): CompiledRule[] {
    return this.compiled.filter((c) => c.requiredTypes === null || types.some((t) => hasKey(c.requiredTypes!, t)));
  }
}

/**
 * A failure described without the event: the error's class and where in the engine it was thrown (a message may
 * quote the value being processed, so it is not used).
 */
export function failureReason(error: unknown): string {
  if (!(error instanceof Error)) return `non-error value thrown (${typeof error})`;
  if (error instanceof RangeError && /call stack/i.test(error.message)) return 'RangeError: maximum call stack size exceeded';
  const frame = (error.stack ?? '').split('\n').slice(1).map((l) => /([\w.-]+\.[jt]s):(\d+)/.exec(l)).find((m) => m !== null);
  return frame ? `${error.name} at ${frame[1]}:${frame[2]}` : error.name;
}

function hasKey(keys: Set<string>, value: unknown): boolean {
  const s = stringForm(value);
  return s !== undefined && keys.has(foldCase(s));
}

function compileRule(
  rule: RuleModel, position: number, options: EngineOptions, cache: FieldValueCache, budget: EvaluationBudget,
): CompiledRule {
  const detection = rule.detection!;
  const identifiers: { name: string; search: CompiledSearch }[] = [];
  const byName = new Map<string, CompiledSearch>();
  for (const [name, node] of Object.entries(detection.identifiers)) {
    let search: CompiledSearch;
    try {
      search = compileSearchNode(node, options, cache, budget);
    } catch (error) {
      throw new Error(`rule '${rule.title}' (${rule.id}), identifier '${name}': ${(error as Error).message}`);
    }
    identifiers.push({ name, search });
    byName.set(name, search);
  }
  const test = compileCondition(detection.condition, (name) => {
    const search = byName.get(name);
    if (!search) throw new Error(`rule '${rule.title}' (${rule.id}): condition names unknown identifier '${name}'`);
    return search.test;
  });
  const fields: string[] = [];
  for (const { search } of identifiers) searchFields(search, fields);
  const requiredTypes = conditionTypes(detection.condition, detection.identifiers);
  return { position, rule, identifiers, byName, test, fields, requiredTypes };
}

/** Constant predicates, recognised by identity so conditions fold them away. */

/** The condition as one closure over the identifiers' predicates (constant parts folded away). */
function compileCondition(node: ConditionNode, lookup: (name: string) => EventPredicate): EventPredicate {
  switch (node.op) {
    case 'id':
      return lookup(node.name);
    case 'not': {
      const inner = compileCondition(node.arg, lookup);
      if (inner === TRUE) return FALSE;
      if (inner === FALSE) return TRUE;
      return (e) => !inner(e);
    }
    case 'and':
    case 'or': {
      const args = node.args.map((a) => compileCondition(a, lookup));
      return node.op === 'and' ? allOf(args) : anyOf(args);
    }
    case 'of': {
      const args = node.names.map(lookup);
      if (args.length === 0) return FALSE;
      return node.quantifier === 'all' ? allOf(args) : anyOf(args);
    }
  }
}

/**
 * The rule's condition for events whose one and only `data.type` value folds to `type`: every plain `data.type`
 * equality item is then a known constant, which removes it (and often whole branches) from the evaluation.
 */
function specializeCondition(c: CompiledRule, type: string): EventPredicate {
  const specialized = new Map<string, EventPredicate>();
  for (const { name, search } of c.identifiers) specialized.set(name, specializeSearch(search, type));
  return compileCondition(c.rule.detection!.condition, (name) => specialized.get(name) ?? FALSE);
}

function specializeSearch(search: CompiledSearch, type: string): EventPredicate {
  switch (search.kind) {
    case 'map':
      return allOf(search.items.map((m) => {
        const keys = plainTypeKeys(m.item);
        if (keys) return keys.has(type) ? TRUE : FALSE;
        return m.matchesCached ?? m.matches;
      }));
    case 'anyOf':
      return anyOf(search.alternatives.map((alt) => specializeSearch(alt, type)));
    case 'keywords':
      return search.test;
  }
}

/** Folded values of a plain `data.type` equality item (no modifiers, no wildcards, no null), else null. */
function plainTypeKeys(item: FieldItem): Set<string> | null {
  return typeEqualityKeys(item, (m) => m === 'expand');
}

/**
 * Folded values of a `data.type` equality item whose modifiers all pass `allowed` and whose values are
 * wildcard-free and non-null, else null.
 */
function typeEqualityKeys(item: FieldItem, allowed: (modifier: string) => boolean): Set<string> | null {
  if (item.field !== INDEX_FIELD || !item.modifiers.every(allowed)) return null;
  const keys = new Set<string>();
  for (const value of item.values) {
    if (value === null) return null;
    const tokens = parseWildcard(String(value));
    if (hasWildcards(tokens)) return null;
    keys.add(foldCase(literalText(tokens)));
  }
  return keys;
}

// ---------------------------------------------------------------------------------------------------------
// Index derivation. A rule is indexed on a set of folded `data.type` values only when the condition guarantees
// that any matching event has one of them; `null` means "no such guarantee" (the rule is always evaluated).
// The set is a necessary condition, not an exact one: a rule in a bucket is still fully evaluated.

export function conditionTypes(node: ConditionNode, identifiers: Record<string, SearchNode>): Set<string> | null {
  switch (node.op) {
    case 'id':
      return identifiers[node.name] ? searchTypes(identifiers[node.name]) : null;
    case 'not':
      return null;
    case 'and':
      return smallestOf(node.args.map((a) => conditionTypes(a, identifiers)));
    case 'or':
      return unionAll(node.args.map((a) => conditionTypes(a, identifiers)));
    case 'of': {
      if (node.names.length === 0) return null;
      const parts = node.names.map((n) => (identifiers[n] ? searchTypes(identifiers[n]) : null));
      return node.quantifier === 'all' ? smallestOf(parts) : unionAll(parts);
    }
  }
}

function searchTypes(node: SearchNode): Set<string> | null {
  switch (node.kind) {
    case 'keywords':
      return null;
    case 'anyOf':
      return unionAll(node.alternatives.map((alt) => searchTypes(alt)));
    case 'map': {
      // Only plain equality (optionally cased: its folded value is still necessary) with wildcard-free values pins
      // the type.
      const parts = node.items.map((item) => typeEqualityKeys(item, (m) => m === 'cased' || m === 'expand'));
      return smallestOf(parts);
    }
  }
}

/**
 * AND: every constrained part is a necessary condition on its own, so any one of them may serve; the smallest is
 * taken. Intersecting them would be unsound: `data.type` can hold several values (an array, or a literal
 * `data.type` key next to the nested one), each satisfying a different part.
 */
function smallestOf(parts: (Set<string> | null)[]): Set<string> | null {
  let result: Set<string> | null = null;
  for (const part of parts) if (part !== null && (result === null || part.size < result.size)) result = part;
  return result;
}

function unionAll(parts: (Set<string> | null)[]): Set<string> | null {
  const result = new Set<string>();
  for (const part of parts) {
    if (part === null) return null;
    for (const t of part) result.add(t);
  }
  return result;
}

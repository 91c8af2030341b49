// The compiled rule set: every detection rule's condition and searches turned into closures once, and an index
// on `data.type` so that an event visits only the rules that can match its type plus the rules that cannot be
// indexed. Correlation rules are not matched here (the correlation engine consumes these matches).

import { BUDGET_RULE, BudgetExceeded, DEFAULT_REGEX_BUDGET, EvaluationBudget } from './budget';
import { CachedField, FieldValueCache } from './fieldpath';
import { allOf, anyOf, compileSearchNode, CompiledSearch, EventPredicate, FALSE, searchFields, TRUE } from './matcher';
import { explainCondition, explainSearch, ExplainNode } from './explain';
import { foldedValues, stringForm } from './modifiers';
import { Plan, PlanBuilder, PlanEntry, SharedWorkFailed } from './shared-match';
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
  /**
   * Turn off the work shared across rules (shared-match.ts: per-field groups deciding every rule's items in one
   * pass); each rule then runs its own compiled condition. For tests and benchmarks.
   */
  share?: boolean;
  /** Distinct literals of one field from which they are found by one automaton scan (default 4); for tests. */
  automatonMinLiterals?: number;
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
  /** Per identifier (declaration order): true when the condition holding implies it holds (no need to test it). */
  implied: boolean[];
}

/**
 * The rules of one `data.type` value, each with its condition specialised for events whose only type is the
 * bucket's, as a plan (shared-match.ts): rules whose specialised condition is one shared item are found from their
 * field group's result; the others run their conditions, whose shared items read the groups' results.
 */
type Bucket = Plan<CompiledRule>;
type Entry = PlanEntry<CompiledRule>;
const NO_ENTRIES: readonly Entry[] = [];

export class CompiledRuleSet {
  /** The detection rules, in model order. */
  readonly rules: readonly RuleModel[];
  readonly ruleIds: readonly string[];
  readonly options: EngineOptions;
  private readonly compiled: CompiledRule[];
  private readonly byId = new Map<string, CompiledRule>();
  private readonly typeIndex = new Map<string, Bucket>();
  private readonly unindexed: CompiledRule[] = [];
  /** The unindexed rules with their generic conditions, sharing work like a bucket. */
  private readonly unindexedPlan: Bucket;
  private readonly useIndex: boolean;
  /** Whether an event's raw `data.type` string may be looked up before folding it (see `matchRules`). */
  private rawTypeLookup = true;
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
    const share = options.share !== false;
    const builders = new Map<string, PlanBuilder<CompiledRule>>();
    const newBuilder = () => new PlanBuilder<CompiledRule>(this.cache, share, options.automatonMinLiterals);
    const unindexedBuilder = newBuilder();
    for (const c of this.compiled) {
      this.byId.set(c.rule.id, c);
      if (c.requiredTypes === null) {
        this.unindexed.push(c);
        const test = specializeCondition(c, null, unindexedBuilder.share);
        if (test !== FALSE) unindexedBuilder.add(c, c.position, test);
        continue;
      }
      for (const type of c.requiredTypes) {
        let builder = builders.get(type);
        if (!builder) builders.set(type, (builder = newBuilder()));
        const test = specializeCondition(c, type, builder.share);
        // A rule that cannot match events of this type stays out of the bucket.
        if (test !== FALSE) builder.add(c, c.position, test);
      }
    }
    for (const [type, builder] of builders) {
      // The raw-value lookup in `match` needs every key to be a fixed point of folding.
      if (foldCase(type) !== type) this.rawTypeLookup = false;
      this.typeIndex.set(type, builder.build());
    }
    this.unindexedPlan = unindexedBuilder.build();
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
    } catch {
      // Only the shared work (index, field groups) runs outside a rule's own guard; should it fail, the event is
      // evaluated again from scratch, every rule generically and on its own, with a fresh budget.
      out = [];
      this.failures = [];
      this.budget.reset();
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
    let bucket: Bucket | undefined;
    if (types.count === 1) {
      // Bucket keys are folded, and folding is idempotent: a value equal to a key folds to it, so the value
      // itself is tried first (types are usually written folded already) and folded only when that misses.
      const raw = types.values[0];
      bucket = typeof raw === 'string' && this.rawTypeLookup ? this.typeIndex.get(raw) : undefined;
      if (bucket === undefined) {
        // Folded through the cache: rules comparing data.type reuse it.
        const folded = foldedValues(types, this.cache.epoch)[0];
        bucket = folded === undefined ? undefined : this.typeIndex.get(folded);
      }
    } else if (types.count > 1) {
      // Several type values (an array, or a literal `data.type` key too): the generic conditions, over every
      // bucket the values reach.
      const rules = this.rulesForTypes(types.values.slice(0, types.count));
      for (let i = 0; i < rules.length; i++) this.tryRule(rules[i], rules[i].test, event, out);
      return;
    }
    this.runPlans(bucket, event, out);
  }

  /**
   * The bucket's plan (if any) and the unindexed rules' plan: first the groups find the rules they decide alone
   * (shared work: a failure there escapes to `match`, which starts the event over rule by rule), then those rules
   * and both plans' other rules are taken in rule order, so results keep the rule-set order.
   */
  private runPlans(bucket: Bucket | undefined, event: NormalizedEvent, out: RuleMatch[]): void {
    let emitted: Entry[] = NO_ENTRIES as Entry[];
    if ((bucket && bucket.emitters.length > 0) || this.unindexedPlan.emitters.length > 0) {
      emitted = [];
      if (bucket) collectEmitted(bucket, event, emitted);
      collectEmitted(this.unindexedPlan, event, emitted);
      if (emitted.length > 1) emitted.sort((x, y) => x.position - y.position);
    }
    const a = bucket ? bucket.entries : NO_ENTRIES;
    const b = this.unindexedPlan.entries;
    let i = 0;
    let j = 0;
    let k = 0;
    for (;;) {
      const pa = i < a.length ? a[i].position : Infinity;
      const pb = j < b.length ? b[j].position : Infinity;
      const pk = k < emitted.length ? emitted[k].position : Infinity;
      if (pa === Infinity && pb === Infinity && pk === Infinity) break;
      if (pk < pa && pk < pb) {
        this.tryRule(emitted[k++].rule, TRUE, event, out);
      } else if (pa < pb) {
        const entry = a[i++];
        this.tryRule(entry.rule, entry.test, event, out);
      } else {
        const entry = b[j++];
        this.tryRule(entry.rule, entry.test, event, out);
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
      // Shared work belongs to no rule: the whole event is evaluated again rule by rule (see `match`).
      if (error instanceof SharedWorkFailed) throw error;
      this.fail(c, error);
      return;
    }
    // The rule matched: listing its true identifiers must not lose the match, so each is guarded on its own.
    const matched: string[] = [];
    const identifiers = c.identifiers;
    for (let i = 0; i < identifiers.length; i++) {
      const { name, search } = identifiers[i];
      if (c.implied[i]) {
        matched.push(name);
        continue;
      }
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
  const impliedNames = new Set<string>();
  impliedIdentifiers(detection.condition, impliedNames);
  const implied = identifiers.map(({ name }) => impliedNames.has(name));
  return { position, rule, identifiers, byName, test, fields, requiredTypes, implied };
}

/** Adds the identifiers that must hold whenever the condition holds (the operands of its top-level ANDs). */
function impliedIdentifiers(node: ConditionNode, out: Set<string>): void {
  if (node.op === 'id') out.add(node.name);
  else if (node.op === 'and') for (const arg of node.args) impliedIdentifiers(arg, out);
  else if (node.op === 'of' && node.quantifier === 'all') for (const name of node.names) out.add(name);
}


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
 * The rule's condition for events whose one and only `data.type` value folds to `type` (null: any event): every
 * plain `data.type` equality item is then a known constant, which removes it (and often whole branches) from the
 * evaluation. Each item predicate goes through `share` (the plan's shared groups).
 */
function specializeCondition(c: CompiledRule, type: string | null, share: (p: EventPredicate) => EventPredicate): EventPredicate {
  const specialized = new Map<string, EventPredicate>();
  for (const { name, search } of c.identifiers) specialized.set(name, specializeSearch(search, type, share));
  return compileCondition(c.rule.detection!.condition, (name) => specialized.get(name) ?? FALSE);
}

function specializeSearch(search: CompiledSearch, type: string | null, share: (p: EventPredicate) => EventPredicate): EventPredicate {
  switch (search.kind) {
    case 'map':
      return allOf(search.items.map((m) => {
        const keys = type === null ? null : plainTypeKeys(m.item);
        if (keys) return keys.has(type!) ? TRUE : FALSE;
        return share(m.matchesCached ?? m.matches);
      }));
    case 'anyOf':
      return anyOf(search.alternatives.map((alt) => specializeSearch(alt, type, share)));
    case 'keywords':
      return search.test;
  }
}

/** Adds the rules the plan's groups decide alone and found true for the event. */
function collectEmitted(plan: Bucket, event: NormalizedEvent, out: Entry[]): void {
  for (const group of plan.emitters) {
    group.evaluate(event);
    for (let h = 0; h < group.hitCount; h++) {
      const rules = group.emitters[group.hitList[h]];
      for (let r = 0; r < rules.length; r++) out.push(rules[r]);
    }
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

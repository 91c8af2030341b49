// The compiled rule set: every detection rule's condition and searches turned into closures once, and an index
// on `data.type` so that an event visits only the rules that can match its type plus the rules that cannot be
// indexed. Correlation rules are not matched here (the correlation engine consumes these matches).

import { CachedField, FieldValueCache } from './fieldpath';
import { compileSearchNode, CompiledSearch, EventPredicate, searchFields } from './matcher';
import { explainCondition, explainSearch, ExplainNode } from './explain';
import { stringForm } from './modifiers';
import { ConditionNode, EngineOptions, NormalizedEvent, RuleModel, RuleSetModel, SearchNode } from './types';
import { foldCase, hasWildcards, literalText, parseWildcard } from './wildcards';

export interface RuleMatch {
  rule: RuleModel;
  /** Search identifiers that were true for the event (in declaration order). */
  matched: string[];
}

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

export class CompiledRuleSet {
  /** The detection rules, in model order. */
  readonly rules: readonly RuleModel[];
  readonly ruleIds: readonly string[];
  readonly options: EngineOptions;
  private readonly compiled: CompiledRule[];
  private readonly byId = new Map<string, CompiledRule>();
  private readonly typeIndex = new Map<string, CompiledRule[]>();
  private readonly unindexed: CompiledRule[] = [];
  private readonly useIndex: boolean;
  /** Event values shared by all rules during one `match` call. */
  private readonly cache = new FieldValueCache();
  private readonly typeEntry: CachedField = this.cache.entry(INDEX_FIELD);

  constructor(model: RuleSetModel, options: CompiledRuleSetOptions = {}) {
    this.options = model.options;
    this.useIndex = options.index !== false;
    const detections = model.rules.filter((r) => r.kind === 'detection' && r.detection);
    this.compiled = detections.map((rule, position) => compileRule(rule, position, model.options, this.cache));
    this.rules = detections;
    this.ruleIds = detections.map((r) => r.id);
    for (const c of this.compiled) {
      this.byId.set(c.rule.id, c);
      if (c.requiredTypes === null) {
        this.unindexed.push(c);
        continue;
      }
      for (const type of c.requiredTypes) {
        let bucket = this.typeIndex.get(type);
        if (!bucket) this.typeIndex.set(type, (bucket = []));
        bucket.push(c);
      }
    }
  }

  /** The rules that matched the event, in rule-set order. */
  match(event: NormalizedEvent): RuleMatch[] {
    const out: RuleMatch[] = [];
    this.cache.begin();
    if (!this.useIndex) {
      for (let i = 0; i < this.compiled.length; i++) this.tryRule(this.compiled[i], event, out);
      return out;
    }
    const types = this.cache.read(this.typeEntry, event);
    let bucket: CompiledRule[] | undefined;
    if (types.count === 1) {
      const s = stringForm(types.values[0]);
      bucket = s === undefined ? undefined : this.typeIndex.get(foldCase(s));
    } else if (types.count > 1) {
      bucket = this.bucketForMany(types.values.slice(0, types.count));
    }
    const always = this.unindexed;
    if (!bucket) {
      for (let i = 0; i < always.length; i++) this.tryRule(always[i], event, out);
      return out;
    }
    // Both lists are in rule order: merge them so results keep the rule-set order.
    let a = 0;
    let b = 0;
    while (a < bucket.length || b < always.length) {
      if (b >= always.length || (a < bucket.length && bucket[a].position < always[b].position)) this.tryRule(bucket[a++], event, out);
      else this.tryRule(always[b++], event, out);
    }
    return out;
  }

  /** Why the rule does or does not match the event. Throws for an unknown rule id or a correlation rule. */
  explain(ruleId: string, event: NormalizedEvent): ExplainNode {
    const c = this.require(ruleId);
    const detection = c.rule.detection!;
    const child = explainCondition(detection.condition, (name) => {
      const search = c.byName.get(name);
      if (!search) throw new Error(`rule '${ruleId}': condition names unknown identifier '${name}'`);
      const body = explainSearch(search, event);
      return { kind: 'identifier', name, result: body.result, child: body };
    });
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

  private tryRule(c: CompiledRule, event: NormalizedEvent, out: RuleMatch[]): void {
    if (!c.test(event)) return;
    const matched: string[] = [];
    for (const { name, search } of c.identifiers) if (search.test(event)) matched.push(name);
    out.push({ rule: c.rule, matched });
  }

  // An event with several `data.type` values (an array, or a literal `data.type` key too): union of buckets.
  private bucketForMany(types: unknown[]): CompiledRule[] | undefined {
    const seen = new Set<CompiledRule>();
    for (const t of types) {
      const s = stringForm(t);
      const bucket = s === undefined ? undefined : this.typeIndex.get(foldCase(s));
      if (bucket) for (const c of bucket) seen.add(c);
    }
    return seen.size ? [...seen].sort((x, y) => x.position - y.position) : undefined;
  }
}

function compileRule(rule: RuleModel, position: number, options: EngineOptions, cache: FieldValueCache): CompiledRule {
  const detection = rule.detection!;
  const identifiers: { name: string; search: CompiledSearch }[] = [];
  const byName = new Map<string, CompiledSearch>();
  for (const [name, node] of Object.entries(detection.identifiers)) {
    let search: CompiledSearch;
    try {
      search = compileSearchNode(node, options, cache);
    } catch (error) {
      throw new Error(`rule '${rule.title}' (${rule.id}), identifier '${name}': ${(error as Error).message}`);
    }
    identifiers.push({ name, search });
    byName.set(name, search);
  }
  const test = compileCondition(detection.condition, byName, rule);
  const fields: string[] = [];
  for (const { search } of identifiers) searchFields(search, fields);
  const requiredTypes = conditionTypes(detection.condition, detection.identifiers);
  return { position, rule, identifiers, byName, test, fields, requiredTypes };
}

/** The condition as one closure over the identifiers' predicates. */
function compileCondition(node: ConditionNode, byName: Map<string, CompiledSearch>, rule: RuleModel): EventPredicate {
  const lookup = (name: string): EventPredicate => {
    const search = byName.get(name);
    if (!search) throw new Error(`rule '${rule.title}' (${rule.id}): condition names unknown identifier '${name}'`);
    return search.test;
  };
  switch (node.op) {
    case 'id':
      return lookup(node.name);
    case 'not': {
      const inner = compileCondition(node.arg, byName, rule);
      return (e) => !inner(e);
    }
    case 'and':
    case 'or': {
      const args = node.args.map((a) => compileCondition(a, byName, rule));
      return node.op === 'and' ? every(args) : some(args);
    }
    case 'of': {
      const args = node.names.map(lookup);
      if (args.length === 0) return () => false;
      return node.quantifier === 'all' ? every(args) : some(args);
    }
  }
}

function every(tests: EventPredicate[]): EventPredicate {
  if (tests.length === 1) return tests[0];
  if (tests.length === 2) {
    const [a, b] = tests;
    return (e) => a(e) && b(e);
  }
  return (e) => {
    for (let i = 0; i < tests.length; i++) if (!tests[i](e)) return false;
    return true;
  };
}

function some(tests: EventPredicate[]): EventPredicate {
  if (tests.length === 1) return tests[0];
  if (tests.length === 2) {
    const [a, b] = tests;
    return (e) => a(e) || b(e);
  }
  return (e) => {
    for (let i = 0; i < tests.length; i++) if (tests[i](e)) return true;
    return false;
  };
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
      const parts = node.items.map((item): Set<string> | null => {
        if (item.field !== INDEX_FIELD) return null;
        // Only plain equality (optionally cased) with wildcard-free values pins the type.
        if (!item.modifiers.every((m) => m === 'cased' || m === 'expand')) return null;
        const keys = new Set<string>();
        for (const value of item.values) {
          if (value === null) return null;
          const tokens = parseWildcard(String(value));
          if (hasWildcards(tokens)) return null;
          keys.add(foldCase(literalText(tokens)));
        }
        return keys;
      });
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

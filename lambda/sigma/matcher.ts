// A search identifier's body compiled into one predicate: a map is the AND of its items, a list of maps the OR
// of its alternatives, a keyword list a search over every value of the event.

import type { EvaluationBudget } from './budget';
import { FieldValueCache } from './fieldpath';
import { compileFieldItem, ValueMatcher } from './modifiers';
import { EngineOptions, NormalizedEvent, SearchNode } from './types';

export type EventPredicate = (event: NormalizedEvent) => boolean;

/** The compiled form keeps the tree (for explanations and field listings) next to the predicate. */
export type CompiledSearch =
  | { kind: 'map'; node: SearchNode; items: ValueMatcher[]; test: EventPredicate }
  | { kind: 'anyOf'; node: SearchNode; alternatives: CompiledSearch[]; test: EventPredicate }
  | { kind: 'keywords'; node: SearchNode; item: ValueMatcher; test: EventPredicate };

export function compileSearch(node: SearchNode, options: EngineOptions): EventPredicate {
  return compileSearchNode(node, options).test;
}

/**
 * With a cache (the rule set's), the predicate reads event values through it: it must then only be called for
 * the event of the cache's current epoch. Without one, the predicate is standalone.
 */
export function compileSearchNode(
  node: SearchNode, options: EngineOptions, cache?: FieldValueCache, budget?: EvaluationBudget,
): CompiledSearch {
  const predicate = (m: ValueMatcher): EventPredicate => m.matchesCached ?? m.matches;
  switch (node.kind) {
    case 'map': {
      const items = node.items.map((item) => compileFieldItem(item, options, cache, budget));
      return { kind: 'map', node, items, test: allOf(items.map(predicate)) };
    }
    case 'anyOf': {
      const alternatives = node.alternatives.map((alt) => compileSearchNode(alt, options, cache, budget));
      return { kind: 'anyOf', node, alternatives, test: anyOf(alternatives.map((a) => a.test)) };
    }
    case 'keywords': {
      const item = compileFieldItem(node.item, options, cache, budget);
      return { kind: 'keywords', node, item, test: predicate(item) };
    }
  }
}

/** Constant predicates: combinators fold them away, so specialised conditions shrink to what is left to test. */
export const TRUE: EventPredicate = () => true;
export const FALSE: EventPredicate = () => false;

// Small fixed arities get closures without a loop: most selections have one to three items.
export function allOf(input: EventPredicate[]): EventPredicate {
  if (input.includes(FALSE)) return FALSE;
  const tests = input.filter((t) => t !== TRUE);
  if (tests.length === 0) return TRUE;
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

export function anyOf(input: EventPredicate[]): EventPredicate {
  if (input.includes(TRUE)) return TRUE;
  const tests = input.filter((t) => t !== FALSE);
  if (tests.length === 0) return FALSE;
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

/** Every field a compiled search reads (item fields and fieldref targets), in rule order. */
export function searchFields(search: CompiledSearch, out: string[] = []): string[] {
  const add = (field: string) => {
    if (!out.includes(field)) out.push(field);
  };
  if (search.kind === 'map') {
    for (const m of search.items) {
      if (m.path) add(m.path.field);
      m.referencedFields.forEach(add);
    }
  } else if (search.kind === 'anyOf') {
    for (const alt of search.alternatives) searchFields(alt, out);
  }
  return out;
}

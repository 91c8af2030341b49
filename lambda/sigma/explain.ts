// Why a rule did or did not fire on one event: the condition tree with the truth of every node, down to each
// field comparison and the event values it compared. Built on the same compiled matchers as `match`, so the
// explanation cannot disagree with the engine.

import { boundedCopy } from './bounded-value';
import { CompiledSearch } from './matcher';
import { ValueMatcher } from './modifiers';
import { ConditionNode, NormalizedEvent, Scalar } from './types';

export type ExplainNode =
  | { kind: 'rule'; ruleId: string; title: string; condition: string[]; result: boolean; child: ExplainNode }
  | { kind: 'and' | 'or'; result: boolean; children: ExplainNode[] }
  | { kind: 'not'; result: boolean; child: ExplainNode }
  | { kind: 'of'; quantifier: 'one' | 'all'; pattern: string; result: boolean; children: ExplainNode[] }
  | { kind: 'identifier'; name: string; result: boolean; child: ExplainNode }
  | { kind: 'map'; result: boolean; children: ExplainNode[] }
  | { kind: 'anyOf'; result: boolean; children: ExplainNode[] }
  | ExplainItem;

export interface ExplainItem {
  kind: 'item';
  /** null for a keyword list. */
  field: string | null;
  modifiers: string[];
  values: Scalar[];
  result: boolean;
  present: boolean;
  /** Event values compared, shown as JSON and truncated; keyword items list only the values that matched. */
  compared: string[];
  /** How many compared values were left out of `compared`. */
  omitted: number;
  /** fieldref: the referenced fields' values. */
  referenced?: Record<string, string[]>;
}

/** Longest shown form of one event value, in characters. */
export const EXPLAIN_VALUE_MAX = 120;
/** Most event values shown per comparison. */
export const EXPLAIN_VALUES_MAX = 10;

/** Explanations show event values only this deep and this large (the text is cut further below). */
const SHOWN_VALUE_LIMITS = { maxDepth: 8, maxNodes: 64 };

export function showValue(value: unknown): string {
  // Copied within bounds first: JSON.stringify (and String) recurse and overflow on deeply nested values.
  const text = value === undefined ? 'undefined' : JSON.stringify(boundedCopy(value, SHOWN_VALUE_LIMITS));
  return text.length > EXPLAIN_VALUE_MAX ? text.slice(0, EXPLAIN_VALUE_MAX - 1) + '…' : text;
}

function showList(values: readonly unknown[]): { shown: string[]; omitted: number } {
  return {
    shown: values.slice(0, EXPLAIN_VALUES_MAX).map(showValue),
    omitted: Math.max(0, values.length - EXPLAIN_VALUES_MAX),
  };
}

/** Explains one compiled search identifier body. */
export function explainSearch(search: CompiledSearch, event: NormalizedEvent): ExplainNode {
  switch (search.kind) {
    case 'map': {
      const children = search.items.map((m) => explainMatcher(m, event));
      return { kind: 'map', result: children.every((c) => c.result), children };
    }
    case 'anyOf': {
      const children = search.alternatives.map((alt) => explainSearch(alt, event));
      return { kind: 'anyOf', result: children.some((c) => c.result), children };
    }
    case 'keywords':
      return explainMatcher(search.item, event);
  }
}

function explainMatcher(matcher: ValueMatcher, event: NormalizedEvent): ExplainItem {
  const inspection = matcher.inspect(event);
  const item = matcher.item;
  const { shown, omitted } = showList(inspection.values);
  const node: ExplainItem = {
    kind: 'item',
    field: item.field,
    modifiers: [...item.modifiers],
    values: [...item.values],
    result: inspection.result,
    present: inspection.present,
    compared: shown,
    omitted,
  };
  if (inspection.referenced) {
    node.referenced = {};
    for (const [field, values] of Object.entries(inspection.referenced)) node.referenced[field] = showList(values).shown;
  }
  return node;
}

/** Explains a condition, given how to explain each identifier. Every branch is evaluated (no short-circuit). */
export function explainCondition(node: ConditionNode, explainIdentifier: (name: string) => ExplainNode): ExplainNode {
  switch (node.op) {
    case 'id':
      return explainIdentifier(node.name);
    case 'not': {
      const child = explainCondition(node.arg, explainIdentifier);
      return { kind: 'not', result: !child.result, child };
    }
    case 'and':
    case 'or': {
      const children = node.args.map((a) => explainCondition(a, explainIdentifier));
      const result = node.op === 'and' ? children.every((c) => c.result) : children.some((c) => c.result);
      return { kind: node.op, result, children };
    }
    case 'of': {
      const children = node.names.map((n) => explainIdentifier(n));
      const result = children.length > 0 && (node.quantifier === 'all' ? children.every((c) => c.result) : children.some((c) => c.result));
      return { kind: 'of', quantifier: node.quantifier, pattern: node.pattern, result, children };
    }
  }
}

export interface FormatExplainOptions {
  /** Plain ASCII marks ([T]/[F]) instead of ✔/✘, for terminals or logs without Unicode. */
  ascii?: boolean;
}

/** An indented tree, one node per line, each marked true or false. */
export function formatExplain(root: ExplainNode, options: FormatExplainOptions = {}): string {
  const yes = options.ascii ? '[T]' : '✔';
  const no = options.ascii ? '[F]' : '✘';
  const arrow = options.ascii ? '<-' : '←';
  const lines: string[] = [];
  const mark = (result: boolean) => (result ? yes : no);
  const visit = (node: ExplainNode, depth: number): void => {
    const pad = '  '.repeat(depth);
    switch (node.kind) {
      case 'rule':
        lines.push(`${pad}${mark(node.result)} rule ${JSON.stringify(node.title)} (${node.ruleId}): ${node.result ? 'matches' : 'does not match'}`);
        lines.push(`${pad}  condition: ${node.condition.join(' | ')}`);
        visit(node.child, depth + 1);
        return;
      case 'and':
      case 'or':
        lines.push(`${pad}${mark(node.result)} ${node.kind}`);
        node.children.forEach((c) => visit(c, depth + 1));
        return;
      case 'not':
        lines.push(`${pad}${mark(node.result)} not`);
        visit(node.child, depth + 1);
        return;
      case 'of':
        lines.push(`${pad}${mark(node.result)} ${node.quantifier === 'one' ? '1' : 'all'} of ${node.pattern}`);
        node.children.forEach((c) => visit(c, depth + 1));
        return;
      case 'identifier':
        lines.push(`${pad}${mark(node.result)} ${node.name}`);
        // A map directly under its identifier needs no line of its own: its items are the identifier's body.
        if (node.child.kind === 'map') node.child.children.forEach((c) => visit(c, depth + 1));
        else visit(node.child, depth + 1);
        return;
      case 'map':
        lines.push(`${pad}${mark(node.result)} all of`);
        node.children.forEach((c) => visit(c, depth + 1));
        return;
      case 'anyOf':
        lines.push(`${pad}${mark(node.result)} any of`);
        node.children.forEach((c) => visit(c, depth + 1));
        return;
      case 'item':
        lines.push(`${pad}${mark(node.result)} ${describeItem(node)}  ${arrow} ${describeCompared(node)}`);
        return;
    }
  };
  visit(root, 0);
  return lines.join('\n');
}

function describeItem(node: ExplainItem): string {
  const name = (node.field ?? 'keywords') + node.modifiers.map((m) => `|${m}`).join('');
  const values = node.values.map((v) => JSON.stringify(v)).join(', ');
  return `${name}: ${node.values.length > 1 ? `[${values}]` : values}`;
}

function describeCompared(node: ExplainItem): string {
  const more = node.omitted ? ` (+${node.omitted} more)` : '';
  let text: string;
  if (node.field === null) text = node.compared.length ? `matched in ${node.compared.join(', ')}${more}` : 'no value of the event matched';
  else if (!node.present) text = 'field missing';
  else if (node.compared.length === 0 && !more) text = 'present, no value (empty list)';
  else text = `${node.compared.join(', ')}${more}`;
  if (node.referenced) {
    const refs = Object.entries(node.referenced).map(([f, v]) => `${f} = ${v.length ? v.join(', ') : 'missing'}`);
    text += `; ${refs.join('; ')}`;
  }
  return text;
}

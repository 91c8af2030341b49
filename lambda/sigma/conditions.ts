// Sigma detection conditions: a tokenizer and a recursive-descent parser (precedence not > and > or),
// a printer with minimal parentheses (parse(print(x)) gives x back) and an evaluator.
// Parsing resolves `1 of sel*` / `all of them` to the identifiers they cover, once, at load time.

import type { ConditionNode } from './types';

/** One problem in a condition; `column` is 1-based within the condition text. */
export interface ConditionProblem {
  code: string;
  message: string;
  column: number;
  hint?: string;
}

/**
 * Thrown by `parseCondition`. A syntax error stops parsing (one problem); name problems (undefined
 * identifiers, patterns matching nothing) are all collected first, so `problems` may hold several.
 */
export class ConditionSyntaxError extends Error {
  readonly column: number;
  readonly code: string;
  readonly hint?: string;
  readonly problems: ConditionProblem[];

  constructor(problems: ConditionProblem[]) {
    super(problems.map((p) => `${p.message} (column ${p.column})`).join('; '));
    this.name = 'ConditionSyntaxError';
    this.problems = problems;
    this.column = problems[0].column;
    this.code = problems[0].code;
    this.hint = problems[0].hint;
  }
}

export type ConditionTokenType = 'lparen' | 'rparen' | 'and' | 'or' | 'not' | 'of' | 'them' | 'all' | 'word' | 'pipe' | 'end';

export interface ConditionToken {
  type: ConditionTokenType;
  text: string;
  column: number;
}

/** Keywords are whole words and case-insensitive (`notable` is an identifier, `AND` is `and`). */
const KEYWORDS: Record<string, ConditionTokenType> = { and: 'and', or: 'or', not: 'not', of: 'of', them: 'them', all: 'all' };

export function tokenizeCondition(text: string): ConditionToken[] {
  const tokens: ConditionToken[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    const column = i + 1;
    if (ch === '(') tokens.push({ type: 'lparen', text: ch, column });
    else if (ch === ')') tokens.push({ type: 'rparen', text: ch, column });
    else if (ch === '|') tokens.push({ type: 'pipe', text: ch, column });
    else {
      let j = i;
      while (j < text.length && !/[\s()|]/.test(text[j])) j++;
      const word = text.slice(i, j);
      tokens.push({ type: KEYWORDS[word.toLowerCase()] ?? 'word', text: word, column });
      i = j;
      continue;
    }
    i++;
  }
  tokens.push({ type: 'end', text: '', column: text.length + 1 });
  return tokens;
}

const AGGREGATION_HINT =
  'the `| count() by ...` aggregation of Sigma 1 was replaced by correlation rules: keep `condition: selection` ' +
  'and add a second YAML document with `correlation: {type: event_count, rules: [<this rule name or id>], group-by: [...], timespan: 5m, condition: {gte: N}}`';

/**
 * Parses a condition. `identifierNames` are the search identifiers of the detection, in order; `of`
 * patterns resolve against them (identifiers starting with `_` are left out unless the pattern starts
 * with `_`; `them` leaves them out always).
 */
export function parseCondition(text: string, identifierNames: readonly string[]): ConditionNode {
  return new Parser(text, identifierNames).parse();
}

/** Deepest nesting of parentheses and `not` a condition may have: real rules use a handful, and recursive descent
 * past a few thousand would overflow the stack. */
export const MAX_CONDITION_DEPTH = 100;

class Parser {
  private readonly tokens: ConditionToken[];
  private pos = 0;
  private depth = 0;
  private readonly problems: ConditionProblem[] = [];
  private readonly known: Set<string>;

  constructor(
    text: string,
    private readonly identifierNames: readonly string[],
  ) {
    this.tokens = tokenizeCondition(text);
    this.known = new Set(identifierNames);
  }

  parse(): ConditionNode {
    const pipe = this.tokens.find((t) => t.type === 'pipe');
    if (pipe) {
      this.fail('aggregation-syntax', "the aggregation syntax ('condition | count() ...') is not supported", pipe.column, AGGREGATION_HINT);
    }
    if (this.peek().type === 'end') {
      this.fail('empty-condition', 'the condition is empty', 1, 'write the search identifiers to combine, e.g. `selection and not filter`');
    }
    const node = this.parseOr();
    const rest = this.peek();
    if (rest.type !== 'end') {
      const hint = rest.type === 'rparen' ? 'remove it or add the matching `(`' : 'join conditions with `and` or `or`';
      this.fail('unexpected-token', `unexpected '${rest.text}'`, rest.column, hint);
    }
    if (this.problems.length > 0) throw new ConditionSyntaxError(this.problems);
    return node;
  }

  private peek(): ConditionToken {
    return this.tokens[this.pos];
  }

  private next(): ConditionToken {
    return this.tokens[this.pos++];
  }

  private fail(code: string, message: string, column: number, hint?: string): never {
    throw new ConditionSyntaxError([...this.problems, { code, message, column, hint }]);
  }

  private enter(token: ConditionToken): void {
    if (++this.depth > MAX_CONDITION_DEPTH) {
      this.fail('too-deep', `the condition nests parentheses and 'not' more than ${MAX_CONDITION_DEPTH} levels deep`, token.column,
        'flatten it: combine identifiers with and/or, or use `1 of` / `all of`');
    }
  }

  private parseOr(): ConditionNode {
    const args = [this.parseAnd()];
    while (this.peek().type === 'or') {
      this.next();
      args.push(this.parseAnd());
    }
    return args.length === 1 ? args[0] : { op: 'or', args };
  }

  private parseAnd(): ConditionNode {
    const args = [this.parseNot()];
    while (this.peek().type === 'and') {
      this.next();
      args.push(this.parseNot());
    }
    return args.length === 1 ? args[0] : { op: 'and', args };
  }

  private parseNot(): ConditionNode {
    if (this.peek().type === 'not') {
      const token = this.next();
      this.enter(token);
      const arg = this.parseNot();
      this.depth--;
      return { op: 'not', arg };
    }
    return this.parsePrimary();
  }

  private parsePrimary(): ConditionNode {
    const token = this.next();
    switch (token.type) {
      case 'lparen': {
        this.enter(token);
        const inner = this.parseOr();
        this.depth--;
        const close = this.peek();
        if (close.type !== 'rparen') {
          this.fail('missing-paren', close.type === 'end' ? "missing ')'" : `expected ')' but found '${close.text}'`, close.column,
            `close the '(' opened at column ${token.column}`);
        }
        this.next();
        return inner;
      }
      case 'all':
        return this.parseOf(token, 'all');
      case 'word':
        if (this.peek().type === 'of') {
          if (token.text === '1') return this.parseOf(token, 'one');
          this.fail('bad-quantifier', `'${token.text} of' is not a Sigma quantifier`, token.column, "write '1 of' (any) or 'all of'");
        }
        return this.identifier(token);
      case 'end':
        return this.fail('unexpected-end', 'the condition ends where a search identifier was expected', token.column,
          'complete the expression after the last operator');
      default:
        return this.fail('unexpected-token', `unexpected '${token.text}' where a search identifier was expected`, token.column,
          token.type === 'of' || token.type === 'them' ? "write '1 of <pattern>' or 'all of <pattern>'" : undefined);
    }
  }

  private identifier(token: ConditionToken): ConditionNode {
    const name = token.text;
    if (name.includes('*')) {
      this.problems.push({
        code: 'pattern-without-quantifier',
        message: `the pattern '${name}' can only follow '1 of' or 'all of'`,
        column: token.column,
        hint: `write '1 of ${name}' or 'all of ${name}'`,
      });
    } else if (!this.known.has(name)) {
      this.problems.push({
        code: 'undefined-identifier',
        message: `the condition uses '${name}', which is not a search identifier of this detection`,
        column: token.column,
        hint: this.identifierNames.length > 0
          ? `define '${name}' under detection, or use one of: ${this.identifierNames.join(', ')}`
          : `define '${name}' under detection`,
      });
    }
    return { op: 'id', name };
  }

  private parseOf(quantifierToken: ConditionToken, quantifier: 'one' | 'all'): ConditionNode {
    const of = this.next();
    if (of.type !== 'of') {
      // `all` without `of`: nothing else can follow the keyword.
      this.fail('expected-of', `expected 'of' after '${quantifierToken.text}'`, of.column, `write '${quantifierToken.text} of <pattern>'`);
    }
    const target = this.next();
    if (target.type !== 'them' && target.type !== 'word') {
      this.fail('expected-pattern', `expected a pattern or 'them' after '${quantifierToken.text} of'`, target.column,
        "write e.g. '1 of selection_*' or 'all of them'");
    }
    const pattern = target.type === 'them' ? 'them' : target.text;
    const names = resolveOfPattern(pattern, this.identifierNames);
    if (names.length === 0) {
      this.problems.push({
        code: 'pattern-matches-nothing',
        message: pattern === 'them'
          ? `'${quantifierToken.text} of them' covers no search identifier (identifiers starting with '_' are left out)`
          : `the pattern '${pattern}' matches no search identifier`,
        column: target.column,
        hint: this.identifierNames.length > 0 ? `search identifiers are: ${this.identifierNames.join(', ')}` : 'define search identifiers under detection',
      });
    }
    return { op: 'of', quantifier, pattern, names };
  }
}

/**
 * The identifiers an `of` pattern covers, in detection order. `*` is the only wildcard; identifiers starting
 * with `_` are helpers, covered only by a pattern that itself starts with `_`.
 */
export function resolveOfPattern(pattern: string, identifierNames: readonly string[]): string[] {
  const includeHidden = pattern !== 'them' && pattern.startsWith('_');
  const candidates = identifierNames.filter((n) => includeHidden || !n.startsWith('_'));
  if (pattern === 'them') return candidates;
  const source = pattern.split('*').map(escapeRegex).join('.*');
  const re = new RegExp(`^${source}$`, 's');
  return candidates.filter((n) => re.test(n));
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

const PRECEDENCE: Record<ConditionNode['op'], number> = { or: 1, and: 2, not: 3, id: 4, of: 4 };

/** Prints with the fewest parentheses that keep the tree: a nested `and`/`or` of the same kind keeps its group. */
export function printCondition(node: ConditionNode): string {
  switch (node.op) {
    case 'id':
      return node.name;
    case 'of':
      return `${node.quantifier === 'one' ? '1' : 'all'} of ${node.pattern}`;
    case 'not':
      return `not ${printChild(node.arg, PRECEDENCE.not)}`;
    case 'and':
    case 'or':
      return node.args.map((a) => printChild(a, PRECEDENCE[node.op])).join(` ${node.op} `);
  }
}

function printChild(child: ConditionNode, parentPrecedence: number): string {
  const text = printCondition(child);
  return PRECEDENCE[child.op] <= parentPrecedence && PRECEDENCE[child.op] < PRECEDENCE.not ? `(${text})` : text;
}

/** Evaluates with short-circuit; `isTrue` answers for one search identifier. */
export function evaluateCondition(node: ConditionNode, isTrue: (name: string) => boolean): boolean {
  switch (node.op) {
    case 'id':
      return isTrue(node.name);
    case 'not':
      return !evaluateCondition(node.arg, isTrue);
    case 'and':
      return node.args.every((a) => evaluateCondition(a, isTrue));
    case 'or':
      return node.args.some((a) => evaluateCondition(a, isTrue));
    case 'of':
      return node.quantifier === 'one' ? node.names.some(isTrue) : node.names.every(isTrue);
  }
}

/** Every search identifier the condition can read, in first-use order. */
export function conditionIdentifiers(node: ConditionNode): string[] {
  const seen = new Set<string>();
  const visit = (n: ConditionNode): void => {
    switch (n.op) {
      case 'id':
        seen.add(n.name);
        return;
      case 'of':
        n.names.forEach((name) => seen.add(name));
        return;
      case 'not':
        visit(n.arg);
        return;
      default:
        n.args.forEach(visit);
    }
  };
  visit(node);
  return [...seen];
}

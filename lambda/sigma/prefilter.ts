// Rule model → EventBridge event pattern for the bus rule that invokes the Lambda.
//
// The pattern is a necessary condition of the whole rule set: every event any enabled detection rule (correlation
// base rules included) could match must pass, so the pattern may only ever be wider than the rules, never
// narrower. Per rule we derive a necessary condition from the condition tree (a `not` branch and anything
// EventBridge cannot express the Sigma way become "true"), put the rules' conditions in disjunctive normal form,
// simplify, and widen further whenever the pattern exceeds EventBridge's size limit or our complexity cap.
//
// EventBridge facts this relies on (AWS EventBridge user guide: "Event patterns", "Content filtering",
// "Arrays", "Null values and empty strings", quotas), each checked by test/helpers/eventbridge-pattern.ts:
// - string literals match strings only, number literals numbers only, `true`/`false` booleans only;
// - an event array matches when any element matches;
// - `equals-ignore-case` (also inside `prefix`/`suffix`) matches, per character of the pattern value, its
//   lower-case or upper-case form (the open-source event-ruler, the matcher behind EventBridge, does exactly this);
// - `numeric` compares JSON numbers only, within ±5e9 with six decimals;
// - CloudFormation rejects `null` inside an event pattern, so null is never emitted;
// - the pattern size quota is 2048 characters by default (adjustable to 4096);
// - event-ruler joins field names with `.` (README "Compiled rules and JSON keys with dots"): the pattern
//   `{"details": {"request": {"path": [..]}}}` also matches the literal key `{"details.request": {"path": ..}}`, and
//   arrays are crushed out (a field inside array elements is the array's field). That is this engine's meaning of a
//   dotted Sigma field (nested and literal dotted keys, arrays crossed), so paths below `data` are constrained at
//   any depth. One difference stays: EventBridge refuses a match whose fields come from different elements of one
//   array (array consistency), while each Sigma item is evaluated on its own. So one clause keeps at most one
//   constraint per top-level key below `data` (`detail` and `data` are objects: normalizeEvent refuses the rest);
// - `exists: false` matches a missing leaf: `data.type: null` (which only a log without a type can satisfy)
//   becomes that, instead of widening the pattern to every event.
import { printCondition } from './conditions';
import type { ConditionNode, FieldItem, RuleModel, RuleSetModel, Scalar, SearchNode } from './types';
import { foldCase, foldCodePoint, parseWildcard, type WildcardToken } from './wildcards';

export const AUTH0_PARTNER_SOURCE_PREFIX = 'aws.partner/auth0.com';
export const AUTH0_DETAIL_TYPE = 'Auth0 log';
/** EventBridge's default "Event pattern size" quota, in characters. */
export const DEFAULT_MAX_PATTERN_LENGTH = 2048;
/**
 * Our own cap on `$or` alternatives. AWS rejects "too complex" patterns without publishing the formula, so we stay
 * far below anything reported to fail and never emit `wildcard` (the one operator AWS documents as costly).
 */
export const DEFAULT_MAX_ALTERNATIVES = 24;
/** Per value, how many spellings a case-insensitive literal may need (see caseRepresentatives). */
export const DEFAULT_MAX_CASE_VARIANTS = 4;
/** Per rule, the largest DNF kept before `or` branches nested inside `and` are widened away. */
const MAX_CLAUSES_PER_RULE = 32;
/** EventBridge `numeric` matching is limited to this magnitude, with 6 decimals. */
const NUMERIC_LIMIT = 5e9;

export interface PrefilterOptions {
  /** Longest pattern JSON allowed, in characters (EventBridge quota: 2048 by default, up to 4096). */
  maxPatternLength?: number;
  /** Most `$or` alternatives kept. */
  maxAlternatives?: number;
  /** Most case spellings emitted per case-insensitive value before it is shortened to a prefix/suffix. */
  maxCaseVariants?: number;
}

export interface EventPatternResult {
  /** The EventBridge event pattern (envelope: source, detail-type, detail). */
  pattern: Record<string, unknown>;
  /** `pattern` as compact JSON (what the size quota counts). */
  json: string;
  /** Human-readable notes of constraints dropped (each one widens the pattern; none narrows it). */
  widened: string[];
  /** True when the detail part is empty: every Auth0 log event passes. */
  matchesEverything: boolean;
  /** Why the pattern lets every event, or every log type, through: the rules and selections responsible. */
  causes: WideningCause[];
  /** One line for `cdk synth` and the head of `check --show-prefilter`: how selective the pattern is, and why not more. */
  summary: string;
}

/** A selection (or `not` branch, or limit) that lets every event, or events of every log type, through. */
export interface WideningCause {
  /** 'everything': every Auth0 log event passes because of it; 'any-type': events of every log type may pass. */
  effect: 'everything' | 'any-type';
  ruleId?: string;
  ruleTitle?: string;
  /** The selection (identifier), or `not <selection>`. */
  identifier?: string;
  /** What EventBridge cannot express there. */
  why: string;
  /** What would narrow the pattern. */
  narrow: string;
}

/** One literal constraint on a field value, before it is spelled as EventBridge matchers. */
interface ValueConstraint {
  /** `absent`: the field is missing (`exists: false`); the literal is empty then. */
  kind: 'exact' | 'prefix' | 'suffix' | 'absent';
  literal: string;
  /** Case-sensitive (`cased`): plain literal. Otherwise spelled with equals-ignore-case variants. */
  cased: boolean;
  /** The Sigma value also matches these booleans (string forms "true"/"false"). */
  booleans?: boolean[];
  /** The Sigma value also matches this JSON number (its canonical string form). */
  alsoNumber?: number;
}

/** A field constraint: the value at `path` (below `detail`) satisfies any of `values`. */
interface Atom {
  path: string[];
  key: string;
  /** The key below `data` the path starts with: one constraint per group in a clause (array consistency). */
  group: string;
  values: ValueConstraint[];
  /** Where it came from, for widening notes. */
  origin: string;
  ruleId: string;
  ruleTitle: string;
  identifier: string;
}

/** A conjunction of atoms, at most one per path. The empty clause is "true". */
type Clause = Map<string, Atom>;

/** Widening notes, deduplicated, in order. */
class Notes {
  private readonly seen = new Set<string>();
  readonly list: string[] = [];
  add(note: string): void {
    if (!this.seen.has(note)) {
      this.seen.add(note);
      this.list.push(note);
    }
  }
}

export function buildEventPattern(model: RuleSetModel, options: PrefilterOptions = {}): EventPatternResult {
  const maxLength = options.maxPatternLength ?? DEFAULT_MAX_PATTERN_LENGTH;
  const maxAlternatives = Math.max(1, options.maxAlternatives ?? DEFAULT_MAX_ALTERNATIVES);
  const maxVariants = Math.max(1, options.maxCaseVariants ?? DEFAULT_MAX_CASE_VARIANTS);
  const notes = new Notes();

  const detectionRules = model.rules.filter((r) => r.kind === 'detection' && r.detection);
  let clauses: Clause[] = [];
  const causes: WideningCause[] = [];
  if (detectionRules.length === 0) {
    notes.add('no enabled detection rule: every Auth0 log event passes');
    causes.push({ effect: 'everything', why: 'no detection rule is enabled', narrow: 'enable at least one detection rule' });
    clauses = [new Map()];
  }
  for (const rule of detectionRules) {
    const ctx: RuleContext = { rule, notes, maxVariants, drops: new Map(), causes: [] };
    const own = ruleClauses(ctx);
    if (own.some((c) => c.size === 0)) causes.push(...dedupeCauses(ctx.causes));
    for (const clause of own) clauses.push(clause);
  }
  clauses = simplify(clauses);

  const render = (): Record<string, unknown> => envelope(clauses);
  let pattern = render();
  let json = JSON.stringify(pattern);
  while (json.length > maxLength || clauses.length > maxAlternatives) {
    const reason = json.length > maxLength ? `${maxLength}-character size limit` : `${maxAlternatives}-alternative complexity cap`;
    // Share of the pattern over the limit: that share of the weakest constraints goes in one step.
    const excess = Math.max((json.length - maxLength) / json.length, (clauses.length - maxAlternatives) / clauses.length, 0);
    if (!widenOnce(clauses, notes, reason, excess)) break;
    clauses = simplify(clauses);
    pattern = render();
    json = JSON.stringify(pattern);
  }
  const sizeCause = (): WideningCause => ({
    effect: 'everything',
    why: `the constraints of all rules do not fit EventBridge's ${maxLength}-character pattern limit`,
    narrow: 'fewer values per field or fewer rules, or raise the pattern size quota (up to 4096)',
  });
  if (json.length > maxLength) {
    // Nothing narrower fits: the base envelope alone always does.
    notes.add(`pattern still longer than ${maxLength} characters after widening: every Auth0 log event passes`);
    clauses = [new Map()];
    pattern = render();
    json = JSON.stringify(pattern);
    causes.push(sizeCause());
  }
  const matchesEverything = clauses.some((c) => c.size === 0);
  if (matchesEverything && !causes.some((c) => c.effect === 'everything')) causes.push(sizeCause());
  if (!matchesEverything) {
    // Clauses with no data.type constraint let events of every log type through.
    for (const clause of clauses) {
      if ([...clause.values()].some(isTypeAtom)) continue;
      const first = [...clause.values()][0]!;
      causes.push({
        effect: 'any-type', ruleId: first.ruleId, ruleTitle: first.ruleTitle, identifier: first.identifier,
        why: `events of every log type pass where ${[...clause.values()].map((a) => `'${a.path.join('.')}'`).join(' and ')} match`,
        narrow: first.identifier ? `add the data.type values it is meant for to '${first.identifier}'` : 'constrain data.type',
      });
    }
  }
  const finalCauses = matchesEverything ? causes.filter((c) => c.effect === 'everything') : dedupeCauses(causes);
  return { pattern, json, widened: notes.list, matchesEverything, causes: finalCauses, summary: summaryLine(json.length, notes.list.length, matchesEverything, finalCauses) };
}

function dedupeCauses(causes: WideningCause[]): WideningCause[] {
  const seen = new Set<string>();
  return causes.filter((c) => {
    const key = `${c.effect}\u0000${c.ruleId ?? ''}\u0000${c.identifier ?? ''}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function causeText(c: WideningCause): string {
  const where = c.ruleId ? `rule '${c.ruleTitle}' (${c.ruleId})${c.identifier ? `, ${c.identifier.startsWith('not ') ? '' : 'selection '}'${c.identifier}'` : ''}: ` : '';
  return `${where}${c.why}; to narrow it, ${c.narrow}`;
}

/** The one line `cdk synth` prints about the prefilter. */
function summaryLine(chars: number, widened: number, everything: boolean, causes: WideningCause[]): string {
  const more = (n: number): string => (n > 1 ? ` (and ${n - 1} more: \`auth0-sigma check --show-prefilter\` lists them)` : '');
  if (everything) {
    return `PREFILTER WIDE: every Auth0 log event invokes the detector, because ${causeText(causes[0]!)}${more(causes.length)}`;
  }
  if (causes.length > 0) {
    return `PREFILTER WIDE: events of every log type reach the detector, because ${causeText(causes[0]!)}${more(causes.length)}`;
  }
  return `prefilter: the bus rule passes only events some rule can match (pattern ${chars} characters`
    + `${widened > 0 ? `, ${widened} constraint${widened === 1 ? '' : 's'} EventBridge cannot express left out: \`auth0-sigma check --show-prefilter\` lists them` : ''})`;
}

// ---------------------------------------------------------------------------------------------------------------
// Rule → necessary condition in DNF

interface RuleContext {
  rule: RuleModel;
  notes: Notes;
  maxVariants: number;
  /** identifier → why its last constraint was dropped. */
  drops: Map<string, string>;
  /** Parts of the condition that are "true" for the pattern (every event), in order. */
  causes: WideningCause[];
}

/** Records why an identifier constrains nothing, for the summary. */
function dropped(ctx: RuleContext, identifier: string, why: string): void {
  if (!ctx.drops.has(identifier)) ctx.drops.set(identifier, why);
}

const isTrue = (dnf: Clause[]): boolean => dnf.length === 1 && dnf[0]!.size === 0;

function ruleLabel(rule: RuleModel): string {
  return `rule '${rule.title}' (${rule.id})`;
}

function ruleClauses(ctx: RuleContext): Clause[] {
  const detection = ctx.rule.detection!;
  return conditionClauses(detection.condition, ctx);
}

const TRUE_DNF = (): Clause[] => [new Map()];

function conditionClauses(node: ConditionNode, ctx: RuleContext): Clause[] {
  switch (node.op) {
    case 'id':
      return searchClauses(node.name, ctx);
    case 'not':
      // A negation only excludes events; the events it lets through are not describable by a pattern.
      ctx.notes.add(`${ruleLabel(ctx.rule)}: 'not' branch of the condition is not used by the prefilter`);
      ctx.causes.push({
        effect: 'everything', ruleId: ctx.rule.id, ruleTitle: ctx.rule.title, identifier: `not ${printCondition(node.arg)}`,
        why: 'a negation lets through every event it does not exclude, which no pattern describes',
        narrow: 'AND the negation with a selection that names data.type',
      });
      return TRUE_DNF();
    case 'and':
      return andClauses(node.args.map((a) => conditionClauses(a, ctx)), ctx);
    case 'or':
      return orClauses(node.args.map((a) => conditionClauses(a, ctx)));
    case 'of':
      if (node.quantifier === 'all') return andClauses(node.names.map((n) => searchClauses(n, ctx)), ctx);
      return orClauses(node.names.map((n) => searchClauses(n, ctx)));
  }
}

function searchClauses(name: string, ctx: RuleContext): Clause[] {
  const search = ctx.rule.detection!.identifiers[name];
  if (!search) return TRUE_DNF();
  const dnf = searchNodeClauses(search, name, ctx);
  if (isTrue(dnf)) {
    ctx.causes.push({
      effect: 'everything', ruleId: ctx.rule.id, ruleTitle: ctx.rule.title, identifier: name,
      why: ctx.drops.get(name) ?? 'it constrains no field EventBridge can match',
      narrow: `add the data.type values it is meant for to '${name}'`,
    });
  }
  return dnf;
}

function searchNodeClauses(node: SearchNode, identifier: string, ctx: RuleContext): Clause[] {
  switch (node.kind) {
    case 'keywords':
      ctx.notes.add(`${ruleLabel(ctx.rule)}: keyword search in '${identifier}' searches every field and is not expressible`);
      dropped(ctx, identifier, 'a keyword search reads every field');
      return TRUE_DNF();
    case 'anyOf':
      return orClauses(node.alternatives.map((alt) => searchNodeClauses(alt, identifier, ctx)));
    case 'map':
      return andClauses(node.items.map((item) => itemClauses(item, identifier, ctx)), ctx);
  }
}

function orClauses(parts: Clause[][]): Clause[] {
  const out: Clause[] = [];
  for (const p of parts) {
    for (const c of p) {
      if (c.size === 0) return TRUE_DNF();
      out.push(c);
    }
  }
  return out;
}

function andClauses(parts: Clause[][], ctx: RuleContext): Clause[] {
  const work = parts.filter((p) => !(p.length === 1 && p[0]!.size === 0));
  let product = work.reduce((n, p) => n * p.length, 1);
  while (product > MAX_CLAUSES_PER_RULE) {
    // Widen the widest disjunction to "true" until the cross product is small enough.
    let widest = 0;
    for (let i = 1; i < work.length; i++) if (work[i]!.length > work[widest]!.length) widest = i;
    ctx.notes.add(`${ruleLabel(ctx.rule)}: an 'or' inside an 'and' has too many combinations; dropped`);
    work.splice(widest, 1);
    product = work.reduce((n, p) => n * p.length, 1);
  }
  let acc: Clause[] = TRUE_DNF();
  for (const part of work) {
    const next: Clause[] = [];
    for (const a of acc) for (const b of part) next.push(conjoin(a, b));
    acc = next;
  }
  return acc;
}

/**
 * AND of two clauses. EventBridge cannot AND two conditions on one field, and matches two fields under one key of
 * `data` only within one array element: per group, keep the more selective constraint (dropping one only widens).
 */
function conjoin(a: Clause, b: Clause): Clause {
  const out: Clause = new Map(a);
  for (const atom of b.values()) {
    const rival = [...out.values()].find((have) => have.group === atom.group);
    if (!rival) out.set(atom.key, atom);
    else if (selectivity(atom) > selectivity(rival)) {
      out.delete(rival.key);
      out.set(atom.key, atom);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Field item → atom

/** Modifiers whose meaning maps onto prefix/suffix/equality; any other modifier drops the item. */
const EXPRESSIBLE_MODIFIERS = new Set(['startswith', 'endswith', 'contains', 'all', 'cased']);

function itemClauses(item: FieldItem, identifier: string, ctx: RuleContext): Clause[] {
  const where = `${ruleLabel(ctx.rule)}, '${identifier}', field '${item.field ?? '(keywords)'}'`;
  const drop = (why: string): Clause[] => {
    ctx.notes.add(`${where}: ${why}; constraint dropped`);
    dropped(ctx, identifier, `field '${item.field ?? '(keywords)'}': ${why}`);
    return TRUE_DNF();
  };
  if (item.field === null) return drop('a keyword search is not expressible');
  const blocked = item.modifiers.filter((m) => !EXPRESSIBLE_MODIFIERS.has(m));
  if (blocked.length > 0) return drop(`modifier '${blocked.join('|')}' has no EventBridge equivalent`);
  // EventBridge has no case-insensitive "contains", and `wildcard` is case-sensitive.
  if (item.modifiers.includes('contains')) return drop("'contains' has no case-insensitive EventBridge equivalent");
  const path = eventBridgePath(item.field);
  if (!path) return drop(item.field === 'log_id' ? 'log_id may come from data.log_id' : 'the path is not one EventBridge can address');
  const key = path.join('\u0000');
  const origin = { origin: where, ruleId: ctx.rule.id, ruleTitle: ctx.rule.title, identifier };
  if (item.modifiers.length === 0 && item.values.length > 0 && item.values.every((v) => v === null) && ALWAYS_WRITTEN.has(item.field)) {
    // Only an event without the field satisfies it (Auth0 never writes it as null): `exists: false`.
    return [new Map([[key, { path, key, group: path[1]!, values: [{ kind: 'absent', literal: '', cased: true }], ...origin }]])];
  }
  const cased = item.modifiers.includes('cased');
  const shape: 'exact' | 'prefix' | 'suffix' = item.modifiers.includes('startswith')
    ? 'prefix'
    : item.modifiers.includes('endswith')
      ? 'suffix'
      : 'exact';
  const perValue: ValueConstraint[][] = [];
  for (const value of item.values) {
    const mapped = valueConstraints(value, shape, cased, ctx.maxVariants);
    if (typeof mapped === 'string') {
      if (!item.modifiers.includes('all')) return drop(`value ${JSON.stringify(value)} ${mapped}`);
      ctx.notes.add(`${where}: value ${JSON.stringify(value)} ${mapped}; constraint dropped`);
      continue;
    }
    perValue.push(mapped);
  }
  if (perValue.length === 0) return TRUE_DNF();
  const group = path[1]!;
  if (item.modifiers.includes('all')) {
    // Every value must hold; EventBridge can hold only one condition per field: keep the most selective.
    const atoms: Atom[] = perValue.map((values) => ({ path, key, group, values, ...origin }));
    atoms.sort((x, y) => selectivity(y) - selectivity(x));
    return [new Map([[key, atoms[0]!]])];
  }
  const values = dedupeValues(perValue.flat());
  return [new Map([[key, { path, key, group, values, ...origin }]])];
}

/** Fields every Auth0 log carries as a non-null string. */
const ALWAYS_WRITTEN = new Set(['data.type', 'data.date']);

/** Keys event-ruler reads as operators inside `$or` alternatives: never used as a path segment. */
const RESERVED_KEYS = new Set(['$or', 'prefix', 'suffix', 'anything-but', 'numeric', 'exists', 'cidr', 'equals-ignore-case', 'wildcard']);

/**
 * The EventBridge path below `detail` for a rule field, or null when we do not constrain it: `data.<key>...` at
 * any depth, `{}` steps dropped (EventBridge crushes arrays out, as the engine crosses them). Splitting at every
 * dot is exact: event-ruler joins keys with dots, so the path also matches every literal dotted key the engine
 * tries. `log_id` is not constrained: the engine falls back to `data.log_id` when the detail has none.
 */
function eventBridgePath(field: string): string[] | null {
  const segments = field.split('.');
  if (segments.length < 2 || segments[0] !== 'data') return null;
  const path = segments.map((s) => (s.endsWith('{}') ? s.slice(0, -2) : s));
  if (path.some((key) => key.length === 0 || key.includes('{') || key.includes('}') || RESERVED_KEYS.has(key))) return null;
  return path;
}

/** Escapes text for a `u`-flag regular expression (where `\-` is not a valid escape). */
function escapeRegExpU(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&').replace(/-/g, '\\x2d');
}

/** The whole-value test of a Sigma pattern, used at build time to ask "could it match `true`?". */
function tokensToRegExp(tokens: readonly WildcardToken[], cased: boolean): RegExp {
  const body = tokens
    .map((tok) => (tok.kind === 'literal' ? escapeRegExpU(tok.text) : tok.kind === 'star' ? '[\\s\\S]*' : '[\\s\\S]'))
    .join('');
  return new RegExp(`^${body}$`, cased ? 'u' : 'iu');
}

/** Characters a JSON number's JavaScript string form can contain. */
const NUMBER_FORM_CHARS = /^[0-9.eE+-]*$/u;

/**
 * Maps one Sigma value (under startswith/endswith/cased/none) to literal constraints, or returns why it cannot be
 * expressed soundly.
 */
function valueConstraints(value: Scalar, shape: 'exact' | 'prefix' | 'suffix', cased: boolean, maxVariants: number): ValueConstraint[] | string {
  if (value === null) return 'is null (matches a missing field; CloudFormation forbids null in patterns)';
  const text = String(value);
  const sigmaPattern = shape === 'prefix' ? `${escapeSigma(text, value)}*` : shape === 'suffix' ? `*${escapeSigma(text, value)}` : escapeSigma(text, value);
  // The engine's own parser: escapes (`\*`, `\?`, `\\`) mean exactly what they mean when matching.
  const tokens = parseWildcard(sigmaPattern);
  const regex = tokensToRegExp(tokens, cased);
  const hasWildcard = tokens.some((t) => t.kind !== 'literal');
  let kind: ValueConstraint['kind'];
  let literal: string;
  let alsoNumber: number | undefined;
  if (!hasWildcard) {
    kind = 'exact';
    literal = tokens.length ? (tokens[0] as { text: string }).text : '';
    const n = Number(literal);
    if (literal.trim() !== '' && Number.isFinite(n) && String(n) === literal) {
      if (!numericRepresentable(n)) return 'is a number outside what EventBridge numeric matching represents';
      alsoNumber = n;
    }
  } else {
    const first = tokens[0]!;
    const last = tokens[tokens.length - 1]!;
    const lead = first.kind === 'literal' ? first.text : '';
    const trail = last.kind === 'literal' && tokens.length > 1 ? last.text : '';
    if (!lead && !trail) return 'has no literal prefix or suffix';
    const literalChars = tokens.map((t) => (t.kind === 'literal' ? t.text : '')).join('');
    if (NUMBER_FORM_CHARS.test(literalChars)) return "may match a JSON number's string form";
    if (lead.length >= trail.length) {
      kind = 'prefix';
      literal = lead;
    } else {
      kind = 'suffix';
      literal = trail;
    }
  }
  const constraint: ValueConstraint = { kind, literal, cased };
  if (alsoNumber !== undefined) constraint.alsoNumber = alsoNumber;
  const booleans = [true, false].filter((b) => regex.test(String(b)));
  if (booleans.length) constraint.booleans = booleans;
  if (!cased) {
    const fitted = fitCaseVariants(constraint, maxVariants);
    if (typeof fitted === 'string') return fitted;
  }
  return [constraint];
}

/** Sigma string values are patterns; a number or boolean value is a literal (it contains no wildcard). */
function escapeSigma(text: string, value: Scalar): string {
  return typeof value === 'string' ? text : text.replace(/[\\*?]/g, '\\$&');
}

function numericRepresentable(n: number): boolean {
  if (Math.abs(n) > NUMERIC_LIMIT) return false;
  const s = String(n);
  if (s.includes('e')) return false;
  const dot = s.indexOf('.');
  return dot < 0 || s.length - dot - 1 <= 6;
}

/**
 * Shortens a case-insensitive constraint until it needs at most `max` spellings (mutates it), or explains why
 * nothing is left. An exact value becomes a prefix, a prefix a shorter prefix, a suffix a shorter suffix.
 */
function fitCaseVariants(c: ValueConstraint, max: number): true | string {
  if (/\p{M}/u.test(c.literal)) return 'contains combining marks (case mapping may change its length)';
  const cps = Array.from(c.literal);
  // One spelling for the literal, plus one per extra representative of a character (see caseSpellings).
  const total = cps.reduce((n, cp) => n + caseRepresentatives(cp).length - 1, 1);
  if (total <= max) return true;
  if (c.alsoNumber !== undefined || c.booleans !== undefined) {
    // Cannot happen for digit/boolean literals (few case variants), but stay sound if it ever does.
    return 'needs too many case spellings';
  }
  let n = 1;
  const kept: string[] = [];
  const order = c.kind === 'suffix' ? [...cps].reverse() : cps;
  for (const cp of order) {
    const k = caseRepresentatives(cp).length;
    if (n + k - 1 > max) break;
    n += k - 1;
    kept.push(cp);
  }
  if (kept.length === 0) return 'needs too many case spellings';
  c.literal = c.kind === 'suffix' ? kept.reverse().join('') : kept.join('');
  if (c.kind === 'exact') c.kind = 'prefix';
  return true;
}

function dedupeValues(values: ValueConstraint[]): ValueConstraint[] {
  const seen = new Map<string, ValueConstraint>();
  for (const v of values) {
    const k = valueKey(v);
    if (!seen.has(k)) seen.set(k, v);
  }
  return [...seen.values()];
}

// ---------------------------------------------------------------------------------------------------------------
// Case-insensitive spelling

let caseGraph: Map<number, number[]> | null = null;

/** Undirected edges between code points that JavaScript lower-/upper-cases into each other (single code points). */
function caseEdges(): Map<number, number[]> {
  if (caseGraph) return caseGraph;
  const g = new Map<number, number[]>();
  const link = (a: number, b: number): void => {
    if (a === b) return;
    (g.get(a) ?? g.set(a, []).get(a)!).push(b);
    (g.get(b) ?? g.set(b, []).get(b)!).push(a);
  };
  for (let cp = 0; cp <= 0x1ffff; cp++) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    const s = String.fromCodePoint(cp);
    for (const mapped of [s.toLowerCase(), s.toUpperCase()]) {
      const arr = Array.from(mapped);
      if (arr.length === 1) link(cp, arr[0]!.codePointAt(0)!);
    }
  }
  caseGraph = g;
  return g;
}

const classCache = new Map<string, string[]>();

/**
 * Every code point that the engine's case folding (Unicode simple case folding, wildcards.ts) makes equal to
 * `cp`. Candidates come from the lower/upper-case graph, which connects every simple-folding pair; the engine's
 * own fold decides membership.
 */
export function caseFoldClass(cp: string): string[] {
  const cached = classCache.get(cp);
  if (cached) return cached;
  const start = cp.codePointAt(0)!;
  const seen = new Set<number>([start]);
  const queue = [start];
  const g = caseEdges();
  while (queue.length) {
    const x = queue.pop()!;
    for (const y of g.get(x) ?? []) {
      if (!seen.has(y)) {
        seen.add(y);
        queue.push(y);
      }
    }
  }
  const folded = foldCodePoint(start);
  const members = [...seen].filter((c) => c === start || foldCodePoint(c) === folded).map((c) => String.fromCodePoint(c));
  classCache.set(cp, members);
  return members;
}

/** What one pattern character matches under EventBridge equals-ignore-case: itself, its lower and upper case. */
function ignoreCaseCoverage(r: string): Set<string> {
  // EventBridge works per UTF-16 unit: a surrogate pair has no case mapping there.
  if (r.length > 1) return new Set([r]);
  return new Set([r, r.toLowerCase(), r.toUpperCase()]);
}

const repsCache = new Map<string, string[]>();

/**
 * The fewest pattern characters whose equals-ignore-case coverage spans the whole case-fold class of `cp`: one for
 * most letters, two for `s` (ſ) and `k` (Kelvin sign), whose odd class members EventBridge does not case-map.
 */
export function caseRepresentatives(cp: string): string[] {
  const cached = repsCache.get(cp);
  if (cached) return cached;
  const cls = caseFoldClass(cp);
  const uncovered = new Set(cls);
  const reps: string[] = [];
  const take = (r: string): void => {
    reps.push(r);
    for (const c of ignoreCaseCoverage(r)) uncovered.delete(c);
  };
  take(cp);
  while (uncovered.size > 0) {
    let best = '';
    let bestGain = -1;
    for (const r of cls) {
      const gain = [...ignoreCaseCoverage(r)].filter((c) => uncovered.has(c)).length;
      if (gain > bestGain) {
        best = r;
        bestGain = gain;
      }
    }
    take(best);
  }
  repsCache.set(cp, reps);
  return reps;
}

/**
 * The equals-ignore-case matchers that cover the whole case-fold class of a constraint's literal: the literal
 * itself, plus one matcher per extra representative r of a character at position i (ſ for s, the Kelvin sign for
 * k). A string of the class either matches the literal's spelling everywhere, or departs from it at a first and a
 * last position. For positions up to a split m the matcher is the prefix up to i followed by r (it takes strings
 * whose first departure is there); after m, r followed by the rest as a suffix (strings whose last departure is
 * there). Every departing string is taken: if its first departure is after m, so is its last. m is chosen to make
 * the matchers shortest, so `ſ` at the start is one `prefix ſ`, a `k` at the end one `suffix K`, shared by every
 * literal (real logs never hold these characters: the extra matchers only widen).
 */
function caseSpellings(kind: 'exact' | 'prefix' | 'suffix', literal: string): unknown[] {
  const eic = (text: string, shape: string): unknown => (shape === 'exact' ? { 'equals-ignore-case': text } : { [shape]: { 'equals-ignore-case': text } });
  const out = [eic(literal, kind)];
  const cps = Array.from(literal);
  const odd: number[] = [];
  for (let i = 0; i < cps.length; i++) if (caseRepresentatives(cps[i]!).length > 1) odd.push(i);
  // A prefix constraint continues after the literal (no suffix form); a suffix one starts before it (no prefix form).
  let split = kind === 'prefix' ? cps.length : -1;
  if (kind === 'exact') {
    let best = Infinity;
    for (let m = -1; m < cps.length; m++) {
      const cost = odd.reduce((n, i) => n + (i <= m ? i + 1 : cps.length - i), 0);
      if (cost < best) {
        best = cost;
        split = m;
      }
    }
  }
  for (const i of odd) {
    for (const r of caseRepresentatives(cps[i]!).slice(1)) {
      out.push(i <= split ? eic(cps.slice(0, i).join('') + r, 'prefix') : eic(r + cps.slice(i + 1).join(''), 'suffix'));
    }
  }
  return out;
}

/** True when no character of `literal` has another case form: a plain literal is then exact. */
function caseless(literal: string): boolean {
  return Array.from(literal).every((cp) => caseFoldClass(cp).length === 1 && ignoreCaseCoverage(cp).size === 1);
}

// ---------------------------------------------------------------------------------------------------------------
// Spelling as EventBridge matchers

function matchersOf(v: ValueConstraint): unknown[] {
  const out: unknown[] = [];
  if (v.kind === 'absent') return [{ exists: false }];
  if (v.cased || caseless(v.literal)) {
    out.push(v.kind === 'exact' ? v.literal : { [v.kind]: v.literal });
  } else {
    out.push(...caseSpellings(v.kind, v.literal));
  }
  for (const b of v.booleans ?? []) out.push(b);
  if (v.alsoNumber !== undefined) out.push({ numeric: ['=', v.alsoNumber] });
  return out;
}

function atomMatchers(atom: Atom): unknown[] {
  const seen = new Set<string>();
  const out: unknown[] = [];
  for (const v of atom.values) {
    for (const m of matchersOf(v)) {
      const k = JSON.stringify(m);
      if (!seen.has(k)) {
        seen.add(k);
        out.push(m);
      }
    }
  }
  return out;
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (let i = 0; i < path.length - 1; i++) {
    const k = path[i]!;
    if (typeof node[k] !== 'object' || node[k] === null || Array.isArray(node[k])) node[k] = {};
    node = node[k] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}

function clauseObject(clause: Clause): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const atoms = [...clause.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  for (const atom of atoms) setPath(out, atom.path, atomMatchers(atom));
  return out;
}

/** `{$or: [{a: X}, {a: Y}]}` → `{a: {$or: [X, Y]}}` when every alternative is one nested object under the same key. */
function hoistOr(alternatives: Record<string, unknown>[]): Record<string, unknown> {
  const keys = alternatives.map((a) => Object.keys(a));
  const sole = keys[0]?.length === 1 ? keys[0][0]! : null;
  if (
    sole !== null &&
    sole !== '$or' &&
    keys.every((k) => k.length === 1 && k[0] === sole) &&
    alternatives.every((a) => typeof a[sole] === 'object' && !Array.isArray(a[sole]))
  ) {
    return { [sole]: hoistOr(alternatives.map((a) => a[sole] as Record<string, unknown>)) };
  }
  return { $or: alternatives };
}

function envelope(clauses: Clause[]): Record<string, unknown> {
  const pattern: Record<string, unknown> = {
    source: [{ prefix: AUTH0_PARTNER_SOURCE_PREFIX }],
    'detail-type': [AUTH0_DETAIL_TYPE],
  };
  if (clauses.length === 0 || clauses.some((c) => c.size === 0)) return pattern;
  const objects = clauses.map(clauseObject);
  pattern['detail'] = objects.length === 1 ? objects[0]! : hoistOr(objects);
  return pattern;
}

// ---------------------------------------------------------------------------------------------------------------
// Simplification and widening

const valueKeys = new WeakMap<ValueConstraint, string>();

/** Identity of a constraint (constraints are never mutated once built, so the key is cached). */
function valueKey(v: ValueConstraint): string {
  let key = valueKeys.get(v);
  if (key === undefined) {
    key = JSON.stringify([v.kind, v.cased, v.cased ? v.literal : foldKey(v.literal), v.booleans, v.alsoNumber]);
    valueKeys.set(v, key);
  }
  return key;
}

/** True when every event satisfying `b` satisfies `a` (same path): each of b's values is also one of a's. */
function atomImplies(b: Atom, a: Atom): boolean {
  if (b === a) return true;
  const have = atomKeySet(a);
  return b.values.every((v) => have.has(valueKey(v)) || a.values.some((w) => w.kind !== 'exact' && valueCovers(w, v)));
}

const atomKeySets = new WeakMap<Atom, Set<string>>();

/** The value keys of an atom (atoms are replaced, never mutated, once built, so this is cached). */
function atomKeySet(a: Atom): Set<string> {
  let set = atomKeySets.get(a);
  if (!set) {
    set = new Set(a.values.map(valueKey));
    atomKeySets.set(a, set);
  }
  return set;
}

/** Whether every event value matching v also matches w. */
function valueCovers(w: ValueConstraint, v: ValueConstraint): boolean {
  if (w.kind === 'absent' || v.kind === 'absent') return w.kind === v.kind;
  if (w.cased !== v.cased) return false;
  if ((v.booleans ?? []).some((b) => !(w.booleans ?? []).includes(b))) return false;
  if (v.alsoNumber !== undefined && v.alsoNumber !== w.alsoNumber) return false;
  const norm = (s: string): string => (w.cased ? s : foldKey(s));
  const wl = norm(w.literal);
  const vl = norm(v.literal);
  if (w.kind === 'exact') return v.kind === 'exact' && vl === wl;
  if (v.kind !== 'exact' && v.kind !== w.kind) return false;
  return w.kind === 'prefix' ? vl.startsWith(wl) : vl.endsWith(wl);
}

/** A string key equal for two strings exactly when the engine's case folding makes them equal. */
function foldKey(s: string): string {
  return foldCase(s);
}

/** Clause b implies clause a (a is weaker): every atom of a is implied by b's atom on the same path. */
function clauseImplies(b: Clause, a: Clause): boolean {
  for (const [key, atom] of a) {
    const other = b.get(key);
    if (!other || !atomImplies(other, atom)) return false;
  }
  return true;
}

function clauseKey(c: Clause, except?: string): string {
  return [...c.values()]
    .filter((atom) => atom.key !== except)
    .map((atom) => `${atom.key}=${atom.values.map(valueKey).sort().join('|')}`)
    .sort()
    .join('&');
}

function simplify(input: Clause[]): Clause[] {
  if (input.some((c) => c.size === 0)) return [new Map()];
  let clauses = input.slice();
  for (let round = 0; round < 50; round++) {
    const before = clauses.length;
    // Duplicates.
    const unique = new Map<string, Clause>();
    for (const c of clauses) if (!unique.has(clauseKey(c))) unique.set(clauseKey(c), c);
    clauses = [...unique.values()];
    // Merge: clauses equal except on one path become one clause with the union of values on that path.
    const groups = new Map<string, Clause[]>();
    for (const c of clauses) {
      for (const key of c.keys()) {
        const g = `${key}\u0001${clauseKey(c, key)}\u0001${[...c.keys()].sort().join(',')}`;
        (groups.get(g) ?? groups.set(g, []).get(g)!).push(c);
      }
    }
    const consumed = new Set<Clause>();
    const merged: Clause[] = [];
    for (const [g, members] of groups) {
      const live = members.filter((m) => !consumed.has(m));
      if (live.length < 2) continue;
      const key = g.slice(0, g.indexOf('\u0001'));
      const out: Clause = new Map(live[0]!);
      const base = live[0]!.get(key)!;
      out.set(key, { ...base, values: dedupeValues(live.flatMap((m) => m.get(key)!.values)) });
      for (const m of live) consumed.add(m);
      merged.push(out);
    }
    clauses = [...clauses.filter((c) => !consumed.has(c)), ...merged];
    // Absorption: drop a clause that implies another one (it lets no further event through).
    const kept: Clause[] = [];
    const sorted = clauses.slice().sort((x, y) => x.size - y.size);
    for (const c of sorted) {
      if (!kept.some((k) => clauseImplies(c, k))) kept.push(c);
    }
    clauses = kept;
    const shrunk = subtractForwardedTypes(clauses);
    clauses = shrunk.clauses;
    if (clauses.length === before && merged.length === 0 && !shrunk.changed) break;
  }
  return clauses;
}

/**
 * A clause `type ∈ T and more` needs no type that a type-only clause already forwards whole: those values leave
 * T (the events pass anyway), and a clause left with no type value is dropped. Only exact values are compared.
 */
function subtractForwardedTypes(clauses: Clause[]): { clauses: Clause[]; changed: boolean } {
  const forwarded = new Set<string>();
  for (const c of clauses) {
    if (c.size !== 1) continue;
    const only = c.values().next().value as Atom;
    if (isTypeAtom(only)) for (const v of only.values) if (v.kind === 'exact') forwarded.add(valueKey(v));
  }
  if (forwarded.size === 0) return { clauses, changed: false };
  let changed = false;
  const out: Clause[] = [];
  for (const c of clauses) {
    const type = c.size > 1 ? [...c.values()].find(isTypeAtom) : undefined;
    const rest = type ? type.values.filter((v) => !(v.kind === 'exact' && forwarded.has(valueKey(v)))) : undefined;
    if (!type || !rest || rest.length === type.values.length) {
      out.push(c);
      continue;
    }
    changed = true;
    if (rest.length === 0) continue;
    const copy: Clause = new Map(c);
    copy.set(type.key, { ...type, values: rest });
    out.push(copy);
  }
  return { clauses: out, changed };
}

/** Higher = keeps more events out. Type constraints are Auth0's main discriminator and are dropped last. */
function selectivity(atom: Atom): number {
  const per = atom.values.map((v) => (v.kind === 'absent' ? 24 : (v.kind === 'exact' ? 8 : 0) + Math.min(v.literal.length, 16)));
  const weakest = per.length ? Math.min(...per) : 0;
  return weakest - Math.log2(Math.max(1, atom.values.length));
}

/**
 * Log types that make up most of a tenant's traffic: logins, silent authentication, token exchanges, logouts, bot
 * assessments, Management API reads. Dropping a constraint of a clause limited to them forwards many events.
 */
const HIGH_VOLUME_TYPES = new Set(['s', 'ssa', 'fsa', 'slo', 'seacft', 'sertft', 'seccft', 'sepft', 'seotpft', 'sens', 'fp', 'fu', 'f', 'pla', 'w', 'mgmt_api_read', 'scoa', 'fcoa']);

/** A rough share of traffic a clause's type constraint admits: unconstrained and prefix types count as many. */
function typeVolume(clause: Clause): number {
  const type = [...clause.values()].find(isTypeAtom);
  if (!type) return 1000;
  let volume = 0;
  for (const v of type.values) {
    if (v.kind !== 'exact') volume += 100;
    else volume += HIGH_VOLUME_TYPES.has(foldKey(v.literal)) ? 20 : 1;
  }
  return volume;
}

function isTypeAtom(atom: Atom): boolean {
  return atom.path.length === 2 && atom.path[0] === 'data' && atom.path[1] === 'type';
}

/**
 * One widening step, least damaging first: drop the least selective non-type constraints from clauses that keep
 * another constraint (in proportion to how far over the limit the pattern is); then shorten type values (exact →
 * prefix → shorter prefix); then drop whole constraints. Returns false when nothing is left to widen.
 */
function widenOnce(clauses: Clause[], notes: Notes, reason: string, excess: number): boolean {
  const candidates: { clause: Clause; atom: Atom; cost: number; score: number }[] = [];
  for (const clause of clauses) {
    if (clause.size < 2) continue;
    const cost = typeVolume(clause);
    for (const atom of clause.values()) if (!isTypeAtom(atom)) candidates.push({ clause, atom, cost, score: selectivity(atom) });
  }
  if (candidates.length > 0) {
    // Cheapest first: a constraint on a rare log type lets few events through when dropped.
    candidates.sort((x, y) => x.cost - y.cost || x.score - y.score);
    const count = Math.max(1, Math.ceil((candidates.length * excess) / 2));
    for (const { clause, atom } of candidates.slice(0, count)) {
      if (clause.size < 2) continue;
      clause.delete(atom.key);
      notes.add(`${reason}: dropped the constraint on '${atom.path.join('.')}' (${atom.origin})`);
    }
    return true;
  }
  // Shorten the longest type literals by one character (exact values become prefixes).
  let longestLength = 0;
  for (const clause of clauses) {
    for (const atom of clause.values()) {
      if (!isTypeAtom(atom)) continue;
      for (const v of atom.values) if (v.kind !== 'suffix' && v.kind !== 'absent') longestLength = Math.max(longestLength, Array.from(v.literal).length);
    }
  }
  if (longestLength > 1) {
    for (const clause of clauses) {
      for (const atom of [...clause.values()]) {
        if (!isTypeAtom(atom)) continue;
        const shortened: ValueConstraint[] = [];
        let unsafe = false;
        for (const v of atom.values) {
          const cps = Array.from(v.literal);
          if (v.kind === 'suffix' || v.kind === 'absent' || cps.length < longestLength) {
            shortened.push(v);
            continue;
          }
          const literal = cps.slice(0, -1).join('');
          // A number or boolean alternative cannot survive as a string prefix: drop the whole constraint.
          if (v.alsoNumber !== undefined || v.booleans !== undefined || NUMBER_FORM_CHARS.test(literal)) unsafe = true;
          shortened.push({ kind: 'prefix', literal, cased: v.cased });
        }
        if (unsafe) {
          clause.delete(atom.key);
          notes.add(`${reason}: dropped the constraint on '${atom.path.join('.')}' (${atom.origin})`);
        } else {
          clause.set(atom.key, { ...atom, values: dedupeValues(shortened) });
        }
      }
    }
    notes.add(`${reason}: event types matched by prefix instead of exact value`);
    return true;
  }
  // Last resort: drop a whole remaining constraint.
  for (const clause of clauses) {
    const first = clause.values().next();
    if (!first.done) {
      clause.delete(first.value.key);
      notes.add(`${reason}: dropped the constraint on '${first.value.path.join('.')}' (${first.value.origin})`);
      return true;
    }
  }
  return false;
}

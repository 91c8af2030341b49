// The data model shared by every stage of the engine: YAML → validated rule model (this file) → compiled matcher.
// Everything here is plain JSON so the CDK synth step can hand a validated rule set to the Lambda bundle
// without YAML, and so tools (lint, prefilter, bench) can read rules without the matcher.

export const SIGMA_LEVELS = ['informational', 'low', 'medium', 'high', 'critical'] as const;
export type Level = (typeof SIGMA_LEVELS)[number];

/** A 1-based position in a rule file. */
export interface SourceLocation {
  file: string;
  line: number;
  col: number;
}

export type Scalar = string | number | boolean | null;

export const VALUE_MODIFIERS = [
  'contains', 'startswith', 'endswith', 'all', 'exists', 'cased', 'neq',
  'gt', 'gte', 'lt', 'lte',
  'minute', 'hour', 'day', 'week', 'month', 'year',
  'cidr', 're', 'i', 'm', 's',
  'base64', 'base64offset', 'utf16le', 'utf16be', 'utf16', 'wide', 'windash',
  'expand', 'fieldref',
] as const;
export type ValueModifier = (typeof VALUE_MODIFIERS)[number];

/**
 * One `field|modifier|...: value(s)` entry of a search identifier, or a keyword list (field null).
 * Placeholders (`{name}`, and `%name%` under `expand`) are already substituted: `expand` is dropped from
 * `modifiers`, and a placeholder with a list of values has become several values (or, under `all`,
 * several alternatives of the enclosing map).
 */
export interface FieldItem {
  /** The field as written in the rule (`data.details.response.body.shields{}`), or null for keywords. */
  field: string | null;
  modifiers: ValueModifier[];
  /** Values ORed together, or ANDed with the `all` modifier. Never empty. */
  values: Scalar[];
  loc: SourceLocation;
}

/** A search identifier's body. */
export type SearchNode =
  /** A map: every item must hold (AND). */
  | { kind: 'map'; items: FieldItem[]; loc: SourceLocation }
  /** A list of maps: any alternative may hold (OR). */
  | { kind: 'anyOf'; alternatives: SearchNode[]; loc: SourceLocation }
  /** A keyword list: one item with field null. */
  | { kind: 'keywords'; item: FieldItem; loc: SourceLocation };

/** A parsed condition. `of` nodes carry the identifiers their pattern resolved to. */
export type ConditionNode =
  | { op: 'and'; args: ConditionNode[] }
  | { op: 'or'; args: ConditionNode[] }
  | { op: 'not'; arg: ConditionNode }
  | { op: 'id'; name: string }
  | { op: 'of'; quantifier: 'one' | 'all'; pattern: string; names: string[] };

export interface DetectionModel {
  identifiers: Record<string, SearchNode>;
  /** The condition text(s) as written; a list of conditions is ORed. */
  conditionText: string[];
  /** The parsed condition (a list of conditions is already an `or`). */
  condition: ConditionNode;
  conditionLoc: SourceLocation;
}

export const CORRELATION_TYPES = [
  'event_count', 'value_count', 'temporal', 'temporal_ordered', 'value_sum', 'value_avg', 'value_percentile',
] as const;
export type CorrelationType = (typeof CORRELATION_TYPES)[number];

export interface CorrelationCondition {
  gt?: number;
  gte?: number;
  lt?: number;
  lte?: number;
  eq?: number;
  neq?: number;
  /** The field whose values are counted, summed, averaged (value_* types). */
  field?: string;
  /** value_percentile: which percentile (0-100). */
  percentile?: number;
}

export interface CorrelationModel {
  type: CorrelationType;
  /** Ids of the referenced rules (names are resolved at load, file-local first). */
  rules: string[];
  groupBy: string[];
  timespanMs: number;
  /** The timespan as written (`1h`). */
  timespan: string;
  condition: CorrelationCondition;
  /** alias → (referenced rule id → field name in that rule's events). */
  aliases: Record<string, Record<string, string>>;
  loc: SourceLocation;
}

/** One enabled rule, validated, with placeholders substituted. */
export interface RuleModel {
  kind: 'detection' | 'correlation';
  id: string;
  /** True when the rule had no `id` and one was derived from file and title. */
  idDerived: boolean;
  /** The Sigma `name` (used by correlations to reference rules). */
  name?: string;
  title: string;
  level: Level;
  status?: string;
  description?: string;
  tags: string[];
  falsepositives: string[];
  references: string[];
  /** The rule's `fields` list: values shown in notifications. */
  fields: string[];
  /** Every top-level key of the rule document except `detection`/`correlation`, as written (custom keys included). */
  meta: Record<string, unknown>;
  /** Where the rule came from. `file` is relative to the loaded root when possible. */
  file: string;
  line: number;
  /** Index of the YAML document within its file (0-based). */
  docIndex: number;
  detection?: DetectionModel;
  correlation?: CorrelationModel;
  /**
   * True when single-event matches of this rule notify on their own: a detection rule that no correlation
   * references, or one referenced by a correlation that says `generate: true`. Correlations always notify.
   */
  alerts: boolean;
  /** Placeholder names the rule used (before substitution). */
  placeholders: string[];
  /**
   * Sigma filters applied to this rule, in the order applied. The detection already holds their identifiers
   * (renamed `filter:<key>:<identifier>`) and its condition is `and(original, filter 1, filter 2, ...)`.
   */
  filters?: AppliedFilter[];
}

/** A Sigma filter as applied to one rule (see `filters.ts`). */
export interface AppliedFilter {
  id: string;
  title: string;
  file: string;
  line: number;
  /** The filter's identifiers as renamed in the rule's detection. */
  identifiers: string[];
}

export interface EngineOptions {
  /** Longest value (in UTF-16 code units) a regex is run on; longer values are cut to this length. */
  regexValueCap: number;
  /**
   * Regex steps (value length × compiled program size) one event may use across all rules; the rest of its
   * regex checks are skipped and the built-in "evaluation budget exceeded" rule fires. Unset: DEFAULT_REGEX_BUDGET.
   */
  regexBudget?: number;
}

export const DEFAULT_ENGINE_OPTIONS: EngineOptions = { regexValueCap: 4096 };

/** The validated, JSON-serialisable rule set: what the Lambda bundle carries instead of YAML. */
export interface RuleSetModel {
  version: 1;
  rules: RuleModel[];
  options: EngineOptions;
}

/** A log event as rules address it: `data.type`, `log_id`. */
export interface NormalizedEvent {
  log_id?: string;
  data: Record<string, unknown>;
}

export type Severity = 'error' | 'warning' | 'note';

/** A problem found while loading, validating or linting rules. */
export interface Diagnostic {
  severity: Severity;
  message: string;
  /** How to fix it, when there is something to say. */
  hint?: string;
  loc: SourceLocation;
  ruleId?: string;
  ruleTitle?: string;
  identifier?: string;
  field?: string;
  modifier?: string;
  /** A stable code for tests and filtering, e.g. `unknown-modifier`. */
  code: string;
}

/** The single-event detection output (`scan --format json`, SNS `default`, EventBridge detail). */
export interface RuleSummary {
  id: string;
  title: string;
  level: Level;
  tags: string[];
  /** Every other top-level key of the rule (description, falsepositives, prevention, splunk, ...), as written. */
  meta?: Record<string, unknown>;
}

export interface CorrelationInfo {
  type: CorrelationType;
  group: Record<string, Scalar>;
  value: number;
  window: { start: string; end: string };
  /** Rule ids involved. */
  rules: string[];
  /** Up to 10 log_ids of the events that made it fire. */
  log_ids: string[];
}

export interface Detection {
  rule: RuleSummary;
  log_id?: string;
  date?: string;
  type?: string;
  user_id?: string;
  user_name?: string;
  ip?: string;
  client_id?: string;
  client_name?: string;
  /** Search identifiers that were true. */
  matched?: string[];
  /** The values of the rule's `fields` in the event (path → value; missing fields omitted). */
  field_values?: Record<string, unknown>;
  /** Built-in "evaluation budget exceeded" rule only: the rules the event's budget left unevaluated. */
  skipped_rules?: { id: string; title: string }[];
  correlation?: CorrelationInfo;
}

// Placeholders: values a rule leaves to the deployment (`{api_explorer_client_id}`, `%admins%` under
// `|expand`). Substitution happens once at load time, so the compiled matcher only ever sees plain values.
// A placeholder's value is inserted as a pattern: wildcards in it keep their meaning.

import type { Diagnostic, FieldItem, Scalar, SourceLocation, ValueModifier } from './types';
import { parseYamlDocument, locOf } from './yaml-source';

export type PlaceholderValues = Record<string, string | string[]>;

/** Names start with a letter or underscore, so a regex quantifier like `{3}` or `{2,5}` is never one. */
export const PLACEHOLDER_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]*$/;
const BRACE_PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_-]*)\}/g;
/** At a `%`: the `%name%` placeholder starting there, if any. */
const PERCENT_PLACEHOLDER_AT = /%([A-Za-z_][A-Za-z0-9_-]*)%/y;

/** A value under `expand`, split into literal text and `%name%` placeholders. */
type ExpandToken = { literal: string } | { name: string };

/**
 * Splits a value under `expand`: `\%` is a literal `%` (the backslash is consumed, so `\%plain%name%` is the text
 * `%plain` and then the placeholder `name`), `\\` stays `\\` (the wildcard escape of a backslash, read later), and
 * `%name%` is a placeholder.
 */
function expandTokens(value: string): ExpandToken[] {
  const tokens: ExpandToken[] = [];
  let text = '';
  for (let i = 0; i < value.length; ) {
    const c = value[i]!;
    if (c === '\\' && (value[i + 1] === '\\' || value[i + 1] === '%')) {
      text += value[i + 1] === '%' ? '%' : '\\\\';
      i += 2;
      continue;
    }
    if (c === '%') {
      PERCENT_PLACEHOLDER_AT.lastIndex = i;
      const m = PERCENT_PLACEHOLDER_AT.exec(value);
      if (m) {
        if (text) tokens.push({ literal: text });
        text = '';
        tokens.push({ name: m[1]! });
        i += m[0].length;
        continue;
      }
    }
    text += c;
    i++;
  }
  if (text) tokens.push({ literal: text });
  return tokens;
}

/** Most values the placeholders of one field item may expand to (literal values of the item are not counted). */
export const MAX_PLACEHOLDER_VALUES = 1000;
/** Most alternatives one map may be split into when list placeholders sit under `all`. */
export const MAX_PLACEHOLDER_ALTERNATIVES = 256;

/** The placeholder names a string uses: `{name}` always, `%name%` only under `expand`. */
export function findPlaceholders(value: string, expand: boolean): string[] {
  const names = new Set<string>();
  for (const m of value.matchAll(BRACE_PLACEHOLDER)) names.add(m[1]);
  if (expand) for (const t of expandTokens(value)) if ('name' in t) names.add(t.name);
  return [...names];
}

/**
 * Replaces every placeholder of `value` whose name is bound; the others stay as written. Under `expand`, `\%` is
 * a literal `%` (see expandTokens).
 */
export function substitutePlaceholders(value: string, binding: Readonly<Record<string, string>>, expand: boolean): string {
  const bound = (name: string): boolean => Object.prototype.hasOwnProperty.call(binding, name);
  const replace = (whole: string, name: string): string => (bound(name) ? binding[name] : whole);
  if (!expand) return value.replace(BRACE_PLACEHOLDER, replace);
  return expandTokens(value)
    .map((t) => ('name' in t ? (bound(t.name) ? binding[t.name] : `%${t.name}%`) : t.literal.replace(BRACE_PLACEHOLDER, replace)))
    .join('');
}

/**
 * YAML reads an unquoted `{name}` as the mapping `{name: null}`. Returns the name when `value` has that
 * shape (one key, a placeholder name, null value), so the loader can take it as the placeholder.
 */
export function unquotedPlaceholderName(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const keys = Object.keys(value);
  if (keys.length !== 1) return undefined;
  const name = keys[0];
  return (value as Record<string, unknown>)[name] === null && PLACEHOLDER_NAME_PATTERN.test(name) ? name : undefined;
}

/** How to give a placeholder a value, wherever rules are loaded. */
export function placeholderHint(name: string): string {
  return (
    `set it with \`--set ${name}=VALUE\` (repeat for a list), in a \`--config\` file ` +
    `(\`placeholders: {${name}: VALUE}\`), or for the deployed stack in the CDK context \`placeholders\``
  );
}

/** The value list of a placeholder, or undefined when it has none. */
export function placeholderValueList(values: PlaceholderValues | undefined, name: string): string[] | undefined {
  if (!values || !Object.prototype.hasOwnProperty.call(values, name)) return undefined;
  const v = values[name];
  const list = Array.isArray(v) ? v : [v];
  return list.length > 0 ? list : undefined;
}

/** A field item as read from YAML, before substitution (`expand` still among the modifiers). */
export interface RawFieldItem {
  field: string | null;
  modifiers: string[];
  values: Scalar[];
  loc: SourceLocation;
}

export interface SubstitutionProblem {
  code: string;
  message: string;
  hint?: string;
  loc: SourceLocation;
  field: string | null;
  severity: 'error' | 'warning';
}

export interface MapSubstitution {
  /** The map's items after substitution; several maps when list placeholders under `all` split it (OR). */
  alternatives: FieldItem[][];
  /** Placeholder names used (resolved or not). */
  used: string[];
  /** Names with no value, with the first item using each. */
  unresolved: { name: string; loc: SourceLocation; field: string | null }[];
  problems: SubstitutionProblem[];
}

/**
 * Substitutes placeholders in the items of one map (AND). Outside `all`, a list placeholder adds values
 * (OR). Under `all`, values are ANDed, so ORing the placeholder's values instead means one copy of the
 * whole map per value: the map becomes alternatives. Unresolved placeholders stay as written and are
 * reported; the caller decides whether that is an error or a skipped rule.
 */
export function substituteMap(items: readonly RawFieldItem[], values: PlaceholderValues | undefined): MapSubstitution {
  const used = new Set<string>();
  const unresolved = new Map<string, { name: string; loc: SourceLocation; field: string | null }>();
  const problems: SubstitutionProblem[] = [];

  const prepared = items.map((item) => {
    const expand = item.modifiers.includes('expand');
    const modifiers = item.modifiers.filter((m) => m !== 'expand') as ValueModifier[];
    const names = new Set<string>();
    for (const v of item.values) if (typeof v === 'string') findPlaceholders(v, expand).forEach((n) => names.add(n));
    if (expand && names.size === 0) {
      problems.push({
        severity: 'warning', code: 'expand-without-placeholder', field: item.field, loc: item.loc,
        message: "the 'expand' modifier is used but no value holds a %name% placeholder",
        hint: "write the value as '%name%' or remove '|expand'",
      });
    }
    for (const name of names) {
      used.add(name);
      if (!placeholderValueList(values, name) && !unresolved.has(name)) unresolved.set(name, { name, loc: item.loc, field: item.field });
    }
    return { item, expand, modifiers, names, isAll: modifiers.includes('all') };
  });

  // Placeholders with several values that sit under `all` split the map, one binding per combination.
  const splitting = new Set<string>();
  for (const p of prepared) {
    if (!p.isAll) continue;
    for (const n of p.names) if ((placeholderValueList(values, n)?.length ?? 0) > 1) splitting.add(n);
  }
  let bindings: Record<string, string>[] = [{}];
  for (const name of splitting) {
    const list = placeholderValueList(values, name) ?? [];
    if (bindings.length * list.length > MAX_PLACEHOLDER_ALTERNATIVES) {
      const first = prepared.find((p) => p.names.has(name));
      problems.push({
        severity: 'error', code: 'placeholder-expansion-too-large', field: first?.item.field ?? null, loc: first?.item.loc ?? items[0].loc,
        message: `placeholder '${name}' under 'all' would split this map into more than ${MAX_PLACEHOLDER_ALTERNATIVES} alternatives`,
        hint: 'give the placeholders under `all` fewer values, or rewrite the rule without `all`',
      });
      bindings = [{}];
      break;
    }
    bindings = bindings.flatMap((b) => list.map((v) => ({ ...b, [name]: v })));
  }

  const alternatives = bindings.map((binding) =>
    prepared.map((p): FieldItem => {
      const out: Scalar[] = [];
      // Only values written with a placeholder count against the limit: a long literal list is the author's own
      // text (its size is bounded by the file), while a placeholder list multiplies with every value using it.
      let fromPlaceholders = 0;
      for (const v of p.item.values) {
        if (typeof v !== 'string' || p.names.size === 0 || findPlaceholders(v, p.expand).length === 0) {
          out.push(v);
          continue;
        }
        for (const s of expandValue(v, p.expand, binding, values)) {
          if (fromPlaceholders++ < MAX_PLACEHOLDER_VALUES) out.push(s);
        }
      }
      if (fromPlaceholders > MAX_PLACEHOLDER_VALUES) {
        problems.push({
          severity: 'error', code: 'placeholder-expansion-too-large', field: p.item.field, loc: p.item.loc,
          message: `the placeholders in this field's values expand to more than the ${MAX_PLACEHOLDER_VALUES} values allowed (literal values do not count)`,
          hint: 'give the placeholders fewer values, or use fewer placeholders per value (each list multiplies the others)',
        });
      }
      return { field: p.item.field, modifiers: p.modifiers, values: out, loc: p.item.loc };
    }),
  );
  // Several problems per binding are the same problem.
  const seen = new Set<string>();
  const uniqueProblems = problems.filter((p) => {
    const key = `${p.code}|${p.loc.line}|${p.loc.col}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return { alternatives, used: [...used], unresolved: [...unresolved.values()], problems: uniqueProblems };
}

/** Every value one rule value becomes: one per combination of its list placeholders (a name is bound once per value). */
function expandValue(value: string, expand: boolean, fixed: Record<string, string>, values: PlaceholderValues | undefined): string[] {
  let bindings: Record<string, string>[] = [{ ...fixed }];
  for (const name of findPlaceholders(value, expand)) {
    if (Object.prototype.hasOwnProperty.call(fixed, name)) continue;
    const list = placeholderValueList(values, name);
    if (!list) continue; // unresolved: left as written, reported by the caller
    const next: Record<string, string>[] = [];
    for (const b of bindings) {
      for (const v of list) {
        next.push({ ...b, [name]: v });
        if (next.length > MAX_PLACEHOLDER_VALUES) break;
      }
      if (next.length > MAX_PLACEHOLDER_VALUES) break;
    }
    bindings = next;
  }
  return bindings.map((b) => substitutePlaceholders(value, b, expand));
}

/**
 * Parses repeated `--set name=value` options. A name given several times becomes a list (its values OR).
 * Returns an error message per malformed assignment.
 */
export function parsePlaceholderAssignments(list: readonly string[]): { placeholders: PlaceholderValues; errors: string[] } {
  const collected = new Map<string, string[]>();
  const errors: string[] = [];
  for (const entry of list) {
    const eq = entry.indexOf('=');
    if (eq < 0) {
      errors.push(`--set '${entry}': expected NAME=VALUE (e.g. --set api_explorer_client_id=AbC123)`);
      continue;
    }
    const name = entry.slice(0, eq).trim();
    const value = entry.slice(eq + 1);
    if (!PLACEHOLDER_NAME_PATTERN.test(name)) {
      errors.push(`--set '${entry}': '${name}' is not a placeholder name (a letter or '_' first, then letters, digits, '_' or '-')`);
      continue;
    }
    if (value === '') {
      errors.push(`--set '${entry}': the value is empty (an unset shell variable?); give a value after '='`);
      continue;
    }
    const values = collected.get(name) ?? [];
    values.push(value);
    collected.set(name, values);
  }
  const placeholders: PlaceholderValues = {};
  for (const [name, values] of collected) defineValue(placeholders, name, values.length === 1 ? values[0] : values);
  return { placeholders, errors };
}

/** Later sources win per name (`--set` over `--config`). */
export function mergePlaceholders(...sources: (PlaceholderValues | undefined)[]): PlaceholderValues {
  const out: PlaceholderValues = {};
  for (const source of sources) {
    if (!source) continue;
    for (const name of Object.keys(source)) defineValue(out, name, source[name]);
  }
  return out;
}

/**
 * Reads a placeholder config document: `placeholders: {name: value | [values]}`. Other top-level keys are
 * left to whoever else reads the file. Every problem is a located diagnostic.
 */
export function parsePlaceholderConfig(text: string, file: string): { placeholders: PlaceholderValues; diagnostics: Diagnostic[] } {
  const { doc, diagnostics } = parseYamlDocument(text, file);
  const placeholders: PlaceholderValues = {};
  const error = (path: (string | number)[], message: string, hint: string, part: 'key' | 'value' = 'key'): void => {
    diagnostics.push({ severity: 'error', code: 'placeholder-config', message, hint, loc: doc ? locOf(doc, path, part) : { file, line: 1, col: 1 } });
  };
  if (!doc || doc.value === null || doc.value === undefined) return { placeholders, diagnostics };
  if (typeof doc.value !== 'object' || Array.isArray(doc.value)) {
    error([], 'the config file must be a YAML mapping', 'write `placeholders:` followed by `name: value` lines');
    return { placeholders, diagnostics };
  }
  const root = doc.value as Record<string, unknown>;
  if (!Object.prototype.hasOwnProperty.call(root, 'placeholders')) return { placeholders, diagnostics };
  const map = root.placeholders;
  if (map === null) return { placeholders, diagnostics };
  if (typeof map !== 'object' || Array.isArray(map)) {
    error(['placeholders'], "'placeholders' must be a mapping of name to a value or a list of values", 'write `placeholders:` then `  name: value` indented below', 'value');
    return { placeholders, diagnostics };
  }
  for (const [name, raw] of Object.entries(map as Record<string, unknown>)) {
    const path = ['placeholders', name];
    if (!PLACEHOLDER_NAME_PATTERN.test(name)) {
      error(path, `'${name}' is not a placeholder name`, "names start with a letter or '_' and hold letters, digits, '_' or '-'");
      continue;
    }
    const list = Array.isArray(raw) ? raw : [raw];
    if (list.length === 0) {
      error(path, `placeholder '${name}' has an empty list`, 'give at least one value', 'value');
      continue;
    }
    const strings: string[] = [];
    list.forEach((v, i) => {
      const itemPath = Array.isArray(raw) ? [...path, i] : path;
      if (typeof v === 'string' && v !== '') strings.push(v);
      else if (typeof v === 'number' || typeof v === 'boolean') {
        strings.push(String(v));
        diagnostics.push({
          severity: 'warning', code: 'placeholder-config-unquoted', loc: locOf(doc, itemPath, 'value'),
          message: `placeholder '${name}': YAML read ${JSON.stringify(v)} as a ${typeof v}; it is used as the text '${String(v)}'`,
          hint: 'quote the value so it is kept exactly as written (leading zeros, trailing dots)',
        });
      } else {
        error(itemPath, `placeholder '${name}' must be a non-empty string or a list of strings`, `write ${name}: "value"`, 'value');
      }
    });
    if (strings.length === list.length) defineValue(placeholders, name, Array.isArray(raw) ? strings : strings[0]);
  }
  return { placeholders, diagnostics };
}

/** Assignment that treats `__proto__` and friends as ordinary names. */
function defineValue(target: PlaceholderValues, name: string, value: string | string[]): void {
  Object.defineProperty(target, name, { value, enumerable: true, writable: true, configurable: true });
}

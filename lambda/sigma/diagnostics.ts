// Diagnostics: every problem found while loading rules, with where it is and how to fix it.
// One format for the CLI, the synth step and the tests: `path:line:col: severity: message (context) — hint`.

import type { Diagnostic, Severity, SourceLocation } from './types';

/** `rules/x.yml:14:9: error: message (rule 'title', identifier 'sel', field 'x', modifier 'y') — hint` */
export function formatDiagnostic(d: Diagnostic): string {
  const context: string[] = [];
  if (d.ruleTitle !== undefined) context.push(`rule '${d.ruleTitle}'`);
  else if (d.ruleId !== undefined) context.push(`rule '${d.ruleId}'`);
  if (d.identifier !== undefined) context.push(`identifier '${d.identifier}'`);
  if (d.field !== undefined) context.push(`field '${d.field}'`);
  if (d.modifier !== undefined) context.push(`modifier '${d.modifier}'`);
  let text = `${formatLocation(d.loc)}: ${d.severity}: ${d.message}`;
  if (context.length > 0) text += ` (${context.join(', ')})`;
  if (d.hint) text += ` — ${d.hint}`;
  return text;
}

export function formatLocation(loc: SourceLocation): string {
  return `${loc.file}:${loc.line}:${loc.col}`;
}

const SEVERITY_ORDER: Record<Severity, number> = { error: 0, warning: 1, note: 2 };

/** Orders diagnostics by file, line, column, then severity, so output is stable whatever the load order. */
export function compareDiagnostics(a: Diagnostic, b: Diagnostic): number {
  if (a.loc.file !== b.loc.file) return a.loc.file < b.loc.file ? -1 : 1;
  if (a.loc.line !== b.loc.line) return a.loc.line - b.loc.line;
  if (a.loc.col !== b.loc.col) return a.loc.col - b.loc.col;
  return SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity];
}

/** A collector: validation keeps going after a problem, so every problem is reported at once. */
export class Diagnostics {
  private readonly list: Diagnostic[] = [];

  add(d: Diagnostic): void {
    this.list.push(d);
  }

  addAll(ds: Iterable<Diagnostic>): void {
    for (const d of ds) this.list.push(d);
  }

  errors(): Diagnostic[] {
    return this.list.filter((d) => d.severity === 'error');
  }

  warnings(): Diagnostic[] {
    return this.list.filter((d) => d.severity === 'warning');
  }

  notes(): Diagnostic[] {
    return this.list.filter((d) => d.severity === 'note');
  }

  all(): Diagnostic[] {
    return [...this.list];
  }

  hasErrors(): boolean {
    return this.list.some((d) => d.severity === 'error');
  }

  get size(): number {
    return this.list.length;
  }
}

/** Thrown when a caller asked for rules that cannot load (e.g. a missing path): carries every diagnostic. */
export class RuleError extends Error {
  readonly diagnostics: Diagnostic[];

  constructor(diagnostics: Diagnostic[], message?: string) {
    super(message ?? diagnostics.map(formatDiagnostic).join('\n'));
    this.name = 'RuleError';
    this.diagnostics = diagnostics;
  }
}

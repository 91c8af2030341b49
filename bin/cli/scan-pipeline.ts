// The scan pipeline: read → normalise → match → emit, one item at a time.
//
//   input (input.ts) ──item──▶ processItem ──▶ normalizeEvent ──▶ CompiledRuleSet.match ──▶ detections (rules that alert)
//                                                                          │
//                                     observers.wants(matches)? ──yes──▶ queue
//   end of each input chunk ──▶ flush() ──▶ observers.process(queue) ──▶ detections   (correlation plugs in here)
//   end of input ──────────▶ finish() ──▶ flush(), observers.end() (open windows close) ──▶ detections
//
// Observers are asynchronous (the correlation store is), the per-event path is not: events an observer wants are
// queued and handed over once per chunk, in input order. Per event the pipeline does only what it must: one
// normalisation, one indexed match, and a presence check of the fields no event has shown yet (that list
// shrinks to nothing on healthy input).

import { FieldCoverage, type CoverageField } from './field-coverage';
import { normalizeEvent } from '../../lambda/sigma/events';
import { buildDetection } from '../../lambda/sigma/detection';
import { newMatchReport, type CompiledRuleSet, type RuleMatch } from '../../lambda/sigma/ruleset';
import type { Detection, NormalizedEvent, RuleModel } from '../../lambda/sigma/types';

export interface ObservedEvent {
  event: NormalizedEvent;
  matches: readonly RuleMatch[];
}

/**
 * Something that sees events after matching and may produce detections of its own: the correlation engine
 * (issue 4) with the memory store.
 */
export interface EventObserver {
  /** Hot path, synchronous and cheap: does this observer need the event (judged from its matches)? */
  wants(matches: readonly RuleMatch[]): boolean;
  /** The events some observer wanted since the last call, in input order (an observer skips what it does not need). */
  process(batch: readonly ObservedEvent[]): Promise<readonly Detection[]>;
  /** Once, after the last event: close whatever is still open. */
  end(): Promise<readonly Detection[]>;
}

export interface MalformedItem {
  source: string;
  line: number;
  message: string;
}

/**
 * What one part of a file scanned elsewhere (a worker of the parallel scan, parallel-scan.ts) adds to the summary:
 * plain data, line numbers relative to the part's first line.
 */
export interface PartSummary {
  itemsRead: number;
  malformedCount: number;
  eventsEvaluated: number;
  /** The part's first malformed items (at most MALFORMED_REPORT_LIMIT). */
  malformed: { line: number; message: string }[];
  /** Per rule id, in the order first seen: failure count and [reason, count] in the order first seen. */
  failures: [string, number, [string, number][]][];
  budgetExceededEvents: number;
  /** Indexes of the tracked fields seen so far (the same rules give the same fields in the same order). */
  seenFields: number[];
}

/** How many malformed items are reported one by one; the rest are only counted. */
export const MALFORMED_REPORT_LIMIT = 10;

export interface RuleCoverage {
  rule: RuleModel;
  /** Fields the rule reads that no scanned event had. */
  missing: string[];
}

/** The event fields a rule reads: a detection's searches; a correlation's group-by and value fields (not aliases). */
function fieldsOf(ruleSet: CompiledRuleSet, rule: RuleModel): string[] {
  if (rule.kind === 'detection') return ruleSet.fieldsRead(rule.id);
  const c = rule.correlation;
  if (!c) return [];
  const fields = [...c.groupBy, ...(c.condition.field !== undefined ? [c.condition.field] : [])];
  return [...new Set(fields.filter((f) => !Object.prototype.hasOwnProperty.call(c.aliases, f)))];
}

export class ScanPipeline {
  /** Items read (events and malformed items). */
  itemsRead = 0;
  /** Items skipped: not JSON, or not a log event. */
  malformedCount = 0;
  /** Items that reached the matcher. */
  eventsEvaluated = 0;
  detectionsTotal = 0;
  /** The first malformed items, with where they are. */
  readonly malformedShown: MalformedItem[] = [];
  /** Structural remarks about the input that lose no event (text after the array, a missing `]`). */
  readonly inputNotes: MalformedItem[] = [];
  /** Detections emitted per rule id. */
  readonly detectionsByRule = new Map<string, number>();
  /** Matches of rules that do not alert on their own (they feed a correlation). */
  readonly silentMatchesByRule = new Map<string, number>();
  /** Per rule id, the events on which its evaluation failed or ran out of budget, and the reasons seen. */
  readonly failuresByRule = new Map<string, { count: number; reasons: Map<string, number> }>();
  /** Events that exhausted the regex budget. */
  budgetExceededEvents = 0;
  private readonly report = newMatchReport();

  private readonly fields: CoverageField[];
  /** The fields not seen yet, looked for in one walk of each event; shrinks as events show them. */
  private readonly fieldCoverage: FieldCoverage;
  private readonly fieldsByRule: { rule: RuleModel; fields: CoverageField[] }[];
  private queue: ObservedEvent[] = [];
  /**
   * Set by a worker of the parallel scan: events with matches go here (with their line) instead of to detections
   * and observers, which the main thread runs, in file order, on what the workers send back.
   */
  matchedSink: ((matches: readonly RuleMatch[], line: number) => void) | undefined;

  constructor(
    private readonly ruleSet: CompiledRuleSet,
    rules: readonly RuleModel[],
    private readonly emit: (detection: Detection) => void,
    private readonly observers: readonly EventObserver[] = [],
  ) {
    const byField = new Map<string, CoverageField>();
    this.fieldsByRule = rules.map((rule) => ({
      rule,
      fields: fieldsOf(ruleSet, rule).map((field) => {
        let tracked = byField.get(field);
        if (!tracked) {
          tracked = { field, seen: false };
          byField.set(field, tracked);
        }
        return tracked;
      }),
    }));
    this.fields = [...byField.values()];
    this.fieldCoverage = new FieldCoverage(this.fields);
  }

  /** One parsed input item. `source`/`line` say where it came from, for the malformed report. */
  processItem(raw: unknown, source: string, line: number): void {
    this.itemsRead++;
    const normalized = normalizeEvent(raw);
    if ('error' in normalized) {
      this.malformed(source, line, `not a log event: ${normalized.error}`);
      return;
    }
    const event = normalized.event;
    this.eventsEvaluated++;
    if (this.fieldCoverage.pending) this.fieldCoverage.observe(event);
    const matches = this.ruleSet.match(event, this.report);
    if (this.report.failures.length > 0) this.recordFailures();
    if (this.matchedSink) {
      if (matches.length > 0) this.matchedSink(matches, line);
      return;
    }
    this.processMatches(event, matches);
  }

  /** What follows matching: detections of the rules that alert, and the event queued for the observers that want it. */
  processMatches(event: NormalizedEvent, matches: readonly RuleMatch[]): void {
    for (let i = 0; i < matches.length; i++) {
      const match = matches[i];
      if (match.rule.alerts) this.output(buildDetection(match, event));
      else this.silentMatchesByRule.set(match.rule.id, (this.silentMatchesByRule.get(match.rule.id) ?? 0) + 1);
    }
    for (let i = 0; i < this.observers.length; i++) {
      if (this.observers[i].wants(matches)) {
        this.queue.push({ event, matches });
        break;
      }
    }
  }

  /** Hands the queued events to the observers (call at the end of each input chunk). */
  async flush(): Promise<void> {
    if (this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    for (const observer of this.observers) this.outputAll(await observer.process(batch));
  }

  /** An item that could not be parsed as JSON. */
  processUnparsable(source: string, line: number, message: string): void {
    this.itemsRead++;
    this.malformed(source, line, message);
  }

  /** A remark on the input's structure that loses no event. */
  noteInput(source: string, line: number, message: string): void {
    this.inputNotes.push({ source, line, message });
  }

  /** End of all input: lets observers close what is still open. */
  async finish(): Promise<void> {
    await this.flush();
    for (const observer of this.observers) this.outputAll(await observer.end());
  }

  /** The summary figures gathered since the last call (a worker's part of a file), which are then reset. */
  takePartSummary(): PartSummary {
    const summary: PartSummary = {
      itemsRead: this.itemsRead,
      malformedCount: this.malformedCount,
      eventsEvaluated: this.eventsEvaluated,
      malformed: this.malformedShown.map(({ line, message }) => ({ line, message })),
      failures: [...this.failuresByRule].map(([id, { count, reasons }]) => [id, count, [...reasons]]),
      budgetExceededEvents: this.budgetExceededEvents,
      seenFields: this.fields.flatMap((f, i) => (f.seen ? [i] : [])),
    };
    this.itemsRead = 0;
    this.malformedCount = 0;
    this.eventsEvaluated = 0;
    this.malformedShown.length = 0;
    this.failuresByRule.clear();
    this.budgetExceededEvents = 0;
    return summary;
  }

  /** Adds a part's figures, in file order; `lineOffset` turns its line numbers into the file's. */
  addPartSummary(part: PartSummary, source: string, lineOffset: number): void {
    this.itemsRead += part.itemsRead;
    this.eventsEvaluated += part.eventsEvaluated;
    for (const { line, message } of part.malformed) this.malformed(source, line + lineOffset, message);
    // Only the first malformed items were sent; the rest are counted (malformed() counted the ones sent).
    this.malformedCount += part.malformedCount - part.malformed.length;
    this.budgetExceededEvents += part.budgetExceededEvents;
    for (const [ruleId, count, reasons] of part.failures) {
      let entry = this.failuresByRule.get(ruleId);
      if (!entry) this.failuresByRule.set(ruleId, (entry = { count: 0, reasons: new Map() }));
      entry.count += count;
      for (const [reason, n] of reasons) entry.reasons.set(reason, (entry.reasons.get(reason) ?? 0) + n);
    }
    if (this.fieldCoverage.pending && part.seenFields.length > 0) {
      for (const i of part.seenFields) this.fields[i].seen = true;
      this.fieldCoverage.refresh();
    }
  }

  /** Per rule, the fields it reads that never appeared in any event (rules with none are left out). */
  coverage(): RuleCoverage[] {
    const out: RuleCoverage[] = [];
    for (const { rule, fields } of this.fieldsByRule) {
      const missing = fields.filter((f) => !f.seen).map((f) => f.field);
      if (missing.length > 0) out.push({ rule, missing });
    }
    return out;
  }

  private recordFailures(): void {
    if (this.report.budgetExceeded) this.budgetExceededEvents++;
    for (const { ruleId, reason } of this.report.failures) {
      let entry = this.failuresByRule.get(ruleId);
      if (!entry) this.failuresByRule.set(ruleId, (entry = { count: 0, reasons: new Map() }));
      entry.count++;
      entry.reasons.set(reason, (entry.reasons.get(reason) ?? 0) + 1);
    }
  }

  private outputAll(detections: readonly Detection[]): void {
    for (const d of detections) this.output(d);
  }

  private output(detection: Detection): void {
    this.detectionsTotal++;
    this.detectionsByRule.set(detection.rule.id, (this.detectionsByRule.get(detection.rule.id) ?? 0) + 1);
    this.emit(detection);
  }

  private malformed(source: string, line: number, message: string): void {
    this.malformedCount++;
    if (this.malformedShown.length < MALFORMED_REPORT_LIMIT) this.malformedShown.push({ source, line, message });
  }
}

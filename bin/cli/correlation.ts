// Correlation rules in `scan`: the engine's Correlator over the memory store, as a pipeline observer.
// Windows whose condition is decided at close are closed as event time passes (with a margin of the longest
// correlation timespan, so events arriving out of order by less than that are still counted) and at end of input.

import { Correlator, eventTime } from '../../lambda/sigma/correlation';
import { MemoryCorrelationStore } from '../../lambda/sigma/correlation-store';
import type { RuleMatch } from '../../lambda/sigma/ruleset';
import type { Detection, RuleSetModel } from '../../lambda/sigma/types';
import type { EventObserver, ObservedEvent } from './scan-pipeline';

export class CorrelationObserver implements EventObserver {
  private readonly referenced: Set<string>;
  private readonly lateness: number;
  private maxTime = -Infinity;

  constructor(
    private readonly correlator: Correlator,
    model: RuleSetModel,
    private readonly store?: MemoryCorrelationStore,
  ) {
    this.referenced = new Set(correlator.referencedRuleIds());
    this.lateness = Math.max(0, ...model.rules.map((r) => r.correlation?.timespanMs ?? 0));
  }

  wants(matches: readonly RuleMatch[]): boolean {
    for (let i = 0; i < matches.length; i++) if (this.referenced.has(matches[i].rule.id)) return true;
    return false;
  }

  async process(batch: readonly ObservedEvent[]): Promise<readonly Detection[]> {
    // The memory store's synchronous path takes the whole batch without a Promise per event.
    if (this.correlator.synchronous) return this.processSync(batch);
    const out: Detection[] = [];
    for (const { event, matches } of batch) {
      for (const d of await this.correlator.processEvent(event, matches)) out.push(d);
      this.advance(event);
    }
    if (this.maxTime > -Infinity) for (const d of await this.correlator.closeWindows(this.maxTime - this.lateness)) out.push(d);
    return out;
  }

  private processSync(batch: readonly ObservedEvent[]): Detection[] {
    const out: Detection[] = [];
    for (const { event, matches } of batch) {
      for (const d of this.correlator.processEventSync(event, matches)) out.push(d);
      this.advance(event);
    }
    if (this.maxTime > -Infinity) for (const d of this.correlator.closeWindowsSync(this.maxTime - this.lateness)) out.push(d);
    return out;
  }

  /** Event time seen so far: windows close a longest timespan behind it. */
  private advance(event: ObservedEvent['event']): void {
    const time = eventTime(event);
    if (time !== undefined && time > this.maxTime) this.maxTime = time;
  }

  async end(): Promise<readonly Detection[]> {
    return this.correlator.synchronous ? this.correlator.closeWindowsSync(Infinity) : this.correlator.closeWindows(Infinity);
  }

  /** Lines for the scan summary: what the correlation engine counted and ignored. */
  summary(): string[] {
    const s = this.correlator.stats();
    const lines = [`correlation: ${s.correlatedEvents} events fed to correlations, ${s.detections} correlation detections`];
    if (s.invalidDate > 0) lines.push(`correlation: ${s.invalidDate} events ignored by correlations: no valid data.date`);
    if (s.nonNumeric > 0) lines.push(`correlation: ${s.nonNumeric} events without a numeric value for a value_sum/avg/percentile field`);
    if (s.outOfRange > 0) lines.push(`correlation: ${s.outOfRange} values skipped: outside what correlation state can store (see docs/threat-model.md)`);
    if (s.stateErrors > 0) lines.push(`correlation: ${s.stateErrors} correlation state updates failed; those rules missed the event, other rules were unaffected`);
    if (s.saturatedWindows > 0) lines.push(`correlation: ${s.saturatedWindows} value_count windows reached the distinct-value cap (their value is a lower bound)`);
    const memory = this.store?.limitStats();
    if (memory && memory.evictedGroups > 0) {
      lines.push(
        `correlation: memory limit reached: ${memory.evictedGroups} groups dropped (least recently fed first; limits ${memory.maxGroups} groups, ` +
          `${formatMiB(memory.maxBytes)}); correlations over them may have missed detections: raise --max-correlation-groups / --max-correlation-memory, or scan smaller time ranges`,
      );
    }
    return lines;
  }

  get warnings(): readonly string[] {
    return this.correlator.warnings;
  }
}

export interface CorrelationMemoryLimits {
  maxGroups?: number;
  maxBytes?: number;
  /** Told once, when a limit is first reached (scan prints it as a warning at once). */
  onLimitReached?: (message: string) => void;
}

/** The observer for the rule set's correlations, or none when it has no correlation rule. */
export function createCorrelationObserver(model: RuleSetModel, limits: CorrelationMemoryLimits = {}): CorrelationObserver | undefined {
  const store = new MemoryCorrelationStore({
    maxGroups: limits.maxGroups,
    maxBytes: limits.maxBytes,
    onLimitReached: (limit, s) => {
      const stats = s.limitStats();
      const what = limit === 'groups' ? `${stats.maxGroups} groups (--max-correlation-groups)` : `${formatMiB(stats.maxBytes)} of state (--max-correlation-memory)`;
      limits.onLimitReached?.(
        `correlation state reached ${what}: from now on the least recently fed groups are dropped to make room; ` +
          'a dropped group starts again from zero, so a correlation over it may miss a detection (counted in the summary)',
      );
    },
  });
  const correlator = new Correlator(model.rules, store);
  return correlator.active ? new CorrelationObserver(correlator, model, store) : undefined;
}

function formatMiB(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(bytes % (1024 * 1024) === 0 ? 0 : 1)} MiB`;
}

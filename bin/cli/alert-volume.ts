// Alert volume before deploy: `scan` counts detections per rule per day of log time (the detection's date: the
// event's `data.date`, or when a correlation fired) and flags the rules that would send more than a threshold a day as noisy, so a user
// scanning a week of exported logs sees what a rule set would send before deploying it.

import type { Command } from 'commander';
import type { Detection } from '../../lambda/sigma/types';
import { integerOption } from './limits';
import { printable } from './io';
import { parseIsoTime } from '../../lambda/sigma/iso-time';

export const DEFAULT_NOISY_THRESHOLD = 20;
/** Detections without a usable date are counted under this day. */
export const UNDATED = 'undated';
/** Dates come from logs (attacker-written): past this many distinct days a rule's further days share one bucket. */
export const MAX_DAYS_PER_RULE = 1000;
/** The bucket for days past MAX_DAYS_PER_RULE. */
export const OTHER_DAYS = 'other days';
/** Days printed per rule in the text summary; the JSON summary has them all. */
const DAYS_SHOWN = 14;

export interface AlertVolumeOptions {
  /** --noisy-threshold: detections a day above which a rule is noisy. */
  noisyThreshold?: number;
}

export function addAlertVolumeOptions(cmd: Command): Command {
  return cmd.option(
    '--noisy-threshold <n>',
    `flag a rule as noisy when it gives more than n detections on one day of log time (default ${DEFAULT_NOISY_THRESHOLD})`,
    integerOption(1, 1_000_000_000),
  );
}

export interface RuleVolume {
  ruleId: string;
  title: string;
  level: string;
  total: number;
  /** Day (YYYY-MM-DD, UTC, of log time) → detections. */
  perDay: Record<string, number>;
  /** The busiest day's count. */
  peak: number;
  noisy: boolean;
}

export interface AlertVolumeSummary {
  threshold: number;
  days: string[];
  rules: RuleVolume[];
  /** Ids of the noisy rules, busiest first. */
  noisy: string[];
}

const DAY_MS = 86_400_000;
// The last day computed: detections mostly come in log order, so most fall on the day before them.
let lastDayStart = NaN;
let lastDay = '';

/** The UTC day of an ISO date, or undefined when it is not one. */
function dayOf(date: unknown): string | undefined {
  if (typeof date !== 'string' || date.length > 64) return undefined;
  const t = parseIsoTime(date);
  if (!Number.isFinite(t)) return undefined;
  if (t >= lastDayStart && t < lastDayStart + DAY_MS) return lastDay;
  lastDayStart = t - (((t % DAY_MS) + DAY_MS) % DAY_MS);
  lastDay = new Date(lastDayStart).toISOString().slice(0, 10);
  return lastDay;
}

/** Counts detections by rule and day; one per detection emitted. Memory: rules × days. */
export class AlertVolume {
  private readonly byRule = new Map<string, { title: string; level: string; perDay: Map<string, number> }>();

  constructor(readonly threshold: number = DEFAULT_NOISY_THRESHOLD) {}

  add(d: Detection): void {
    // A correlation's date is when it fired (the event that made it true, or the window's close).
    let day = dayOf(d.date ?? d.correlation?.window.end) ?? UNDATED;
    let entry = this.byRule.get(d.rule.id);
    if (!entry) this.byRule.set(d.rule.id, (entry = { title: d.rule.title, level: d.rule.level, perDay: new Map() }));
    if (!entry.perDay.has(day) && entry.perDay.size >= MAX_DAYS_PER_RULE) day = OTHER_DAYS;
    entry.perDay.set(day, (entry.perDay.get(day) ?? 0) + 1);
  }

  summary(): AlertVolumeSummary {
    const days = new Set<string>();
    const rules: RuleVolume[] = [];
    for (const [ruleId, e] of this.byRule) {
      let total = 0;
      let peak = 0;
      for (const [day, n] of e.perDay) {
        days.add(day);
        total += n;
        // The overflow bucket merges many days: its sum is no day's count.
        if (day !== OTHER_DAYS) peak = Math.max(peak, n);
      }
      const perDay = Object.fromEntries([...e.perDay].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
      rules.push({ ruleId, title: e.title, level: e.level, total, perDay, peak, noisy: peak > this.threshold });
    }
    rules.sort((a, b) => b.peak - a.peak || b.total - a.total || (a.ruleId < b.ruleId ? -1 : 1));
    return { threshold: this.threshold, days: [...days].sort(), rules, noisy: rules.filter((r) => r.noisy).map((r) => r.ruleId) };
  }
}

/** The text summary: one line per rule with its daily counts, noisy rules marked, then a verdict line. */
export function formatAlertVolume(s: AlertVolumeSummary): string[] {
  if (s.rules.length === 0) return [];
  const lines = [`detections per rule per day of log time (${s.days.length} day${s.days.length === 1 ? '' : 's'}: ${s.days[0]}${s.days.length > 1 ? ` .. ${s.days[s.days.length - 1]}` : ''}):`];
  for (const r of s.rules) {
    const entries = Object.entries(r.perDay);
    const shown = entries.slice(0, DAYS_SHOWN).map(([day, n]) => `${day} ${n}`);
    if (entries.length > DAYS_SHOWN) shown.push(`… ${entries.length - DAYS_SHOWN} more days (--format json lists them all)`);
    const days = shown.join(', ');
    lines.push(`  ${r.noisy ? 'NOISY' : '     '} ${String(r.peak).padStart(7)}/day max  ${printable(r.title)} (${printable(r.ruleId)}): ${days}`);
  }
  lines.push(s.noisy.length === 0
    ? `no rule gives more than ${s.threshold} detections a day`
    : `${s.noisy.length} noisy rule${s.noisy.length === 1 ? '' : 's'} (more than ${s.threshold} detections on some day): tune them (threshold, filter, override) before deploying; --noisy-threshold sets the limit`);
  return lines;
}

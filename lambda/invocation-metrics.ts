// Counters the dashboard shows that no single stage owns: storm-control suppressions (kept by the exactly-once
// sinks) and correlation windows opened (kept by the correlator). Read before and after an invocation; the
// difference is counted once per invocation.

import type { DetectionSink, Telemetry } from './pipeline-types';
import { ExactlyOnceSink } from './reliability/exactly-once-sink';
import type { Correlator } from './sigma/correlation';

export interface InvocationCounters {
  suppressed: number;
  windowsOpened: number;
  /** Correlation values skipped as unstorable plus state writes that failed (each contained to its rule). */
  correlationFailures: number;
}

export function readCounters(sinks: readonly DetectionSink[] | undefined, correlator: Pick<Correlator, 'stats'> | undefined): InvocationCounters {
  let suppressed = 0;
  for (const sink of sinks ?? []) if (sink instanceof ExactlyOnceSink) suppressed += sink.stats.suppressed;
  const stats = correlator?.stats();
  return {
    suppressed,
    windowsOpened: stats?.windowsOpened ?? 0,
    correlationFailures: stats ? stats.outOfRange + stats.stateErrors : 0,
  };
}

/** Counts what changed since `before` (nothing is written for a zero). */
export function countSince(telemetry: Telemetry, before: InvocationCounters, after: InvocationCounters): void {
  const suppressed = after.suppressed - before.suppressed;
  if (suppressed > 0) telemetry.count('NotificationsSuppressed', suppressed);
  const opened = after.windowsOpened - before.windowsOpened;
  if (opened > 0) telemetry.count('CorrelationWindowsOpened', opened);
  const failures = after.correlationFailures - before.correlationFailures;
  if (failures > 0) telemetry.count('CorrelationFailures', failures);
}

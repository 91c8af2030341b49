// The per-invocation counts the dashboard shows: storm-control suppressions (from the exactly-once sinks) and
// correlation windows opened (from the correlator), counted as the difference over one invocation.

import { countSince, readCounters } from '../../lambda/invocation-metrics';
import type { DetectionSink } from '../../lambda/pipeline-types';
import { ExactlyOnceSink } from '../../lambda/reliability/exactly-once-sink';
import type { DeliveryLedger } from '../../lambda/reliability/ledger';
import type { Correlator } from '../../lambda/sigma/correlation';
import { RecordingTelemetry } from './detector-fixtures';

const inner: DetectionSink = { name: 'sns', deliver: async () => undefined };

test('suppressions of every exactly-once sink and windows opened are counted once, as the difference', () => {
  const sns = new ExactlyOnceSink(inner, {} as DeliveryLedger);
  const chat = new ExactlyOnceSink({ ...inner, name: 'chat' }, {} as DeliveryLedger);
  let opened = 4;
  let outOfRange = 1;
  let stateErrors = 0;
  const correlator = { stats: () => ({ windowsOpened: opened, outOfRange, stateErrors }) } as unknown as Correlator;
  sns.stats.suppressed = 2;
  const before = readCounters([sns, chat, inner], correlator);
  expect(before).toEqual({ suppressed: 2, windowsOpened: 4, correlationFailures: 1 });

  sns.stats.suppressed += 3;
  chat.stats.suppressed += 1;
  opened += 2;
  outOfRange += 2;
  stateErrors += 1;
  const telemetry = new RecordingTelemetry();
  countSince(telemetry, before, readCounters([sns, chat, inner], correlator));
  expect(telemetry.counts).toEqual([
    { metric: 'NotificationsSuppressed', value: 4, dimensions: undefined },
    { metric: 'CorrelationWindowsOpened', value: 2, dimensions: undefined },
    { metric: 'CorrelationFailures', value: 3, dimensions: undefined },
  ]);
});

test('nothing changed, or no sinks and no correlator: nothing is counted', () => {
  const telemetry = new RecordingTelemetry();
  const counters = readCounters(undefined, undefined);
  expect(counters).toEqual({ suppressed: 0, windowsOpened: 0, correlationFailures: 0 });
  countSince(telemetry, counters, readCounters([inner], undefined));
  expect(telemetry.counts).toEqual([]);
});

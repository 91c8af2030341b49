// `npm run soak [-- --scan-events N] [--handler-events N] [--rules N] [--json]`
//
// Memory soak, in one process each:
//  1. scan's pipeline (normalize → match → detections, correlations on the memory store) over 1,000,000
//     generated Auth0 events with 1000 generated rules (one in eight a correlation);
//  2. the Lambda handler runtime (engine → SNS message building → SNS publish → EventBridge PutEvents, the AWS
//     clients mocked with aws-sdk-client-mock) over 100,000 events, one invocation per event as Lambda does.
// Heap and RSS are sampled (after a forced GC) every `--every` events. Once state has reached its steady size the
// heap must stay flat: the largest later sample may exceed the sample at that point by at most the bound printed.
// Steady size: the handler keeps nothing per event (after 10 % of the events); scan's correlation state holds
// each group until about three of its timespans of event time have passed (the window, the expiry margin and
// scan's lateness allowance), which for the generated rules (timespans up to 1 h, 50 events/s of event time) is
// reached after about 560,000 events: scan is judged from 60 % of the events on.
// Exit code 1 when a bound is broken. Run with --expose-gc (the npm script does) for meaningful samples.

import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { CorrelationObserver } from '../bin/cli/correlation';
import { Correlator } from '../lambda/sigma/correlation';
import { MemoryCorrelationStore } from '../lambda/sigma/correlation-store';
import { ScanPipeline } from '../bin/cli/scan-pipeline';
import { createRuntime, runInvocation } from '../lambda/handler';
import type { LoggerLike, MetricName, Telemetry } from '../lambda/pipeline-types';
import { loadRulesFromText } from '../lambda/sigma/loader';
import { CompiledRuleSet } from '../lambda/sigma/ruleset';
import type { RuleSetModel } from '../lambda/sigma/types';
import { generateCorpus } from './bench/corpus';
import { generateRuleSet } from './bench/rules';

interface Args {
  scanEvents: number;
  handlerEvents: number;
  rules: number;
  every: number;
  json: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { scanEvents: 1_000_000, handlerEvents: 100_000, rules: 1000, every: 50_000, json: false };
  for (let i = 0; i < argv.length; i++) {
    const next = (): number => {
      const n = Number(argv[++i]);
      if (!Number.isInteger(n) || n <= 0) throw new Error(`${argv[i - 1]} needs a positive integer`);
      return n;
    };
    switch (argv[i]) {
      case '--scan-events': args.scanEvents = next(); break;
      case '--handler-events': args.handlerEvents = next(); break;
      case '--rules': args.rules = next(); break;
      case '--every': args.every = next(); break;
      case '--json': args.json = true; break;
      default: throw new Error(`unknown option ${argv[i]} (use --scan-events N, --handler-events N, --rules N, --every N, --json)`);
    }
  }
  return args;
}

interface Sample {
  events: number;
  heapMB: number;
  rssMB: number;
  extra?: Record<string, number>;
}

const gc = (globalThis as { gc?: () => void }).gc;
function sample(events: number, extra?: Record<string, number>): Sample {
  gc?.();
  const m = process.memoryUsage();
  return { events, heapMB: round(m.heapUsed / 2 ** 20), rssMB: round(m.rss / 2 ** 20), extra };
}
const round = (n: number): number => Math.round(n * 10) / 10;

interface Verdict {
  name: string;
  events: number;
  seconds: number;
  eventsPerSecond: number;
  samples: Sample[];
  warmHeapMB: number;
  maxHeapAfterWarmMB: number;
  growthMB: number;
  boundMB: number;
  ok: boolean;
  notes: string[];
}

function verdict(name: string, events: number, seconds: number, samples: Sample[], boundMB: number, steadyFrom: number, notes: string[]): Verdict {
  const warmIndex = samples.findIndex((s) => s.events >= events * steadyFrom);
  const warm = samples[Math.max(0, warmIndex)];
  const later = samples.filter((s) => s.events > warm.events);
  const maxLater = Math.max(warm.heapMB, ...later.map((s) => s.heapMB));
  const growth = round(maxLater - warm.heapMB);
  return {
    name, events, seconds: round(seconds), eventsPerSecond: Math.round(events / seconds), samples,
    warmHeapMB: warm.heapMB, maxHeapAfterWarmMB: maxLater, growthMB: growth, boundMB, ok: growth <= boundMB, notes,
  };
}

function generatedModel(rules: number): { model: RuleSetModel; correlations: number } {
  const generated = generateRuleSet(rules);
  const loaded = loadRulesFromText([{ file: 'soak-rules.yml', text: generated.text }], { placeholders: generated.placeholders });
  const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) throw new Error(`generated rules did not load: ${errors[0].message}`);
  return { model: loaded.model, correlations: generated.correlationRules };
}

async function soakScan(args: Args): Promise<Verdict> {
  const { model, correlations } = generatedModel(args.rules);
  const ruleSet = new CompiledRuleSet(model);
  // What scan builds (createCorrelationObserver), with the store kept at hand to count its groups.
  const store = new MemoryCorrelationStore();
  const observer = new CorrelationObserver(new Correlator(model.rules, store), model);
  let detections = 0;
  const pipeline = new ScanPipeline(ruleSet, model.rules, () => {
    detections++;
  }, [observer]);
  const samples: Sample[] = [sample(0)];
  const start = process.hrtime.bigint();
  let i = 0;
  for (const event of generateCorpus({ count: args.scanEvents, seed: 11 })) {
    pipeline.processItem(event, 'soak', ++i);
    // scan hands queued events to the correlation observer once per input chunk; 1000 events is a chunk here.
    if (i % 1000 === 0) await pipeline.flush();
    if (i % args.every === 0) samples.push(sample(i, { detections, groups: store.groupCount() }));
  }
  await pipeline.finish();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  samples.push(sample(i, { detections, groups: store.groupCount() }));
  return verdict('scan', i, seconds, samples, 16, 0.6, [
    `${model.rules.length} rules (${correlations} correlations), ${detections} detections, ${pipeline.malformedCount} malformed`,
    'bound 16 MB after 60 % of the events: correlation groups expire about three timespans (≤ 3 h of event time, ~560,000 events) after their last event',
  ]);
}

class CountingTelemetry implements Telemetry {
  readonly totals = new Map<MetricName, number>();
  readonly logger: LoggerLike = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
  count(metric: MetricName, value = 1): void {
    this.totals.set(metric, (this.totals.get(metric) ?? 0) + value);
  }
  flush(): void {}
}

async function soakHandler(args: Args): Promise<Verdict> {
  const { model } = generatedModel(args.rules);
  // Correlation rules need the DynamoDB table; the handler soak measures the engine and notification path.
  const detectionOnly: RuleSetModel = { ...model, rules: model.rules.filter((r) => r.kind === 'detection').map((r) => ({ ...r, alerts: true })) };
  const sns = mockClient(SNSClient);
  const eventBridge = mockClient(EventBridgeClient);
  sns.on(PublishCommand).resolves({ MessageId: 'm' });
  eventBridge.on(PutEventsCommand).callsFake((input: { Entries?: unknown[] }) => ({ FailedEntryCount: 0, Entries: (input.Entries ?? []).map(() => ({ EventId: 'e' })) }));
  const telemetry = new CountingTelemetry();
  const runtime = createRuntime(
    { SIGMA_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:soak', SIGMA_DETECTION_BUS: 'arn:aws:events:eu-west-1:123456789012:event-bus/default', SIGMA_AUTH0_DOMAIN: 'bench-tenant.eu.auth0.com' },
    { model: detectionOnly, telemetry, snsClient: new SNSClient({ region: 'eu-west-1' }), eventBridgeClient: new EventBridgeClient({ region: 'eu-west-1' }) },
  );
  const samples: Sample[] = [sample(0)];
  const start = process.hrtime.bigint();
  let i = 0;
  let publishes = 0;
  for (const event of generateCorpus({ count: args.handlerEvents, seed: 12 })) {
    // The EventBridge envelope, one event per invocation: what Lambda receives.
    await runInvocation(runtime, { version: '0', 'detail-type': 'Auth0 log', source: 'aws.partner/auth0.com/bench/auth0.logs', detail: event });
    if (++i % args.every === 0 || i % 10_000 === 0) {
      // The mock keeps every call for inspection; drop that history so only the detector's memory is measured.
      publishes += sns.commandCalls(PublishCommand).length;
      sns.resetHistory();
      eventBridge.resetHistory();
      if (i % Math.min(args.every, 10_000) === 0) samples.push(sample(i, { detections: (telemetry.totals.get('Detections') ?? 0) / 2 }));
    }
  }
  publishes += sns.commandCalls(PublishCommand).length;
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  sns.restore();
  eventBridge.restore();
  const detections = (telemetry.totals.get('Detections') ?? 0) / 2; // counted once per level and once per rule
  return verdict('handler', i, seconds, samples, 16, 0.1, [
    `${detectionOnly.rules.length} detection rules, ${detections} detections, ${publishes} SNS publishes, ${telemetry.totals.get('PublishFailures') ?? 0} publish failures`,
    'bound 16 MB: the handler keeps nothing per event; the field-path cache is capped at 10,000 entries',
  ]);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (!gc) process.stderr.write('soak: run with node --expose-gc (npm run soak does) for exact heap samples\n');
  const results = [await soakScan(args), await soakHandler(args)];
  if (args.json) {
    process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  } else {
    for (const r of results) {
      process.stdout.write(`\n${r.name}: ${r.events} events in ${r.seconds} s (${r.eventsPerSecond}/s)\n`);
      for (const note of r.notes) process.stdout.write(`  ${note}\n`);
      process.stdout.write('  events      heap MB   RSS MB   extra\n');
      for (const s of r.samples) {
        process.stdout.write(`  ${String(s.events).padStart(9)}  ${String(s.heapMB).padStart(8)}  ${String(s.rssMB).padStart(7)}   ${s.extra ? JSON.stringify(s.extra) : ''}\n`);
      }
      process.stdout.write(`  heap at steady state ${r.warmHeapMB} MB, max later ${r.maxHeapAfterWarmMB} MB, growth ${r.growthMB} MB (bound ${r.boundMB} MB): ${r.ok ? 'FLAT' : 'GROWING'}\n`);
    }
  }
  process.exitCode = results.every((r) => r.ok) ? 0 : 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`soak: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 2;
});

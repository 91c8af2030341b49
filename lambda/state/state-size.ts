// The size of the state table, published by the sweep for the dashboard's "Correlation state size" graph
// (docs/channels.md#the-cloudwatch-dashboard).
//
// - StateTableItems, StateTableBytes: DescribeTable's ItemCount and TableSizeBytes, for the whole table
//   (correlation buckets, alert-once markers, the window index, the delivery ledger, the outbox, storm counters).
//   DynamoDB refreshes them about every six hours, so they show growth, not the last minutes. Counting exactly
//   would take a Scan of the whole table, billed per 4 KB read, every time: far more than the state costs. The
//   sweep reads none of that anyway (it queries only the due part of the window index and two small partitions),
//   and the group items cannot be attributed to a tenant without reading them (their keys hold a hash).
// - CorrelationWindowsOpen: the at-close windows waiting for the sweep, exact, in total and per tenant (the one
//   kind of state item that records its tenant). Read from the window index, a few hundred bytes per window,
//   at most `maxPages` pages of 1 MB (past that: not published, and logged).
// Measured on runs whose minute is a multiple of `everyMinutes` (the dashboard's 5-minute period), so the reads
// cost a fifth of a per-minute count. A failure is logged and never fails the sweep.

import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { clientOf, dynamoDbSdk, type ClientSource } from '../aws-clients';
import type { Telemetry } from '../pipeline-types';
import { DynamoDbCorrelationStore } from './dynamodb-store';

export interface StateSizeOptions {
  client: ClientSource<DynamoDBClient>;
  tableName: string;
  /** The configured tenant names: each gets its own series (others are counted in the total only). */
  tenants?: readonly string[];
  /** Measure when the run's minute (epoch minutes) is a multiple of this. Default 5. */
  everyMinutes?: number;
  /** Pages of 1 MB of the window index read at most. Default 16 (tens of thousands of windows). */
  maxPages?: number;
}

export interface StateSize {
  items?: number;
  bytes?: number;
  /** Undefined when the index was too large to count. */
  openWindows?: { total: number; byTenant: Record<string, number> };
}

export class StateSizeProbe {
  private readonly everyMinutes: number;
  private readonly maxPages: number;
  private readonly store: DynamoDbCorrelationStore;

  constructor(private readonly options: StateSizeOptions) {
    this.everyMinutes = options.everyMinutes ?? 5;
    this.maxPages = options.maxPages ?? 16;
    if (!Number.isInteger(this.everyMinutes) || this.everyMinutes < 1) throw new Error(`everyMinutes must be a positive integer (got ${this.everyMinutes})`);
    this.store = new DynamoDbCorrelationStore({ client: options.client, tableName: options.tableName });
  }

  /** Whether a run at `now` measures (epoch ms). */
  due(now: number): boolean {
    return Math.floor(now / 60_000) % this.everyMinutes === 0;
  }

  async measure(): Promise<StateSize> {
    const described = await clientOf(this.options.client).send(new (dynamoDbSdk().DescribeTableCommand)({ TableName: this.options.tableName }));
    const size: StateSize = { items: described.Table?.ItemCount, bytes: described.Table?.TableSizeBytes };
    const counts = await this.store.countOpenWindows(this.maxPages);
    if (counts) {
      const byTenant: Record<string, number> = {};
      for (const tenant of this.options.tenants ?? []) byTenant[tenant] = counts.get(tenant) ?? 0;
      size.openWindows = { total: [...counts.values()].reduce((a, b) => a + b, 0), byTenant };
    }
    return size;
  }

  /** On due runs: measures and publishes the gauges; logs (never throws) when it cannot. */
  async publish(now: number, telemetry: Telemetry): Promise<StateSize | undefined> {
    if (!this.due(now) || !telemetry.gauge) return undefined;
    let size: StateSize;
    try {
      size = await this.measure();
    } catch (err) {
      telemetry.logger.warn('could not measure the state table', { error: err instanceof Error ? `${err.name}: ${err.message}`.slice(0, 300) : 'unknown' });
      return undefined;
    }
    if (size.items !== undefined) telemetry.gauge('StateTableItems', size.items, 'Count');
    if (size.bytes !== undefined) telemetry.gauge('StateTableBytes', size.bytes, 'Bytes');
    if (size.openWindows) {
      telemetry.gauge('CorrelationWindowsOpen', size.openWindows.total, 'Count');
      for (const [tenant, n] of Object.entries(size.openWindows.byTenant)) telemetry.gauge('CorrelationWindowsOpen', n, 'Count', { Tenant: tenant });
    } else {
      telemetry.logger.warn('window index too large to count this run', { maxPages: this.maxPages });
    }
    return size;
  }
}

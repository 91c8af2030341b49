// The state table's size for the dashboard (lambda/state/state-size.ts): the sweep publishes DescribeTable's item
// count and bytes and the exact number of at-close windows waiting, in total and per tenant, on runs whose minute
// is a multiple of five; on dynalite (a real DynamoDB API), and with aws-sdk-client-mock for the failure paths.

import { DescribeTableCommand, DynamoDBClient, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import type { MetricName } from '../../lambda/pipeline-types';
import { DynamoDbCorrelationStore } from '../../lambda/state/dynamodb-store';
import { StateSizeProbe } from '../../lambda/state/state-size';
import { createSweepRuntime, runSweep } from '../../lambda/sweep';
import type { OpenWindow } from '../../lambda/sigma/correlation-store';
import { startDynalite, type LocalDynamo } from '../helpers/dynalite';
import { RecordingTelemetry, seedModel } from './detector-fixtures';

class GaugeTelemetry extends RecordingTelemetry {
  readonly gauges: { metric: MetricName; value: number; unit: string; dimensions?: Record<string, string> }[] = [];

  gauge(metric: MetricName, value: number, unit: 'Count' | 'Bytes', dimensions?: Record<string, string>): void {
    this.gauges.push({ metric, value, unit, dimensions });
  }
}

/** 10:15:00 UTC: a run that measures (minute 615 of the day, a multiple of 5); 10:16 does not. */
const DUE = Date.parse('2026-11-20T10:15:00.000Z');
const NOT_DUE = Date.parse('2026-11-20T10:16:00.000Z');

let local: LocalDynamo;

beforeAll(async () => {
  local = await startDynalite();
});

afterAll(async () => {
  await local?.stop();
});

function window(i: number, tenant?: string): OpenWindow {
  return {
    correlationId: `corr-${i % 3}`, groupKey: JSON.stringify([`user-${i}`]), group: { 'data.user_id': `user-${i}` },
    startBucket: 100 + i, buckets: 10, closeAt: DUE + (i % 2 === 0 ? -60_000 : 3_600_000), ...(tenant === undefined ? {} : { tenant }),
  };
}

/** Opens windows through the store itself (index item + window head), as the detector does. */
async function openWindows(tableName: string, tenants: (string | undefined)[]): Promise<void> {
  const store = new DynamoDbCorrelationStore({ client: local.client, tableName, clock: () => DUE });
  for (let i = 0; i < tenants.length; i++) expect(await store.tryOpenWindow(window(i, tenants[i]), DUE + 86_400_000)).toBe(true);
}

test('exact open windows per configured tenant (due or not), the total with untenanted ones, and the table size', async () => {
  const tableName = await local.createTable();
  // 5 prod, 3 dev, 2 without a tenant, 1 of a tenant no longer configured.
  await openWindows(tableName, ['prod', 'prod', 'dev', 'prod', 'dev', undefined, 'prod', 'dev', undefined, 'prod', 'gone']);
  const telemetry = new GaugeTelemetry();
  const probe = new StateSizeProbe({ client: local.client, tableName, tenants: ['prod', 'dev', 'staging'] });
  const size = await probe.publish(DUE, telemetry);

  const described = await local.client.send(new DescribeTableCommand({ TableName: tableName }));
  // Dynalite, like DynamoDB between its six-hourly refreshes, may report 0: the gauges are DescribeTable's figures
  // as they are (the mocked test below checks non-zero ones pass through).
  expect(described.Table?.ItemCount).toEqual(expect.any(Number));
  expect(size).toEqual({
    items: described.Table?.ItemCount,
    bytes: described.Table?.TableSizeBytes,
    openWindows: { total: 11, byTenant: { prod: 5, dev: 3, staging: 0 } },
  });
  expect(telemetry.gauges).toEqual([
    { metric: 'StateTableItems', value: described.Table!.ItemCount, unit: 'Count', dimensions: undefined },
    { metric: 'StateTableBytes', value: described.Table!.TableSizeBytes, unit: 'Bytes', dimensions: undefined },
    { metric: 'CorrelationWindowsOpen', value: 11, unit: 'Count', dimensions: undefined },
    { metric: 'CorrelationWindowsOpen', value: 5, unit: 'Count', dimensions: { Tenant: 'prod' } },
    { metric: 'CorrelationWindowsOpen', value: 3, unit: 'Count', dimensions: { Tenant: 'dev' } },
    { metric: 'CorrelationWindowsOpen', value: 0, unit: 'Count', dimensions: { Tenant: 'staging' } },
  ]);
});

test('a closed window is no longer counted', async () => {
  const tableName = await local.createTable();
  await openWindows(tableName, ['prod', 'prod']);
  const store = new DynamoDbCorrelationStore({ client: local.client, tableName, clock: () => DUE });
  await store.completeWindow(window(0, 'prod'));
  expect(await store.countOpenWindows(16)).toEqual(new Map([['prod', 1]]));
});

test('through the sweep: published on a run whose minute is a multiple of 5, not on the others', async () => {
  const tableName = await local.createTable();
  await openWindows(tableName, [undefined, undefined, undefined]);
  const run = async (at: number): Promise<GaugeTelemetry> => {
    const telemetry = new GaugeTelemetry();
    const sweep = createSweepRuntime({ SIGMA_CORRELATION_TABLE: tableName }, { model: seedModel(), telemetry, clock: () => at, dynamoDbClient: local.client });
    expect(await runSweep(sweep)).toEqual({ windowsClosed: 0, detections: 0 });
    return telemetry;
  };
  const due = await run(DUE);
  expect(due.gauges.map((g) => [g.metric, g.value])).toEqual([
    ['StateTableItems', expect.any(Number)], ['StateTableBytes', expect.any(Number)], ['CorrelationWindowsOpen', 3],
  ]);
  expect(due.flushes).toBe(1);
  expect((await run(NOT_DUE)).gauges).toEqual([]);
});

test('a sweep without the state table measures nothing', async () => {
  const sweep = createSweepRuntime({}, { model: seedModel(), telemetry: new GaugeTelemetry() });
  expect(sweep.stateSize).toBeUndefined();
});

describe('failures stay contained (aws-sdk-client-mock)', () => {
  // Mocked only here: the tests above use dynalite through a real client.
  let ddb: ReturnType<typeof mockClient>;
  beforeAll(() => {
    ddb = mockClient(DynamoDBClient);
  });
  afterEach(() => ddb.reset());
  afterAll(() => ddb.restore());

  test('DescribeTable denied: a warning, no gauge, no throw', async () => {
    ddb.on(DescribeTableCommand).rejects(Object.assign(new Error('not authorized to perform: dynamodb:DescribeTable'), { name: 'AccessDeniedException' }));
    const telemetry = new GaugeTelemetry();
    expect(await new StateSizeProbe({ client: new DynamoDBClient({}), tableName: 't' }).publish(DUE, telemetry)).toBeUndefined();
    expect(telemetry.gauges).toEqual([]);
    expect(telemetry.lines).toEqual([expect.objectContaining({ level: 'warn', message: 'could not measure the state table', extra: { error: expect.stringContaining('AccessDeniedException') } })]);
  });

  test('an index larger than maxPages: the table size only, and a warning; one page more is never read', async () => {
    ddb.on(DescribeTableCommand).resolves({ Table: { ItemCount: 123_456, TableSizeBytes: 98_765_432 } });
    ddb.on(QueryCommand).resolves({ Items: [{ tn: { S: 'prod' } }], LastEvaluatedKey: { pk: { S: 'W#0' }, sk: { S: 'x' } } });
    const telemetry = new GaugeTelemetry();
    const size = await new StateSizeProbe({ client: new DynamoDBClient({}), tableName: 't', tenants: ['prod'], maxPages: 3 }).publish(DUE, telemetry);
    expect(size).toEqual({ items: 123_456, bytes: 98_765_432 });
    expect(ddb.commandCalls(QueryCommand)).toHaveLength(3);
    for (const call of ddb.commandCalls(QueryCommand)) {
      expect(call.args[0].input).toMatchObject({ TableName: 't', ProjectionExpression: 'tn', KeyConditionExpression: 'pk = :pk' });
      expect(call.args[0].input.ConsistentRead).toBeUndefined();
    }
    expect(telemetry.gauges.map((g) => g.metric)).toEqual(['StateTableItems', 'StateTableBytes']);
    expect(telemetry.lines).toEqual([expect.objectContaining({ level: 'warn', message: 'window index too large to count this run' })]);
    expect(ddb.commandCalls(PutItemCommand)).toHaveLength(0);
  });

  test('not a due minute: no request at all', async () => {
    const telemetry = new GaugeTelemetry();
    expect(await new StateSizeProbe({ client: new DynamoDBClient({}), tableName: 't' }).publish(NOT_DUE, telemetry)).toBeUndefined();
    expect(ddb.calls()).toHaveLength(0);
  });
});

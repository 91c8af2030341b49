// Puts detections on an EventBridge bus: source 'auth0-sigma', detail-type 'Sigma detection', detail = the
// detection JSON. PutEvents takes at most 10 entries and 256 KB per call, and can partly fail
// (FailedEntryCount > 0) while the call itself succeeds; those entries are retried with backoff, and if they
// still fail the error is thrown so Lambda retries the invocation and, in the end, sends it to the DLQ.

import type { EventBridgeClient, PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { clientOf, eventBridgeSdk, type ClientSource } from '../aws-clients';
import type { DetectionItem, DetectionSink } from '../pipeline-types';
import { DETECTION_DETAIL_TYPE, DETECTION_EVENT_SOURCE } from './constants';
import { detectionJson } from './fit-detection';
import { DEFAULT_BACKOFF, retryFailedEntries, type BackoffOptions } from './retry';
import { deliverBatches } from './delivery-error';

export const MAX_ENTRIES_PER_CALL = 10;
export const MAX_BYTES_PER_CALL = 256 * 1024;
/** Per detail, so that a full batch of large detections still splits sensibly. */
const MAX_DETAIL_BYTES = 64 * 1024;

export interface EventBridgeNotifierOptions {
  /** Bus name or ARN. */
  eventBusName: string;
  backoff?: Partial<BackoffOptions>;
}

export class EventBridgeNotifier implements DetectionSink {
  readonly name = 'eventbridge';
  private readonly backoff: BackoffOptions;

  constructor(
    private readonly client: ClientSource<EventBridgeClient>,
    private readonly options: EventBridgeNotifierOptions,
  ) {
    this.backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
  }

  async deliver(items: DetectionItem[]): Promise<void> {
    const entries = items.map((item) => this.entry(item));
    await deliverBatches(this.name, items, batchEntries(entries), (batch) => this.putWithRetry(batch.map((i) => entries[i])));
  }

  private entry(item: DetectionItem): PutEventsRequestEntry {
    return {
      EventBusName: this.options.eventBusName,
      Source: DETECTION_EVENT_SOURCE,
      DetailType: DETECTION_DETAIL_TYPE,
      Detail: detectionJson(item.detection, MAX_DETAIL_BYTES),
    };
  }

  /** Returns the entries (index in `batch` → error) that still failed after every attempt. */
  private putWithRetry(batch: PutEventsRequestEntry[]): Promise<Map<number, string>> {
    return retryFailedEntries(batch.length, this.backoff, async (pending) => {
      // A thrown error (throttled call, network) has already been retried by the SDK: the caller fails the batch.
      const response = await clientOf(this.client).send(new (eventBridgeSdk().PutEventsCommand)({ Entries: pending.map((i) => batch[i]) }));
      const failed = new Map<number, string>();
      if (!response.FailedEntryCount) return failed;
      const results = response.Entries ?? [];
      pending.forEach((index, k) => {
        const result = results[k];
        // A result without an EventId is a failure even when ErrorCode is missing.
        if (!result || result.ErrorCode || !result.EventId) {
          failed.set(index, `${result?.ErrorCode ?? 'NoResult'}: ${result?.ErrorMessage ?? ''}`.slice(0, 300));
        }
      });
      return failed;
    });
  }
}

/** EventBridge's own entry-size formula: Source, DetailType, Detail, Resources, plus 14 bytes for Time. */
export function entrySize(entry: PutEventsRequestEntry): number {
  let size = 14;
  for (const part of [entry.Source, entry.DetailType, entry.Detail]) if (part) size += Buffer.byteLength(part, 'utf8');
  for (const resource of entry.Resources ?? []) size += Buffer.byteLength(resource, 'utf8');
  return size;
}

/** Splits entries (by index) into calls of at most 10 entries and 256 KB. */
export function batchEntries(entries: PutEventsRequestEntry[]): number[][] {
  const batches: number[][] = [];
  let current: number[] = [];
  let bytes = 0;
  entries.forEach((entry, i) => {
    const size = entrySize(entry);
    if (current.length > 0 && (current.length === MAX_ENTRIES_PER_CALL || bytes + size > MAX_BYTES_PER_CALL)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(i);
    bytes += size;
  });
  if (current.length > 0) batches.push(current);
  return batches;
}

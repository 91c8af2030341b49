// Puts detections on an EventBridge bus: source 'auth0-sigma', detail-type 'Sigma detection', detail = the
// detection JSON. PutEvents takes at most 10 entries and 256 KB per call, and can partly fail
// (FailedEntryCount > 0) while the call itself succeeds; those entries are retried with backoff, and if they
// still fail the error is thrown so Lambda retries the invocation and, in the end, sends it to the DLQ.

import type { EventBridgeClient, PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { clientOf, eventBridgeSdk, type ClientSource } from '../aws-clients';
import type { DetectionItem, DetectionSink } from '../pipeline-types';
import { DETECTION_DETAIL_TYPE, DETECTION_EVENT_SOURCE } from './constants';
import { detectionJson } from './fit-detection';
import { backoffDelay, DEFAULT_BACKOFF, sleep, type BackoffOptions } from './retry';
import { DeliveryError, errorText } from './delivery-error';

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
    const failures: { ruleId: string; logId?: string; error: string; index: number }[] = [];
    for (const batch of batchEntries(entries)) {
      let failed: Map<number, string>;
      try {
        failed = await this.putWithRetry(batch.map((i) => entries[i]));
      } catch (err) {
        // A thrown call (throttled, network; the SDK has retried it) fails this batch only: the batches before
        // it were delivered, and the ones after are still tried, so the ledger retries exactly what is missing.
        failed = new Map(batch.map((_, k) => [k, errorText(err)]));
      }
      for (const [k, error] of failed) {
        const item = items[batch[k]];
        failures.push({ ruleId: item.detection.rule.id, logId: item.detection.log_id, error, index: batch[k] });
      }
    }
    if (failures.length > 0) throw new DeliveryError(this.name, failures);
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
  private async putWithRetry(batch: PutEventsRequestEntry[]): Promise<Map<number, string>> {
    let pending = batch.map((_, i) => i);
    const lastError = new Map<number, string>();
    for (let attempt = 0; attempt < this.backoff.maxAttempts && pending.length > 0; attempt++) {
      if (attempt > 0) await (this.backoff.sleep ?? sleep)(backoffDelay(attempt, this.backoff));
      // A thrown error (throttled call, network) has already been retried by the SDK: the caller fails the batch.
      const response = await clientOf(this.client).send(new (eventBridgeSdk().PutEventsCommand)({ Entries: pending.map((i) => batch[i]) }));
      if (!response.FailedEntryCount) return new Map();
      const results = response.Entries ?? [];
      const stillFailing: number[] = [];
      pending.forEach((index, k) => {
        const result = results[k];
        // A result without an EventId is a failure even when ErrorCode is missing.
        if (!result || result.ErrorCode || !result.EventId) {
          stillFailing.push(index);
          lastError.set(index, `${result?.ErrorCode ?? 'NoResult'}: ${result?.ErrorMessage ?? ''}`.slice(0, 300));
        } else lastError.delete(index);
      });
      pending = stillFailing;
    }
    return new Map(pending.map((i) => [i, lastError.get(i) ?? 'failed']));
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

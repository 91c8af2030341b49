// A sink could not deliver some detections: thrown so the invocation fails and Lambda retries it.

import type { DetectionItem } from '../pipeline-types';

export type DeliveryFailure = { ruleId: string; logId?: string; error: string; index?: number };

export class DeliveryError extends Error {
  constructor(
    readonly sink: string,
    /** `index`: position of the failed item in what the sink was given (the delivery ledger retries only those). */
    readonly failures: DeliveryFailure[],
  ) {
    super(`${sink}: ${failures.length} detection(s) not delivered: ${failures.map((f) => `${f.ruleId}/${f.logId ?? '-'}: ${f.error}`).join('; ')}`);
    this.name = 'DeliveryError';
  }
}

export function errorText(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`.slice(0, 300);
  return String(err).slice(0, 300);
}

/** The failure record of `items[index]`. */
export function failureOf(items: readonly DetectionItem[], index: number, error: string): DeliveryFailure {
  const { detection } = items[index];
  return { ruleId: detection.rule.id, logId: detection.log_id, error, index };
}

/**
 * Sends each batch (indexes into `items`) and throws one DeliveryError naming every item that still failed, with
 * `earlier` failures first. A thrown call fails its own batch only: the batches before it were delivered and the
 * ones after are still tried, so the delivery ledger retries exactly what is missing.
 */
export async function deliverBatches(
  sink: string,
  items: readonly DetectionItem[],
  batches: readonly number[][],
  send: (batch: number[]) => Promise<Map<number, string>>,
  earlier: DeliveryFailure[] = [],
): Promise<void> {
  const failures = [...earlier];
  for (const batch of batches) {
    let failed: Map<number, string>;
    try {
      failed = await send(batch);
    } catch (err) {
      failed = new Map(batch.map((_, k) => [k, errorText(err)]));
    }
    for (const [k, error] of failed) failures.push(failureOf(items, batch[k], error));
  }
  if (failures.length > 0) throw new DeliveryError(sink, failures);
}

/**
 * Sends each item on its own (`indexes` into `items`), all attempted even when one fails, so one throttled publish
 * does not hold back the others; then throws one DeliveryError naming the items that failed (the SDK has already
 * retried throttling; the delivery ledger retries exactly those).
 */
export async function deliverEach(
  sink: string,
  items: readonly DetectionItem[],
  indexes: readonly number[],
  send: (item: DetectionItem) => Promise<unknown>,
): Promise<void> {
  const results = await Promise.allSettled(indexes.map(async (index) => send(items[index])));
  const failures = results.flatMap((result, k) => (result.status === 'rejected' ? [failureOf(items, indexes[k], errorText(result.reason))] : []));
  if (failures.length > 0) throw new DeliveryError(sink, failures);
}

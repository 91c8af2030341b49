// A sink wrapper that makes any DetectionSink exactly-once per destination through the delivery ledger, and
// (for SNS) applies storm control. Per item: claim → [budget decision, recorded on the claim] → send → mark sent;
// on failure only the failed items are released for the retry, the ones the provider acknowledged are marked
// sent, so a partial failure is retried for the failed part only.

import type { DetectionItem, DetectionSink } from '../pipeline-types';
import { DeliveryError } from '../notify/delivery-error';
import { detectionKey, type DeliveryLedger } from './ledger';
import { CHANNELS, type Channel, type StormControl } from './storm';

/** A detection item with the channels storm control admitted it to (the SNS notifier sets the attribute). */
export interface ChanneledItem extends DetectionItem {
  channels?: readonly Channel[];
}

/** Another invocation holds a live claim on some items: fail, so Lambda retries once the lease has expired. */
export class ClaimHeldError extends Error {
  constructor(
    readonly sink: string,
    readonly keys: string[],
  ) {
    super(`${sink}: ${keys.length} detection(s) claimed by another invocation; retry after its lease expires`);
    this.name = 'ClaimHeldError';
  }
}

export interface ExactlyOnceStats {
  sent: number;
  /** Already sent (or suppressed) by an earlier attempt or a duplicate event. */
  duplicates: number;
  /** Over budget on every channel: not published, counted for the summary. */
  suppressed: number;
  held: number;
  failed: number;
}

export interface ExactlyOnceSinkOptions {
  /** Storm control (SNS only: EventBridge receives every detection). */
  storm?: StormControl;
}

export class ExactlyOnceSink implements DetectionSink {
  readonly name: string;
  readonly stats: ExactlyOnceStats = { sent: 0, duplicates: 0, suppressed: 0, held: 0, failed: 0 };

  constructor(
    private readonly inner: DetectionSink,
    private readonly ledger: DeliveryLedger,
    private readonly options: ExactlyOnceSinkOptions = {},
  ) {
    this.name = inner.name;
  }

  async deliver(items: DetectionItem[]): Promise<void> {
    const keys = items.map((item) => detectionKey(item.detection));
    const claims = await Promise.all(keys.map((key) => this.ledger.claim(key, this.name)));
    const toSend: ChanneledItem[] = [];
    const sendKeys: string[] = [];
    const held: string[] = [];
    for (let i = 0; i < items.length; i++) {
      const claim = claims[i];
      if (claim.state === 'done') {
        this.stats.duplicates++;
        continue;
      }
      if (claim.state === 'held') {
        held.push(keys[i]);
        continue;
      }
      let channels: readonly Channel[] | undefined = claim.channels?.filter((c): c is Channel => (CHANNELS as readonly string[]).includes(c));
      if (this.options.storm && channels === undefined) {
        // Decided once per detection and recorded on the claim: a retry must not charge the budget again.
        channels = (await this.options.storm.admit(items[i].detection)).channels;
        await this.ledger.recordChannels(keys[i], this.name, [...channels]);
      }
      if (channels !== undefined && channels.length === 0) {
        await this.ledger.markSuppressed(keys[i], this.name);
        this.stats.suppressed++;
        continue;
      }
      toSend.push(channels === undefined ? items[i] : { ...items[i], channels });
      sendKeys.push(keys[i]);
    }

    let sendError: unknown;
    if (toSend.length > 0) {
      try {
        await this.inner.deliver(toSend);
      } catch (err) {
        sendError = err;
      }
    }
    const failed = sendError === undefined ? new Set<number>() : failedIndexes(sendError, toSend);
    await Promise.all(sendKeys.map((key, i) => (failed.has(i) ? this.ledger.release(key, this.name) : this.ledger.markSent(key, this.name))));
    this.stats.sent += sendKeys.length - failed.size;
    this.stats.failed += failed.size;
    this.stats.held += held.length;
    if (sendError !== undefined) throw sendError;
    if (held.length > 0) throw new ClaimHeldError(this.name, held);
  }
}

/**
 * Which of `items` a sink error covers. A DeliveryError lists its failures (by index when the notifier gives
 * one, else by rule id and log_id: every item that fits counts as failed, since sending again is better than
 * losing one). Any other error (a thrown SDK call) covers every item.
 */
export function failedIndexes(err: unknown, items: readonly DetectionItem[]): Set<number> {
  const all = new Set(items.map((_, i) => i));
  if (!(err instanceof DeliveryError)) return all;
  const failed = new Set<number>();
  for (const failure of err.failures as { ruleId: string; logId?: string; index?: number }[]) {
    if (typeof failure.index === 'number') {
      if (failure.index >= 0 && failure.index < items.length) failed.add(failure.index);
      continue;
    }
    items.forEach((item, i) => {
      if (item.detection.rule.id === failure.ruleId && item.detection.log_id === failure.logId) failed.add(i);
    });
  }
  return failed.size === 0 && err.failures.length > 0 ? all : failed;
}

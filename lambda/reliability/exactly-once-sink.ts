// A sink wrapper that makes any DetectionSink exactly-once per destination through the delivery ledger, and
// (for SNS) applies storm control. Per item: claim → [budget decision, recorded on the claim] → send → mark sent;
// on failure only the failed items are released for the retry, the ones the provider acknowledged are marked
// sent, so a partial failure is retried for the failed part only.

import type { DetectionItem, DetectionSink } from '../pipeline-types';
import { detectionKey, type DeliveryLedger } from './ledger';
import { BUDGET_CHANNELS, type Channel, type StormControl } from './storm';

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
  /** Delivered, but the ledger could not record it (a retry of this invocation or a duplicate may send again). */
  unrecorded: number;
}

export interface ExactlyOnceSinkOptions {
  /** Storm control (SNS and chat, each its own scope: EventBridge and Security Hub receive every detection). */
  storm?: StormControl;
}

export class ExactlyOnceSink implements DetectionSink {
  readonly name: string;
  readonly stats: ExactlyOnceStats = { sent: 0, duplicates: 0, suppressed: 0, held: 0, failed: 0, unrecorded: 0 };

  constructor(
    private readonly inner: DetectionSink,
    private readonly ledger: DeliveryLedger,
    private readonly options: ExactlyOnceSinkOptions = {},
  ) {
    this.name = inner.name;
  }

  /**
   * Each item on its own, all in parallel: claim → [storm decision] → send → mark sent. Per item, so one slow or
   * hung publish holds back only its own record, and a partial failure leaves exactly the failed items to retry.
   * After every item has settled, the first failure is thrown; else, if another invocation held some, a
   * ClaimHeldError (so Lambda retries once their lease has expired).
   */
  async deliver(items: DetectionItem[]): Promise<void> {
    const keys = items.map((item) => detectionKey(item.detection));
    const results = await Promise.allSettled(items.map((item, i) => this.deliverOne(item, keys[i])));
    const held = keys.filter((_, i) => results[i].status === 'fulfilled' && (results[i] as PromiseFulfilledResult<Outcome>).value === 'held');
    this.stats.held += held.length;
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure) throw failure.reason;
    if (held.length > 0) throw new ClaimHeldError(this.name, held);
  }

  private async deliverOne(item: DetectionItem, key: string): Promise<Outcome> {
    // Below the sink's minimum level: nothing to send, so nothing to record and no budget to charge.
    if (this.inner.accepts && !this.inner.accepts(item.detection)) return 'ignored';
    const claim = await this.ledger.claim(key, this.name);
    if (claim.state === 'done') {
      this.stats.duplicates++;
      return 'duplicate';
    }
    if (claim.state === 'held') return 'held';
    try {
      let channels: readonly Channel[] | undefined = claim.channels?.filter((c): c is Channel => (BUDGET_CHANNELS as readonly string[]).includes(c));
      if (this.options.storm && channels === undefined) {
        // Decided once per detection and recorded on the claim: a retry must not charge the budget again.
        channels = (await this.options.storm.admit(item.detection)).channels;
        await this.ledger.recordChannels(key, this.name, [...channels]);
      }
      if (channels !== undefined && channels.length === 0) {
        await this.ledger.markSuppressed(key, this.name);
        this.stats.suppressed++;
        return 'suppressed';
      }
      await this.inner.deliver([channels === undefined ? item : { ...item, channels }]);
    } catch (err) {
      this.stats.failed++;
      // Best effort: if the release fails too, the claim's lease runs out and a later retry claims it then.
      await this.ledger.release(key, this.name).catch(() => undefined);
      throw err;
    }
    try {
      await this.ledger.markSent(key, this.name);
    } catch {
      // Delivered: the invocation succeeds. Only a later duplicate of this event, after the lease, could resend.
      this.stats.unrecorded++;
    }
    this.stats.sent++;
    return 'sent';
  }
}

type Outcome = 'sent' | 'duplicate' | 'suppressed' | 'held' | 'ignored';

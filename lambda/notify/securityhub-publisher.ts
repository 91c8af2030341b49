// Imports detections into AWS Security Hub as findings (securityhub-finding.ts builds them). BatchImportFindings
// takes at most 100 findings per call and can partly fail (FailedCount > 0, FailedFindings naming each failed
// Id) while the call succeeds: those findings are retried with backoff, and what still fails is thrown as a
// DeliveryError with the item indexes, so the delivery ledger retries exactly those (the others are marked sent).
// Detections below the configured minimum level are not imported (and count as delivered).

import type { AwsSecurityFinding, SecurityHubClient } from '@aws-sdk/client-securityhub';
import { clientOf, securityHubSdk, type ClientSource } from '../aws-clients';
import type { DetectionItem, DetectionSink } from '../pipeline-types';
import type { Level } from '../sigma/types';
import { deliverBatches, errorText, failureOf, type DeliveryFailure } from './delivery-error';
import { levelAtLeast } from './detection-text';
import { DEFAULT_BACKOFF, retryFailedEntries, type BackoffOptions } from './retry';
import { buildFinding } from './securityhub-finding';

export const MAX_FINDINGS_PER_CALL = 100;

export interface SecurityHubNotifierOptions {
  /** `arn:aws:securityhub:<region>:<account>:product/<account>/default`. */
  productArn: string;
  minLevel: Level;
  auth0Domain?: string;
  backoff?: Partial<BackoffOptions>;
  /** Import time (tests). Default: the wall clock. */
  clock?: () => number;
}

export class SecurityHubNotifier implements DetectionSink {
  readonly name = 'securityhub';
  private readonly backoff: BackoffOptions;

  constructor(
    private readonly client: ClientSource<SecurityHubClient>,
    private readonly options: SecurityHubNotifierOptions,
  ) {
    this.backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
  }

  async deliver(items: DetectionItem[]): Promise<void> {
    const now = new Date((this.options.clock ?? Date.now)());
    const failures: DeliveryFailure[] = [];
    const selected = items.flatMap((item, index) => (levelAtLeast(item.detection.rule.level, this.options.minLevel) ? [index] : []));
    const findings = new Map<number, AwsSecurityFinding>();
    for (const index of selected) {
      const item = items[index];
      try {
        findings.set(index, buildFinding(item.detection, { productArn: this.options.productArn, event: item.event, auth0Domain: this.options.auth0Domain, now }));
      } catch (err) {
        failures.push(failureOf(items, index, errorText(err)));
      }
    }
    const indexes = [...findings.keys()];
    const batches: number[][] = [];
    for (let start = 0; start < indexes.length; start += MAX_FINDINGS_PER_CALL) batches.push(indexes.slice(start, start + MAX_FINDINGS_PER_CALL));
    await deliverBatches(this.name, items, batches, (batch) => this.importWithRetry(batch.map((i) => findings.get(i)!)), failures);
  }

  /** Returns the findings (index in `batch` → error) that still failed after every attempt. */
  private importWithRetry(batch: AwsSecurityFinding[]): Promise<Map<number, string>> {
    return retryFailedEntries(batch.length, this.backoff, async (pending) => {
      const response = await clientOf(this.client).send(new (securityHubSdk().BatchImportFindingsCommand)({ Findings: pending.map((i) => batch[i]) }));
      if (!response.FailedCount) return new Map();
      // Failed findings are named by Id; a failed count without a usable list fails the whole attempt.
      const failedIds = new Map((response.FailedFindings ?? []).map((f) => [f.Id, `${f.ErrorCode ?? 'Failed'}: ${f.ErrorMessage ?? ''}`.slice(0, 300)]));
      const stillFailing = failedIds.size === 0 ? pending : pending.filter((i) => failedIds.has(batch[i].Id));
      return new Map(stillFailing.map((i) => [i, failedIds.get(batch[i].Id) ?? `FailedCount ${response.FailedCount}`]));
    });
  }
}

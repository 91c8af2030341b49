// Exponential backoff with full jitter, for the retries the SDK does not do itself (EventBridge entries or
// Security Hub findings that failed inside a successful call).

export interface BackoffOptions {
  /** Attempts in total, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Injectable so tests do not wait. */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 2000 };

export function backoffDelay(attempt: number, options: BackoffOptions): number {
  const cap = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** attempt);
  return Math.floor((options.random ?? Math.random)() * cap);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Sends `count` entries, then only the ones that failed inside a successful call, with backoff, until none fails
 * or the attempts run out. `send` gets the pending indexes and returns the failed ones (index → error); a thrown
 * error (already retried by the SDK) propagates. Returns the entries that still failed, with their last error.
 */
export async function retryFailedEntries(
  count: number,
  backoff: BackoffOptions,
  send: (pending: number[]) => Promise<Map<number, string>>,
): Promise<Map<number, string>> {
  let pending = Array.from({ length: count }, (_, i) => i);
  let failed = new Map<number, string>();
  for (let attempt = 0; attempt < backoff.maxAttempts && pending.length > 0; attempt++) {
    if (attempt > 0) await (backoff.sleep ?? sleep)(backoffDelay(attempt, backoff));
    failed = await send(pending);
    pending = pending.filter((i) => failed.has(i));
  }
  return failed;
}

// A sink could not deliver some detections: thrown so the invocation fails and Lambda retries it.

export class DeliveryError extends Error {
  constructor(
    readonly sink: string,
    /** `index`: position of the failed item in what the sink was given (the delivery ledger retries only those). */
    readonly failures: { ruleId: string; logId?: string; error: string; index?: number }[],
  ) {
    super(`${sink}: ${failures.length} detection(s) not delivered: ${failures.map((f) => `${f.ruleId}/${f.logId ?? '-'}: ${f.error}`).join('; ')}`);
    this.name = 'DeliveryError';
  }
}

export function errorText(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`.slice(0, 300);
  return String(err).slice(0, 300);
}

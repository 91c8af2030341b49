// The three shapes a log event arrives in, reduced to the one rules address: `{ log_id, data }`. Errors name the
// problem only, never the event's content (it may hold personal data).
//
// Every JSON object is evaluated: an event whose `data.type` is missing or not a string simply matches no rule
// keyed on a type. Only two things are refused: a value that is not an object, and an EventBridge event whose
// detail holds no `data` object. The second is an object, but it is not what the Auth0 partner event source sends
// (`detail: {log_id, data}`) and the bus rule's pattern, which constrains `detail.data`, never forwards it to the
// detector: evaluating it in `scan` would report detections the deployed stack can never make.

import { NormalizedEvent } from './types';

export type NormalizeResult = { event: NormalizedEvent } | { error: string };

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

const own = (obj: object, key: string): boolean => Object.prototype.hasOwnProperty.call(obj, key);

/** An EventBridge event: a `detail` next to `detail-type` or `source`. */
export function isEventBridgeEnvelope(raw: Record<string, unknown>): boolean {
  return own(raw, 'detail') && (own(raw, 'detail-type') || own(raw, 'source'));
}

/**
 * - `{ log_id, data }` (log stream) with `data` an object: kept as is (`log_id` from `data` when the top has none);
 * - an EventBridge envelope whose `detail` is `{ log_id, data }`: its detail;
 * - any other object (a flat Management API log, `log_id` or `_id` beside `type`): becomes `data`.
 */
export function normalizeEvent(raw: unknown): NormalizeResult {
  if (!isPlainObject(raw)) return { error: `event is not a JSON object (got ${describeType(raw)})` };
  if (isEventBridgeEnvelope(raw)) {
    const detail = raw.detail;
    if (isPlainObject(detail) && isPlainObject(detail.data)) return fromLogStream(detail, detail.data);
    return {
      error: `EventBridge event: detail ${isPlainObject(detail) ? 'has no data object' : 'is not an object'} `
        + '(the Auth0 partner event source sends detail {log_id, data}; the bus rule never forwards this shape)',
    };
  }
  if (isPlainObject(raw.data)) return fromLogStream(raw, raw.data);
  return fromFlat(raw);
}

function fromFlat(raw: Record<string, unknown>): NormalizeResult {
  const id = stringField(raw, 'log_id') ?? stringField(raw, '_id');
  return { event: id === undefined ? { data: raw } : { log_id: id, data: raw } };
}

function fromLogStream(obj: Record<string, unknown>, data: Record<string, unknown>): NormalizeResult {
  const id = stringField(obj, 'log_id') ?? stringField(data, 'log_id');
  return { event: id === undefined ? { data } : { log_id: id, data } };
}

function stringField(obj: Record<string, unknown>, key: string): string | undefined {
  return own(obj, key) && typeof obj[key] === 'string' ? obj[key] : undefined;
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

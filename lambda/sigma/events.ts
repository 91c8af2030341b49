// The three shapes a log event arrives in, reduced to the one rules address: `{ log_id, data }` with
// `data.type`. Errors name the problem only, never the event's content (it may hold personal data).

import { NormalizedEvent } from './types';

export type NormalizeResult = { event: NormalizedEvent } | { error: string };

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

const own = (obj: object, key: string): boolean => Object.prototype.hasOwnProperty.call(obj, key);

/**
 * - `{ log_id, data }` (log stream): kept as is;
 * - an EventBridge envelope (`detail-type` / `detail` holding `{ log_id, data }`): its detail;
 * - a flat Management API log object (`type`, `date` at top level; `log_id` or `_id`): becomes `data`.
 */
export function normalizeEvent(raw: unknown): NormalizeResult {
  if (!isPlainObject(raw)) return { error: `event is not a JSON object (got ${describeType(raw)})` };
  if (own(raw, 'detail') && (own(raw, 'detail-type') || own(raw, 'source'))) {
    if (!isPlainObject(raw.detail)) return { error: 'EventBridge envelope: detail is not an object' };
    const detail = raw.detail;
    const inner = fromLogStream(detail) ?? (own(detail, 'data') ? undefined : fromFlat(detail));
    return inner ?? { error: 'EventBridge envelope: detail has no data object' };
  }
  const stream = fromLogStream(raw);
  if (stream) return stream;
  if (own(raw, 'data')) return { error: 'data is not an object' };
  return fromFlat(raw) ?? { error: 'not an Auth0 log event: no data object and no top-level type' };
}

function fromFlat(raw: Record<string, unknown>): NormalizeResult | undefined {
  if (own(raw, 'type')) {
    if (typeof raw.type !== 'string') return { error: 'type is not a string' };
    const id = own(raw, 'log_id') && typeof raw.log_id === 'string' ? raw.log_id
      : own(raw, '_id') && typeof raw._id === 'string' ? raw._id : undefined;
    return { event: id === undefined ? { data: raw } : { log_id: id, data: raw } };
  }
  return undefined;
}

function fromLogStream(obj: Record<string, unknown>): NormalizeResult | undefined {
  if (!own(obj, 'data') || !isPlainObject(obj.data)) return undefined;
  const data = obj.data;
  if (!own(data, 'type') || typeof data.type !== 'string') return { error: 'data.type is missing or not a string' };
  const id = own(obj, 'log_id') && typeof obj.log_id === 'string' ? obj.log_id
    : own(data, 'log_id') && typeof data.log_id === 'string' ? data.log_id : undefined;
  return { event: id === undefined ? { data } : { log_id: id, data } };
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

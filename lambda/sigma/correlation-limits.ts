// What the correlation engine writes is always storable, in DynamoDB and in the memory store alike (so `scan`
// and the Lambda decide the same way): values an attacker chose are checked and bounded *before* any write.
//
// - Numbers (value_sum / value_avg): DynamoDB numbers hold 38 significant digits, magnitude 1E-130 to
//   9.99…E+125, and an ADD whose exact result needs more digits fails (1e50 + 1 is refused). A value is
//   accepted when finite with |v| ≤ VALUE_MAGNITUDE_MAX and rounded to SUM_DECIMALS decimal places, so every
//   value and every bucket sum lies on one decimal grid: a sum below 1e29 needs at most 29 + 9 = 38 digits
//   (1e14 events of the largest value per bucket). Anything else is skipped and counted, never written.
// - Keys: a group key is the canonical JSON of the group values, or its SHA-256 when longer than
//   GROUP_KEY_MAX; DynamoDB keys hash it again (partition key ≤ 2048 bytes, sort key ≤ 1024 bytes).
// - Item size (400 KB): the group values kept for the notification are a bounded, display-safe copy
//   (DISPLAY_VALUE_MAX code points, with a hash of the full value when cut); log_ids longer than LOG_ID_MAX are
//   replaced by their hash; value_count stores 96-bit digests of values, never the values.

import { createHash, hash } from 'crypto';
import type { Scalar } from './types';

export const VALUE_MAGNITUDE_MAX = 1e15;
export const SUM_DECIMALS = 9;
export const GROUP_KEY_MAX = 256;
export const DISPLAY_VALUE_MAX = 512;
export const LOG_ID_MAX = 128;

const SCALE = 10 ** SUM_DECIMALS;

/** The value as the engine stores it, or undefined when it is outside what can be stored exactly. */
export function storableValue(value: number): number | undefined {
  if (!Number.isFinite(value) || Math.abs(value) > VALUE_MAGNITUDE_MAX) return undefined;
  const rounded = Math.round(value * SCALE) / SCALE;
  return Object.is(rounded, -0) ? 0 : rounded;
}

/**
 * A bucket sum addend as a store takes it: on the grid, or a RangeError before anything is written (the engine
 * only passes storable values; both stores refuse anything else alike).
 */
export function checkedSum(sum: number): number {
  const stored = storableValue(sum);
  if (stored === undefined) throw new RangeError(`correlation bucket sum ${String(sum).slice(0, 40)} is outside the storable range (|v| ≤ ${VALUE_MAGNITUDE_MAX}, see lambda/sigma/correlation-limits.ts)`);
  return stored;
}

/** A number on the storage grid as exact decimal text (no exponent, at most SUM_DECIMALS decimals). */
export function gridDecimal(value: number): string {
  const text = value.toFixed(SUM_DECIMALS).replace(/\.?0+$/, '');
  return text === '-0' || text === '' ? '0' : text;
}

function sha256(text: string): string {
  return sha256Text(text, 'base64url');
}

/**
 * SHA-256 of a string's UTF-8 in `encoding`: Node's one-shot `crypto.hash` where it exists (Node ≥ 20.12; a third
 * of the cost of a Hash object, same digest), else a Hash.
 */
export function sha256Text(text: string, encoding: 'base64' | 'base64url'): string {
  return typeof hash === 'function' ? hash('sha256', text, encoding) : createHash('sha256').update(text).digest(encoding);
}

/** The group key of group values: readable canonical JSON when short, its hash when long. */
export function groupKeyOf(values: readonly Scalar[]): string {
  // Scalars compare by their string form (200 and "200" are one group), as everywhere in the engine.
  const canonical = JSON.stringify(values.map((v) => (v === null ? null : String(v))));
  // Canonical JSON starts with `[`: a hashed key (`#…`) never equals a readable one.
  return canonical.length <= GROUP_KEY_MAX ? canonical : `#${sha256(canonical)}`;
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * The copy of a group value kept for notifications and chains: strings longer than DISPLAY_VALUE_MAX code points
 * are cut and end with `…[sha256:<first 16 characters of the full value's hash>]`, so distinct long values stay
 * distinct; lone surrogates become U+FFFD (well-formed text for every store and every output).
 */
export function displayValue(value: Scalar): Scalar {
  if (typeof value !== 'string') return value;
  if (value.length <= DISPLAY_VALUE_MAX) return value.replace(LONE_SURROGATE, '\ufffd');
  const marker = `…[sha256:${sha256(value).slice(0, 16)}]`;
  // Cut by code points (never half a surrogate pair) from a prefix, so the cost does not follow the value's size.
  const points = Array.from(value.slice(0, DISPLAY_VALUE_MAX * 2)).slice(0, DISPLAY_VALUE_MAX - marker.length);
  return points.join('').replace(LONE_SURROGATE, '\ufffd') + marker;
}

/** A log_id as stored in a bucket's sample: as is when short, else `h:` and its hash. */
export function storableLogId(logId: string): string {
  return logId.length <= LOG_ID_MAX ? logId.replace(LONE_SURROGATE, '\ufffd') : `h:${sha256(logId).slice(0, 32)}`;
}

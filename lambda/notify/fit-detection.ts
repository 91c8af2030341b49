// SNS messages and EventBridge entries have hard size limits (256 KB), and a detection carries values copied
// from the log (field_values, correlation group values), which an attacker can make large or deeply nested.
// This shrinks a detection step by step until its JSON fits, so an oversized event still notifies (with
// shortened values) instead of failing forever. Nothing here recurses on the event's depth: values from the log
// are first copied with bounded depth and node count (boundedCopy, iterative), and only that copy is serialised.

import { boundedCopy, type ValueLimits } from '../sigma/bounded-value';
import type { CorrelationInfo, Detection, Scalar } from '../sigma/types';
import { toText, truncate } from './sanitize';

const FIELD_VALUE_CAP = 1024;
/**
 * Bounds of the copy every serialised detection starts from: far above what a notification needs, far below
 * the call stack (JSON.stringify recurses once per level). Deeper containers become a marker string.
 */
const LOG_VALUE_LIMITS: ValueLimits = { maxDepth: 64, maxNodes: 20_000 };

export function detectionJson(detection: Detection, maxBytes: number): string {
  const bounded = boundedDetection(detection);
  let json = JSON.stringify(bounded);
  if (Buffer.byteLength(json, 'utf8') <= maxBytes) return json;

  // 1. Long field values become their first characters (as text).
  if (bounded.field_values) {
    const shortened: Record<string, unknown> = {};
    for (const [path, value] of Object.entries(bounded.field_values)) {
      const text = toText(value, FIELD_VALUE_CAP * 2);
      shortened[path] = text.length > FIELD_VALUE_CAP || typeof value === 'object' ? truncate(text, FIELD_VALUE_CAP) : value;
    }
    json = JSON.stringify({ ...bounded, field_values: shortened });
    if (Buffer.byteLength(json, 'utf8') <= maxBytes) return json;
  }
  // 2. Without field values and the rule's extra metadata (both can be looked up from the log and the rule).
  const slim: Detection = { ...bounded, field_values: undefined, rule: { id: detection.rule.id, title: detection.rule.title, level: detection.rule.level, tags: detection.rule.tags } };
  json = JSON.stringify(slim);
  if (Buffer.byteLength(json, 'utf8') <= maxBytes) return json;
  // 3. Only identifiers remain: this cannot exceed any sane limit, but string fields are cut to be sure.
  const minimal: Detection = {
    rule: { id: detection.rule.id, title: truncate(detection.rule.title, 256), level: detection.rule.level, tags: [] },
    log_id: detection.log_id ? truncate(detection.log_id, 256) : undefined,
    date: detection.date ? truncate(detection.date, 64) : undefined,
    type: detection.type ? truncate(detection.type, 64) : undefined,
    // A correlation's group, window and log_ids are what its notification is about: kept, with values cut.
    correlation: detection.correlation ? minimalCorrelation(detection.correlation) : undefined,
  };
  return JSON.stringify(minimal);
}

/** The detection with every log-derived structure replaced by a bounded copy (safe for JSON.stringify). */
function boundedDetection(detection: Detection): Detection {
  const bounded: Detection = { ...detection };
  if (detection.field_values) bounded.field_values = boundedCopy(detection.field_values, LOG_VALUE_LIMITS) as Record<string, unknown>;
  // The rule's own metadata is rule-authored, but it is copied the same way: the JSON must never throw.
  if (detection.rule.meta) bounded.rule = { ...detection.rule, meta: boundedCopy(detection.rule.meta, LOG_VALUE_LIMITS) as Record<string, unknown> };
  if (detection.correlation) {
    const c = detection.correlation;
    bounded.correlation = { ...c, group: boundedCopy(c.group, LOG_VALUE_LIMITS) as Record<string, Scalar> };
  }
  return bounded;
}

function minimalCorrelation(c: CorrelationInfo): CorrelationInfo {
  const group: Record<string, Scalar> = {};
  for (const [field, value] of Object.entries(c.group).slice(0, 20)) {
    group[truncate(field, 128)] = typeof value === 'string' ? truncate(value, 256) : typeof value === 'object' && value !== null ? null : value;
  }
  return {
    type: c.type,
    group,
    value: c.value,
    window: { start: truncate(String(c.window.start), 64), end: truncate(String(c.window.end), 64) },
    rules: c.rules.slice(0, 20).map((id) => truncate(String(id), 256)),
    log_ids: c.log_ids.slice(0, 10).map((id) => truncate(String(id), 256)),
  };
}

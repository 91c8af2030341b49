// SNS messages and EventBridge entries have hard size limits (256 KB), and a detection carries values copied
// from the log (field_values), which an attacker can make large. This shrinks a detection step by step until
// its JSON fits, so an oversized event still notifies (with shortened values) instead of failing forever.

import type { CorrelationInfo, Detection, Scalar } from '../sigma/types';
import { toText, truncate } from './sanitize';

const FIELD_VALUE_CAP = 1024;

export function detectionJson(detection: Detection, maxBytes: number): string {
  let json = stringify(detection);
  if (json !== undefined && Buffer.byteLength(json, 'utf8') <= maxBytes) return json;

  // 1. Long field values become their first characters (as text).
  if (detection.field_values) {
    const shortened: Record<string, unknown> = {};
    for (const [path, value] of Object.entries(detection.field_values)) {
      const text = toText(value);
      shortened[path] = text.length > FIELD_VALUE_CAP || typeof value === 'object' ? truncate(text, FIELD_VALUE_CAP) : value;
    }
    json = stringify({ ...detection, field_values: shortened });
    if (json !== undefined && Buffer.byteLength(json, 'utf8') <= maxBytes) return json;
  }
  // 2. Without field values and the rule's extra metadata (both can be looked up from the log and the rule).
  const slim: Detection = { ...detection, field_values: undefined, rule: { id: detection.rule.id, title: detection.rule.title, level: detection.rule.level, tags: detection.rule.tags } };
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

function minimalCorrelation(c: CorrelationInfo): CorrelationInfo {
  const group: Record<string, Scalar> = {};
  for (const [field, value] of Object.entries(c.group).slice(0, 20)) {
    group[truncate(field, 128)] = typeof value === 'string' ? truncate(value, 256) : value;
  }
  return {
    type: c.type,
    group,
    value: c.value,
    window: { start: truncate(c.window.start, 64), end: truncate(c.window.end, 64) },
    rules: c.rules.slice(0, 20).map((id) => truncate(id, 256)),
    log_ids: c.log_ids.slice(0, 10).map((id) => truncate(id, 256)),
  };
}

/**
 * JSON.stringify recurses: a value nested deeper than the stack allows (a 256 KB event can nest ~128k arrays)
 * throws RangeError. Such a detection is shrunk like an oversized one instead of failing every retry.
 */
function stringify(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}

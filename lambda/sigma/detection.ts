// The single-event detection every output shares (scan --format json, SNS default message, EventBridge detail).

import { boundedCopy } from './bounded-value';
import { collectValues, compilePath, CompiledPath } from './fieldpath';
import { RuleMatch } from './ruleset';
import { Detection, NormalizedEvent, RuleSummary } from './types';

const TOP_FIELDS = ['date', 'type', 'user_id', 'user_name', 'ip', 'client_id', 'client_name'] as const;

// Rules' `fields` paths are few and repeat across events: compile each once.
const pathCache = new Map<string, CompiledPath>();
const PATH_CACHE_MAX = 10000;

function pathOf(field: string): CompiledPath {
  let path = pathCache.get(field);
  if (!path) {
    if (pathCache.size >= PATH_CACHE_MAX) pathCache.clear();
    path = compilePath(field);
    pathCache.set(field, path);
  }
  return path;
}

export function ruleSummary(rule: RuleMatch['rule']): RuleSummary {
  return { id: rule.id, title: rule.title, level: rule.level, tags: [...rule.tags], meta: rule.meta };
}

export function buildDetection(match: RuleMatch, event: NormalizedEvent): Detection {
  const detection: Detection = { rule: ruleSummary(match.rule) };
  if (typeof event.log_id === 'string') detection.log_id = event.log_id;
  const data = event.data;
  for (const key of TOP_FIELDS) {
    // Only strings are copied: these fields feed subjects and SMS text, where objects would be noise.
    if (Object.prototype.hasOwnProperty.call(data, key) && typeof data[key] === 'string') detection[key] = data[key] as string;
  }
  detection.matched = [...match.matched];
  if (match.skippedRules) detection.skipped_rules = match.skippedRules.map((r) => ({ id: r.id, title: r.title }));
  if (match.rule.fields.length) {
    const values: Record<string, unknown> = {};
    for (const field of match.rule.fields) {
      const found: unknown[] = [];
      if (!collectValues(event, pathOf(field), found)) continue;
      // Bounded: the detection is serialised (JSON, SNS, EventBridge) and event values can nest without limit.
      values[field] = boundedCopy(found.length === 1 ? found[0] : found);
    }
    detection.field_values = values;
  }
  return detection;
}

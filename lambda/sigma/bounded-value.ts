// A JSON-safe copy of an event value with bounded depth and size, for every output that serialises event data
// (detections' field_values, explanations). JSON.stringify recurses in V8 and throws "Maximum call stack size
// exceeded" on a value nested some thousands of levels deep (a 12 KB event can be); this copy is built
// iteratively and is shallow enough for any serialiser.

export interface ValueLimits {
  /** Containers deeper than this are replaced by DEPTH_MARKER (the value itself is depth 1). */
  maxDepth: number;
  /** Values (containers and scalars) copied at most; the rest are dropped, with TRUNCATED_MARKER once. */
  maxNodes: number;
}

export const DETECTION_VALUE_LIMITS: ValueLimits = { maxDepth: 32, maxNodes: 1000 };
export const DEPTH_MARKER = '[nested too deep]';
export const TRUNCATED_MARKER = '[truncated]';

type Container = unknown[] | Record<string, unknown>;

function put(target: Container, key: string | number, value: unknown): void {
  if (Array.isArray(target)) target.push(value);
  // defineProperty: a `__proto__` key from JSON.parse stays data, never a prototype change.
  else Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

export function boundedCopy(value: unknown, limits: ValueLimits = DETECTION_VALUE_LIMITS): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (limits.maxDepth < 1) return DEPTH_MARKER;
  const root: Container = Array.isArray(value) ? [] : {};
  const stack: { source: object; target: Container; depth: number }[] = [{ source: value, target: root, depth: 1 }];
  let nodes = 1;
  let truncated = false;
  while (stack.length > 0 && !truncated) {
    const { source, target, depth } = stack.pop()!;
    const keys: (string | number)[] = Array.isArray(source) ? source.map((_, i) => i) : Object.keys(source);
    for (const key of keys) {
      if (++nodes > limits.maxNodes) {
        put(target, key, TRUNCATED_MARKER);
        truncated = true;
        break;
      }
      const child = (source as Record<string | number, unknown>)[key];
      if (child === null || typeof child !== 'object') {
        put(target, key, child);
      } else if (depth >= limits.maxDepth) {
        put(target, key, DEPTH_MARKER);
      } else {
        const copy: Container = Array.isArray(child) ? [] : {};
        put(target, key, copy);
        stack.push({ source: child, target: copy, depth: depth + 1 });
      }
    }
  }
  return root;
}

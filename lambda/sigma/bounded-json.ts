// JSON text of event data without recursion: events nest as deep as their size allows (a 256 KB event holds
// ~128k nested arrays), deeper than the call stack of JSON.stringify. `jsonText` walks with an explicit stack
// and stops at an output bound, so its cost follows the bound, not the event's shape. Used by the correlation
// engine (group values), the delivery ledger (canonical detection keys) and notification text (lambda/notify).
// (A bounded *copy* of event data, for code that must serialise whole structures: bounded-value.ts.)

type Frame =
  | { kind: 'array'; items: unknown[]; index: number }
  | { kind: 'object'; value: Record<string, unknown>; keys: string[]; index: number; wrote: boolean };

/** What JSON.stringify writes for a value that is not an object or array; undefined when it would omit it. */
function scalarJson(value: unknown): string | undefined {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? String(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return String(value);
    default:
      return undefined;
  }
}

export interface JsonTextOptions {
  /** Stop once the text reaches this many UTF-16 units; the result then ends with `…` and is not valid JSON. */
  maxChars?: number;
  /** Object keys in sorted order (a canonical form: equal values give equal text whatever their key order). */
  sortKeys?: boolean;
}

/**
 * The text JSON.stringify gives for parsed JSON data (objects, arrays, strings, finite numbers, booleans, null;
 * non-finite numbers as null, undefined members left out), written iteratively. Cut at `maxChars` (default
 * unbounded: the input's size bounds it).
 */
export function jsonText(value: unknown, options: JsonTextOptions = {}): string {
  const max = options.maxChars ?? Infinity;
  const parts: string[] = [];
  let length = 0;
  const push = (text: string): boolean => {
    parts.push(text);
    length += text.length;
    return length < max;
  };
  const stack: Frame[] = [];
  // Writes one value; containers are opened and pushed, their members written by the loop below.
  const open = (v: unknown): boolean => {
    if (Array.isArray(v)) {
      stack.push({ kind: 'array', items: v, index: 0 });
      return push('[');
    }
    if (v !== null && typeof v === 'object') {
      const keys = Object.keys(v);
      if (options.sortKeys) keys.sort();
      stack.push({ kind: 'object', value: v as Record<string, unknown>, keys, index: 0, wrote: false });
      return push('{');
    }
    return push(scalarJson(v) ?? 'null');
  };
  let ok = open(value);
  while (ok && stack.length > 0) {
    const frame = stack[stack.length - 1];
    if (frame.kind === 'array') {
      if (frame.index >= frame.items.length) {
        stack.pop();
        ok = push(']');
        continue;
      }
      const item = frame.items[frame.index];
      if (frame.index++ > 0) ok = push(',');
      // JSON.stringify writes null for array members it cannot represent (undefined, functions).
      if (ok) ok = typeof item === 'object' || scalarJson(item) !== undefined ? open(item) : push('null');
    } else {
      if (frame.index >= frame.keys.length) {
        stack.pop();
        ok = push('}');
        continue;
      }
      const key = frame.keys[frame.index++];
      const member = frame.value[key];
      if (typeof member !== 'object' && scalarJson(member) === undefined) continue;
      ok = push(`${frame.wrote ? ',' : ''}${JSON.stringify(key)}:`);
      frame.wrote = true;
      if (ok) ok = open(member);
    }
  }
  const text = parts.join('');
  return length >= max && (stack.length > 0 || text.length > max) ? `${text.slice(0, Math.max(0, max - 1))}…` : text;
}

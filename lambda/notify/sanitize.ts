// Notification text is built from log fields an attacker controls (user names, user agents, client names).
// Everything shown passes through here: control and invisible characters go (no terminal escapes, no bidi
// tricks that reorder text, no hidden line breaks that forge extra lines), markup characters are neutralised
// (SNS email is plain text, but mail clients may still render or link), URLs are defanged so nobody clicks
// an attacker's link from an alert, and every field has a length bound.

// C0 and C1 controls, DEL, zero-width and bidi formatting characters, line/paragraph separators, BOM.
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufffb]/g;
const INVISIBLE_KEEP_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u00ad\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufffb]/g;
// Half of a surrogate pair on its own is not Unicode text (mail pipelines may reject or mangle it).
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const URL_SCHEME = /\b(h)(tt)(ps?):\/\//gi;

/** Any value as text: scalars by their string form, objects and arrays as JSON, missing as ''. */
export function toText(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return '';
  }
}

/** Cuts to at most `max` code points (never splitting a surrogate pair), marking the cut with `marker`. */
export function truncate(text: string, max: number, marker = '...'): string {
  if (text.length <= max) return text;
  const points = Array.from(text);
  if (points.length <= max) return text;
  const keep = Math.max(0, max - Array.from(marker).length);
  return points.slice(0, keep).join('') + marker.slice(0, max - keep);
}

/**
 * One attacker-controlled value as a single safe line: invisible characters removed, lone surrogates made U+FFFD,
 * whitespace collapsed,
 * `<` `>` replaced, URLs defanged (`hxxps://`), at most `max` code points.
 */
export function safeLine(value: unknown, max: number): string {
  // Cap before the regex work so a huge value costs little.
  const raw = toText(value).slice(0, max * 4 + 16);
  const text = raw
    .replace(LONE_SURROGATE, '\ufffd')
    .replace(INVISIBLE, ' ')
    .replace(/\s+/g, ' ')
    .replace(/</g, '\u2039')
    .replace(/>/g, '\u203a')
    .replace(URL_SCHEME, (_m, h: string, _tt: string, ps: string) => `${h}xx${ps}://`)
    .trim();
  return truncate(text, max);
}

/** Rule-authored multi-line text (description): newlines kept, everything else as `safeLine`. */
export function safeBlock(value: unknown, max: number): string {
  const raw = toText(value).slice(0, max * 4 + 16);
  const text = raw
    .replace(/\r\n?/g, '\n')
    .replace(LONE_SURROGATE, '\ufffd')
    .replace(INVISIBLE_KEEP_NEWLINE, ' ')
    .replace(/[ \t]+/g, ' ')
    .replace(/ *\n */g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .replace(/</g, '\u2039')
    .replace(/>/g, '\u203a')
    .trim();
  return truncate(text, max);
}

/**
 * Plain printable ASCII (0x20-0x7e) for SMS and the email subject: accents are dropped (é → e) and any other
 * non-ASCII character becomes `?`. Length is bounded by the caller after this (ASCII: one char = one unit).
 */
export function toAscii(value: unknown, max: number): string {
  const line = safeLine(value, max * 2)
    .replace(/\u2039/g, '<')
    .replace(/\u203a/g, '>')
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '');
  let out = '';
  for (const ch of line) {
    const code = ch.codePointAt(0)!;
    out += code >= 0x20 && code <= 0x7e ? ch : '?';
  }
  return truncate(out.replace(/\s+/g, ' ').trim(), max);
}

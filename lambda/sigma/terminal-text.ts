// Text for a terminal, from rule files and log events (both may be attacker-written): every character that can
// move the cursor, recolour or clear the screen (C0/C1 controls: CR, ESC of ANSI sequences, DEL), reorder what is
// shown (bidi controls), hide text (zero-width, tag characters, every default-ignorable code point), break lines
// in other tools (U+2028/U+2029) or is not text at all (half a surrogate pair) is shown as `\uXXXX`.
// The escape is also a JSON escape, so JSON output passed through it parses to the same value.
// The CLI applies it to everything it writes (bin/cli/io.ts) and, for single-line values, to line breaks too.

// eslint-disable-next-line no-misleading-character-class
const UNSAFE = /[\p{Cc}\p{Default_Ignorable_Code_Point}\u2028\u2029]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/gu;
// The same, with line feed and tab allowed (the layout of multi-line output).
// eslint-disable-next-line no-misleading-character-class
const UNSAFE_KEEP_LAYOUT = /(?![\n\t])[\p{Cc}\p{Default_Ignorable_Code_Point}\u2028\u2029]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/gu;

// Every character the patterns above can match is a C0 control or at or above U+007F: text without any (ASCII
// text, as JSON output and log fields mostly are) is safe, and this plain class finds that about ten times faster
// than the Unicode property patterns.
// eslint-disable-next-line no-control-regex
const MAYBE_UNSAFE = /[\x00-\x1f\x7f-\uffff]/;
// eslint-disable-next-line no-control-regex
const MAYBE_UNSAFE_KEEP_LAYOUT = /[\x00-\x08\x0b-\x1f\x7f-\uffff]/;

function escapeUnits(match: string): string {
  let out = '';
  for (let i = 0; i < match.length; i++) out += `\\u${match.charCodeAt(i).toString(16).padStart(4, '0')}`;
  return out;
}

/**
 * One-line terminal text: every unsafe character, line breaks and tabs included, as `\uXXXX` (a tag character,
 * outside the BMP, as its two surrogate escapes).
 */
export function escapeForTerminal(text: string): string {
  if (!MAYBE_UNSAFE.test(text)) return text;
  UNSAFE.lastIndex = 0;
  return UNSAFE.test(text) ? text.replace(UNSAFE, escapeUnits) : text;
}

/** Multi-line terminal text: as escapeForTerminal, but line feeds and tabs stay (the output's own layout). */
export function escapeForTerminalKeepingLines(text: string): string {
  if (!MAYBE_UNSAFE_KEEP_LAYOUT.test(text)) return text;
  UNSAFE_KEEP_LAYOUT.lastIndex = 0;
  return UNSAFE_KEEP_LAYOUT.test(text) ? text.replace(UNSAFE_KEEP_LAYOUT, escapeUnits) : text;
}

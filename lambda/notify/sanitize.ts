// Notification text is built from log fields an attacker controls (user names, user agents, client names).
// Everything shown passes through here, in this order:
//   1. invisible characters go (bidi controls that reorder text, zero-width and tag characters: every
//      default-ignorable code point), controls and line breaks become spaces (no forged lines, no terminal
//      escapes), lone surrogates become U+FFFD;
//   2. Unicode is normalised (NFKC: fullwidth `ｈｔｔｐｓ：／／` is `https://`; stacks of combining marks are cut);
//   3. links are defanged on a *skeleton* of each word (compatibility decomposition, combining marks stripped,
//      Cyrillic/Greek look-alikes of Latin letters and look-alikes of `.` `/` `:` folded): a word whose skeleton
//      holds a scheme (`any://`, `javascript:`, `mailto:` ...), `www.` or a domain (`host.tld`) is shown as its
//      defanged skeleton (`hxxps[://]evil[.]com`), so no mail client or phone turns it back into a link;
//   4. `<` `>` are replaced and every field has a length bound.
// Defanging after normalising is the point: defanging first let `ｈｔｔｐｓ://` or `h̃ttps://` become a live link
// once a later step (NFKD for SMS) normalised it.

import { jsonText } from '../sigma/bounded-json';

/** Tabs and line and paragraph breaks of every kind: each becomes a space in one-line text. */
const LINE_BREAKS = /[\t\n\r\u000b\u000c\u0085\u2028\u2029]/g;
/** Controls (C0, C1, DEL): each becomes a space, so terminal escapes fall apart into visible text. */
const CONTROLS = /\p{Cc}/gu;
const CONTROLS_KEEP_NEWLINE = /(?![\n])\p{Cc}/gu;
/**
 * Every default-ignorable code point (bidi controls, zero-width characters, tag characters, fillers, variation
 * selectors): removed without a trace, so `ht\u200btps://` is seen, and defanged, as the `https://` it renders as.
 */
const INVISIBLE = /\p{Default_Ignorable_Code_Point}/gu;
// Half of a surrogate pair on its own is not Unicode text (mail pipelines may reject or mangle it).
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
/** More than two combining marks on one character (stacked "zalgo" text that overlays neighbouring lines). */
const MARK_STACK = /(\p{M}{2})\p{M}+/gu;
const MARKS = /\p{M}/gu;

/**
 * Look-alikes folded in the skeleton: Cyrillic, Greek and other letters that render like Latin ones, and
 * characters that render like `.`, `/` and `:` without being them (after NFKD, which handles fullwidth forms).
 */
const CONFUSABLES: Record<string, string> = {
  // Cyrillic
  а: 'a', в: 'b', е: 'e', һ: 'h', і: 'i', ј: 'j', к: 'k', ӏ: 'l', м: 'm', н: 'h', о: 'o', р: 'p', с: 'c', т: 't',
  у: 'y', х: 'x', ѕ: 's', ԁ: 'd', ԛ: 'q', ԝ: 'w', ү: 'y', ɡ: 'g',
  А: 'A', В: 'B', Е: 'E', Һ: 'H', І: 'I', Ј: 'J', К: 'K', Ӏ: 'I', М: 'M', Н: 'H', О: 'O', Р: 'P', С: 'C', Т: 'T',
  У: 'Y', Х: 'X', Ѕ: 'S', Ԛ: 'Q', Ԝ: 'W', Ү: 'Y',
  // Greek
  α: 'a', β: 'b', γ: 'y', ε: 'e', ι: 'i', κ: 'k', ν: 'v', ο: 'o', ρ: 'p', τ: 't', υ: 'u', χ: 'x', ϲ: 'c', ϳ: 'j',
  Α: 'A', Β: 'B', Ε: 'E', Ζ: 'Z', Η: 'H', Ι: 'I', Κ: 'K', Μ: 'M', Ν: 'N', Ο: 'O', Ρ: 'P', Τ: 'T', Υ: 'Y', Χ: 'X', Ϲ: 'C',
  // Armenian, Latin extensions
  օ: 'o', ս: 'u', ց: 'g', ı: 'i', ȷ: 'j', ł: 'l', ß: 'ss',
  // dots, slashes, colons
  '\u3002': '.', '\u0701': '.', '\u0702': '.', '\u2e3c': '.', '\ua60e': '.', '\u06d4': '.', '\u00b7': '.', '\u2027': '.',
  '\u2215': '/', '\u2044': '/', '\u29f8': '/', '\u2571': '/', '\u27cb': '/', '\u1735': '/', '\u2cc6': '/',
  '\u2236': ':', '\ua789': ':', '\u02f8': ':', '\u05c3': ':', '\u0589': ':', '\u1361': ':', '\u16ec': ':', '\u205a': ':', '\u2e2c': ':',
};
const CONFUSABLE_CHARS = new RegExp(`[${Object.keys(CONFUSABLES).join('').replace(/[\]\\^-]/g, '\\$&')}]`, 'gu');

/** Colon schemes that open something when clicked (not followed by `//`). */
const COLON_SCHEMES = /(javascript|vbscript|livescript|mailto|data|file|tel|sms|callto|facetime|skype|intent|blob|view-source|webcal|itms|market|ms-[a-z-]+)(\s*):/gi;
/** Any `scheme://`. */
const SCHEME_SEPARATOR = /:\/\//g;
const HTTP = /h(tt)(ps?)(?=\[:\/\/\])/gi;
const WWW = /www\./gi;
/** A dot between a label and a letter-led label of two or more characters: what makes `host.tld`. */
const DOMAIN_DOT = /(?<=[\p{L}\p{N}_-])\.(?=\p{L}[\p{L}\p{N}-])/gu;

/**
 * What a mail client or phone would turn into a link: a scheme (`x://`, `javascript:`, `mailto:` ...), `www.`,
 * or a bare domain-like `host.tld`. The tests use the same definition.
 */
const LINK_FORMS = ['[a-z][a-z0-9+.-]*:\\/\\/', '(?:javascript|vbscript|mailto|data|file|tel|sms):', 'www\\.'];
const DOMAIN_FORM = '[\\p{L}\\p{N}_-]\\.\\p{L}[\\p{L}\\p{N}-]';
export const CLICKABLE = new RegExp([...LINK_FORMS, DOMAIN_FORM].join('|'), 'iu');
const CLICKABLE_NO_DOMAIN = new RegExp(LINK_FORMS.join('|'), 'iu');

/** Any value as text: scalars by their string form, objects and arrays as JSON (iterative, bounded), missing as ''. */
export function toText(value: unknown, maxChars = 1_000_000): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return jsonText(value, { maxChars });
}

/**
 * The mark of a value cut short in safe text. A space first: a bare `...` after a cut `www` would make `www.`
 * again (a link to some clients), after a cut `host` a `host.` that autolinks with what follows.
 */
export const CUT_MARK = ' ...';

/** Cuts to at most `max` code points (never splitting a surrogate pair), marking the cut with `marker`. */
export function truncate(text: string, max: number, marker = '...'): string {
  if (text.length <= max) return text;
  const points = Array.from(text);
  if (points.length <= max) return text;
  const keep = Math.max(0, max - Array.from(marker).length);
  return points.slice(0, keep).join('') + marker.slice(0, Math.max(0, max - keep));
}

/** The form a word is checked in: compatibility-decomposed, marks stripped, look-alikes folded. */
export function skeleton(text: string): string {
  return text.normalize('NFKD').replace(MARKS, '').replace(CONFUSABLE_CHARS, (c) => CONFUSABLES[c]).normalize('NFKC');
}

/** Defangs every link form in (skeleton) text; `domains: false` keeps bare `host.tld` (rule-authored labels). */
function defang(text: string, domains: boolean): string {
  let out = text
    .replace(SCHEME_SEPARATOR, '[://]')
    .replace(HTTP, 'hxx$2')
    .replace(COLON_SCHEMES, '$1$2[:]')
    .replace(WWW, (m) => `${m.slice(0, 3)}[.]`);
  if (domains) out = out.replace(DOMAIN_DOT, '[.]');
  return out;
}

/** Normalised one-line text with every link-like word replaced by its defanged skeleton. */
function linkFree(text: string, domains: boolean): string {
  const words = text.split(' ');
  for (let i = 0; i < words.length; i++) {
    const word = words[i];
    // Plain ASCII letters and digits cannot hide a link: skip the Unicode work for them (the common case).
    if (/^[A-Za-z0-9_@'",;()+=!?*&%$#|~^-]*$/.test(word)) continue;
    const skel = skeleton(word);
    const test = domains ? CLICKABLE : CLICKABLE_NO_DOMAIN;
    if (test.test(skel)) words[i] = defang(skel, domains);
  }
  let out = words.join(' ');
  // Belt and braces: whatever the word split missed, the whole line's skeleton is checked once more.
  if ((domains ? CLICKABLE : CLICKABLE_NO_DOMAIN).test(skeleton(out))) out = defang(skeleton(out), domains);
  return out;
}

function oneLine(value: unknown, max: number, domains: boolean): string {
  // Cap before the regex work so a huge value costs little.
  const raw = toText(value, max * 4 + 16).slice(0, max * 4 + 16);
  const text = raw
    .replace(LONE_SURROGATE, '\ufffd')
    .replace(LINE_BREAKS, ' ')
    .replace(CONTROLS, ' ')
    .replace(INVISIBLE, '')
    .normalize('NFKC')
    .replace(INVISIBLE, '')
    .replace(MARK_STACK, '$1')
    .replace(/\s+/g, ' ')
    .trim();
  return truncate(linkFree(text, domains).replace(/</g, '\u2039').replace(/>/g, '\u203a'), max, CUT_MARK);
}

/**
 * One attacker-controlled value as a single safe line: invisible characters removed, normalised, whitespace
 * collapsed, every link form defanged (schemes, `www.`, bare domains), `<` `>` replaced, at most `max` code points.
 */
export function safeLine(value: unknown, max: number): string {
  return oneLine(value, max, true);
}

/**
 * A rule-authored label (rule title or id, a field path such as `data.ip`, a tag) as one safe line: as
 * `safeLine`, except that dotted names are not taken for domains (`data.ip` stays readable).
 */
export function safeLabel(value: unknown, max: number): string {
  return oneLine(value, max, false);
}

/** Rule-authored multi-line text (description, references): newlines kept, invisible characters removed, cut. */
export function safeBlock(value: unknown, max: number): string {
  const raw = toText(value, max * 4 + 16).slice(0, max * 4 + 16);
  const text = raw
    .replace(/\r\n?/g, '\n')
    .replace(/[\u000b\u000c\u0085\u2028\u2029]/g, '\n')
    .replace(/\t/g, ' ')
    .replace(LONE_SURROGATE, '\ufffd')
    .replace(CONTROLS_KEEP_NEWLINE, ' ')
    .replace(INVISIBLE, '')
    .normalize('NFKC')
    .replace(MARK_STACK, '$1')
    .replace(/[^\S\n]+/g, ' ')
    .replace(/ *\n */g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .replace(/</g, '\u2039')
    .replace(/>/g, '\u203a')
    .trim();
  return truncate(text, max);
}

/**
 * Plain printable ASCII (0x20-0x7e) for SMS and the email subject: the value made safe (`safeLine`), then
 * accents dropped (é → e) and any other non-ASCII character replaced by `?`. At most `max` characters.
 */
export function toAscii(value: unknown, max: number): string {
  const line = safeLine(value, Math.max(1, max) * 2)
    .replace(/\u2039/g, '<')
    .replace(/\u203a/g, '>')
    .normalize('NFKD')
    .replace(MARKS, '');
  let out = '';
  for (const ch of line) {
    const code = ch.codePointAt(0)!;
    out += code >= 0x20 && code <= 0x7e ? ch : '?';
  }
  return truncate(out.replace(/\s+/g, ' ').trim(), Math.max(0, max), CUT_MARK);
}

const CHAT_MENTION = /([@!])(here|channel|everyone|all|group)\b/gi;

/**
 * Text for chat messages (Slack mrkdwn, Microsoft Teams): `safeLine` (or `safeLabel` for rule-authored labels),
 * then `&` escaped as Slack requires (`<` `>` are already replaced) and broadcast mentions (`@here`, `@channel`,
 * `@everyone`, `!here` ...) broken, so log content can neither link nor page a whole channel.
 */
export function chatText(value: unknown, max: number, origin: 'event' | 'rule' = 'event'): string {
  const line = origin === 'rule' ? safeLabel(value, max) : safeLine(value, max);
  return truncate(line.replace(/&/g, '&amp;').replace(CHAT_MENTION, '$1[$2]'), max, CUT_MARK);
}

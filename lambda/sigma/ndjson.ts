// Streaming reader for log input: NDJSON, one JSON array, or a sequence of pretty-printed objects (what `jq .`
// or an editor writes), told apart by the start of the input: `[` is an array, a first line that is `{` alone
// is a pretty-printed sequence, anything else NDJSON (one item per line, so a broken line never hides the next).
// The reader is fed text chunks (any size, any split point) and calls back once per item, so a multi-gigabyte
// export is never held in memory and an array is split into its top-level elements as the bytes arrive.
// No `fs` here: the caller opens the file and pushes chunks (the engine directory stays free of I/O).
//
// Cost is linear in the input whatever its shape: every chunk is scanned once, from where the previous scan
// stopped, and the text of an unfinished item is kept as a list of pieces joined once when the item ends. An item
// (an NDJSON line, an array element, a pretty-printed object) longer than `maxItemBytes` is reported with its
// line and skipped without being kept: one line without a newline cannot exhaust memory.

export type InputFormat = 'ndjson' | 'json-array' | 'json-seq';

/** Called for each well-formed item: its parsed value, the 1-based line where it starts and its JSON text. */
export type ItemHandler = (value: unknown, line: number, text: string) => void;
/**
 * Called for each problem in the input. `lostItem` is true when an item was skipped (it could not be parsed),
 * false for a structural remark that loses nothing (text after the array, a missing final "]").
 */
export type MalformedHandler = (line: number, message: string, lostItem: boolean) => void;

const NEWLINE = 10;
const CARRIAGE_RETURN = 13;
const QUOTE = 34;
const BACKSLASH = 92;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;
const COMMA = 44;

function isBlank(code: number): boolean {
  return code === 32 || code === 9 || code === NEWLINE || code === CARRIAGE_RETURN || code === 0xfeff;
}

/**
 * JSON.parse's message without the input snippet newer V8 versions quote (an event's content must not reach
 * logs) and with the position turned into a column within the item.
 */
function parseErrorMessage(err: unknown): string {
  let text = err instanceof Error ? err.message : String(err);
  text = text.replace(/,\s*"[\s\S]*" is not valid JSON$/, '');
  let column = '';
  const at = /\s*(?:in JSON )?at position (\d+)(?:\s*\(line \d+ column \d+\))?/.exec(text);
  if (at) {
    column = ` (column ${Number(at[1]) + 1} of the item)`;
    text = text.slice(0, at.index) + text.slice(at.index + at[0].length);
  }
  text = text.replace(/ in JSON$/, '');
  if (text.length > 120) text = `${text.slice(0, 120)}…`;
  return `invalid JSON: ${text}${column}`;
}

/** Largest item kept by default: 1 MiB, four times the largest EventBridge event (256 KB). */
export const DEFAULT_MAX_ITEM_BYTES = 1024 * 1024;

export interface JsonItemReaderOptions {
  /** Items longer than this (UTF-8 bytes of their JSON text) are reported and skipped. Default DEFAULT_MAX_ITEM_BYTES. */
  maxItemBytes?: number;
  /**
   * Read the input as this format instead of telling it from the start: a part of a larger NDJSON file that
   * does not begin at the file's start (the parallel scan) is NDJSON whatever its first line looks like.
   */
  format?: InputFormat;
}

/** UTF-8 size of a piece of text; a UTF-16 unit is at most 3 bytes, so the exact count is needed only near the limit. */
function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/**
 * The text of one unfinished item, as pieces (joining on every chunk would copy the item again and again).
 * `over` turns true once the item is longer than the limit; its text is then dropped.
 */
class ItemText {
  private pieces: string[] = [];
  private chars = 0;
  /** Exact UTF-8 bytes, kept only once `chars` is large enough for the limit to matter (undefined before). */
  private bytes: number | undefined;
  over = false;

  constructor(private readonly limit: number) {}

  get empty(): boolean {
    return this.pieces.length === 0;
  }

  /** Appends a piece; false when the item just went over the limit (its text is then dropped). */
  add(piece: string): boolean {
    if (this.over) return false;
    if (piece.length === 0) return true;
    this.pieces.push(piece);
    this.chars += piece.length;
    if (this.exceeds(piece)) {
      this.drop();
      this.over = true;
      return false;
    }
    return true;
  }

  /** The whole text (the pieces joined once) and a reset; undefined when the item went over the limit. */
  take(): string | undefined {
    const text = this.over ? undefined : this.pieces.length === 1 ? this.pieces[0] : this.pieces.join('');
    this.drop();
    this.over = false;
    return text;
  }

  private exceeds(piece: string): boolean {
    if (this.chars > this.limit) return true;
    if (this.chars * 3 <= this.limit) return false;
    if (this.bytes === undefined) {
      this.bytes = 0;
      for (const p of this.pieces) this.bytes += utf8Bytes(p);
    } else {
      this.bytes += utf8Bytes(piece);
    }
    return this.bytes > this.limit;
  }

  private drop(): void {
    this.pieces = [];
    this.chars = 0;
    this.bytes = undefined;
  }
}

/**
 * Splits a text stream into JSON items. Usage: `push(chunk)` for every chunk, then `end()`.
 * Items are delivered synchronously from `push`/`end`; a malformed or oversized item is reported and skipped.
 */
export class JsonItemReader {
  private mode: InputFormat | undefined;
  private readonly maxItemBytes: number;
  /** Before the format is known: the text so far (blanks, maybe a `{` and blanks after it). */
  private head: string[] = [];
  private headSawBrace = false;
  /** Line of the scan position (NDJSON: the line being read). */
  private line = 1;
  /** The unfinished item's text. */
  private readonly item: ItemText;
  // Structural scanner state (arrays and pretty-printed sequences), kept across chunks.
  private inElement = false;
  private elementLine = 0;
  private depth = 0;
  private inString = false;
  /** The previous chunk ended inside a string with an odd run of backslashes: the next character is escaped. */
  private escapeCarry = false;
  private arrayOpened = false;
  private arrayClosed = false;
  private trailingReported = false;
  private expectingElement = true;
  private itemCount = 0;

  constructor(
    private readonly onItem: ItemHandler,
    private readonly onMalformed: MalformedHandler,
    options: JsonItemReaderOptions = {},
  ) {
    const max = options.maxItemBytes ?? DEFAULT_MAX_ITEM_BYTES;
    if (!Number.isSafeInteger(max) || max < 1) throw new RangeError(`maxItemBytes must be a positive integer (got ${max})`);
    this.maxItemBytes = max;
    this.item = new ItemText(max);
    if (options.format !== undefined) {
      this.mode = options.format;
      if (this.mode !== 'ndjson') this.arrayOpened = this.mode === 'json-seq';
    }
  }

  /** The line the next character read belongs to (1-based): with NDJSON, one more than the lines ended so far. */
  get nextLine(): number {
    return this.line;
  }

  /** The detected format, once the first non-blank character has arrived. */
  get format(): InputFormat | undefined {
    return this.mode;
  }

  /** Items delivered or reported so far. */
  get items(): number {
    return this.itemCount;
  }

  push(chunk: string): void {
    if (chunk.length === 0) return;
    if (this.mode === undefined) {
      this.head.push(chunk);
      if (!this.detectFormat(chunk, false)) return;
      const head = this.head;
      this.head = [];
      for (const piece of head) this.scan(piece);
      return;
    }
    this.scan(chunk);
  }

  /** Call once at end of input: flushes the last line, reports an unterminated array. */
  end(): void {
    if (this.mode === undefined) {
      this.detectFormat('', true);
      const head = this.head;
      this.head = [];
      for (const piece of head) this.scan(piece);
    }
    if (this.mode === 'ndjson') {
      if (!this.item.empty || this.item.over) this.endLine('', 0, 0);
    } else if (this.mode === 'json-array') {
      if (!this.arrayClosed) {
        if (this.inElement) {
          if (!this.item.over) this.report(this.elementLine, 'unterminated array element at end of input (missing "}", "]" or closing quote?)');
          this.item.take();
        } else {
          this.onMalformed(this.line, 'the JSON array is not closed: "]" missing at end of input', false);
        }
      }
    } else if (this.mode === 'json-seq') {
      if (this.inElement) {
        if (this.depth === 0 && !this.inString) this.finishElement('', 0, 0);
        else {
          if (!this.item.over) this.report(this.elementLine, 'unterminated JSON value at end of input (missing "}", "]" or closing quote?)');
          this.item.take();
        }
      }
    }
  }

  private scan(chunk: string): void {
    if (this.mode === 'ndjson') this.scanLines(chunk);
    else this.scanStructure(chunk);
  }

  /**
   * Decides the format from the start of the input, looking only at the new chunk: `[` is an array; `{` alone
   * on its line a pretty-printed sequence; anything else NDJSON. False while more text is needed.
   */
  private detectFormat(chunk: string, atEnd: boolean): boolean {
    for (let i = 0; i < chunk.length && this.mode === undefined; i++) {
      const c = chunk.charCodeAt(i);
      if (this.headSawBrace) {
        if (c === NEWLINE) this.mode = 'json-seq';
        else if (c !== 32 && c !== 9 && c !== CARRIAGE_RETURN) this.mode = 'ndjson';
      } else if (!isBlank(c)) {
        if (c === OPEN_BRACKET) this.mode = 'json-array';
        else if (c === OPEN_BRACE) this.headSawBrace = true;
        else this.mode = 'ndjson';
      }
    }
    if (this.mode === undefined && atEnd) this.mode = this.headSawBrace ? 'json-seq' : 'ndjson';
    if (this.mode === undefined) return false;
    // Both structural modes share the scanner; a sequence has no enclosing brackets.
    if (this.mode !== 'ndjson') this.arrayOpened = this.mode === 'json-seq';
    return true;
  }

  private report(line: number, message: string): void {
    this.itemCount++;
    this.onMalformed(line, message, true);
  }

  private reportOversized(line: number, what: string): void {
    this.report(line, `${what} longer than ${this.maxItemBytes} bytes skipped (the largest EventBridge event is 256 KB; raise the limit with --max-item-size if these are real events)`);
  }

  private deliver(text: string, line: number): void {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      this.report(line, parseErrorMessage(err));
      return;
    }
    this.itemCount++;
    this.onItem(value, line, text);
  }

  // ---- NDJSON ----------------------------------------------------------------------------------------------

  private scanLines(chunk: string): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf('\n', start);
      if (nl < 0) break;
      this.endLine(chunk, start, nl);
      start = nl + 1;
    }
    if (start < chunk.length && !this.item.add(chunk.slice(start)) && this.item.over) {
      // Reported once, when the line goes over; the rest of it is dropped as it arrives.
      if (!this.overReported) this.reportOversized(this.line, 'line');
      this.overReported = true;
    }
  }

  private overReported = false;

  /** The current line ends at chunk[end] (a newline, or the end of input). */
  private endLine(chunk: string, start: number, end: number): void {
    const line = this.line;
    this.line++;
    if (this.item.empty && !this.item.over) {
      const text = this.trimmed(chunk, start, end);
      if (text === undefined) return;
      if (this.tooLong(text)) this.reportOversized(line, 'line');
      else this.deliver(text, line);
      return;
    }
    this.item.add(chunk.slice(start, end));
    const whole = this.item.take();
    const reported = this.overReported;
    this.overReported = false;
    if (whole === undefined) {
      if (!reported) this.reportOversized(line, 'line');
      return;
    }
    const text = this.trimmed(whole, 0, whole.length);
    if (text !== undefined) this.deliver(text, line);
  }

  /** The text between start and end without surrounding blanks (and a trailing \r of CRLF files); undefined if blank. */
  private trimmed(text: string, start: number, end: number): string | undefined {
    let s = start;
    let e = end;
    while (s < e && isBlank(text.charCodeAt(s))) s++;
    while (e > s && isBlank(text.charCodeAt(e - 1))) e--;
    return s === e ? undefined : text.slice(s, e);
  }

  private tooLong(text: string): boolean {
    if (text.length > this.maxItemBytes) return true;
    return text.length * 3 > this.maxItemBytes && utf8Bytes(text) > this.maxItemBytes;
  }

  // ---- arrays and pretty-printed sequences -----------------------------------------------------------------

  /**
   * The structural scanner: tracks strings (crossed with indexOf), nesting depth and top-level separators over
   * one chunk; the state lives in locals during the loop and is stored back at the end of the chunk.
   */
  private scanStructure(text: string): void {
    const n = text.length;
    const seq = this.mode === 'json-seq';
    let i = 0;
    let line = this.line;
    let depth = this.depth;
    let inString = this.inString;
    /** Where the current element's text starts in this chunk (0 when it began in an earlier chunk), or -1. */
    let start = this.inElement ? 0 : -1;
    let nextNewline = text.indexOf('\n');
    const finish = (end: number): void => {
      this.finishElement(text, start, end);
      start = -1;
    };
    while (i < n) {
      if (inString) {
        const q = this.closingQuote(text, i);
        const end = q < 0 ? n : q;
        // Raw newlines in a string are invalid JSON, but counting them keeps later line numbers right.
        while (nextNewline >= 0 && nextNewline < end) {
          line++;
          nextNewline = text.indexOf('\n', nextNewline + 1);
        }
        if (q < 0) {
          i = n;
          break;
        }
        inString = false;
        i = q + 1;
        continue;
      }
      const c = text.charCodeAt(i);
      if (c === NEWLINE) {
        // In a sequence, a value that is not an object or array (an error) ends with its line.
        if (seq && start >= 0 && depth === 0) finish(i);
        line++;
        nextNewline = text.indexOf('\n', i + 1);
        i++;
        continue;
      }
      if (start >= 0) {
        if (c === QUOTE) {
          inString = true;
          this.escapeCarry = false;
        } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
          depth++;
        } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
          if (seq) {
            depth--;
            if (depth <= 0) {
              finish(i + 1);
              depth = 0;
            }
          } else if (depth === 0 && c === CLOSE_BRACKET) {
            // The array's own closing bracket ends the last element.
            finish(i);
            this.arrayClosed = true;
          } else {
            depth--;
          }
        } else if (c === COMMA && !seq && depth <= 0) {
          // A comma at the top level of the array ends the element.
          finish(i);
          this.expectingElement = true;
        }
        i++;
        continue;
      }
      // Outside any element: blanks, the opening "[", commas, the closing "]", text after it.
      if (this.arrayClosed) {
        if (!isBlank(c) && !this.trailingReported) {
          this.trailingReported = true;
          this.onMalformed(line, 'unexpected text after the closing "]" of the JSON array (ignored)', false);
        }
        i++;
        continue;
      }
      if (!this.arrayOpened) {
        if (c === OPEN_BRACKET) this.arrayOpened = true;
        i++;
        continue;
      }
      if (isBlank(c)) {
        i++;
        continue;
      }
      if (!seq && c === CLOSE_BRACKET) {
        this.arrayClosed = true;
        i++;
        continue;
      }
      if (!seq && c === COMMA) {
        if (this.expectingElement) this.report(line, 'empty array element (two commas in a row, or a comma right after "[")');
        this.expectingElement = true;
        i++;
        continue;
      }
      // An element starts here; the element branch reads it from this very character.
      start = i;
      this.inElement = true;
      this.elementLine = line;
      depth = 0;
    }
    if (start >= 0) {
      // The element goes on in the next chunk: keep its text so far (unless it is already too long).
      if (inString) this.escapeCarry = trailingBackslashesOdd(text, start, this.escapeCarry);
      if (!this.item.add(text.slice(start)) && this.item.over && !this.overReported) {
        this.overReported = true;
        this.reportOversized(this.elementLine, this.mode === 'json-seq' ? 'JSON value' : 'array element');
      }
    }
    this.depth = depth;
    this.inString = inString;
    this.line = line;
  }

  /**
   * Index of the quote closing the current string at or after `from`: a quote preceded by an even run of
   * backslashes (a run reaching the chunk's start continues the previous chunk's), or -1.
   */
  private closingQuote(text: string, from: number): number {
    let q = text.indexOf('"', from);
    while (q >= 0) {
      let backslashes = 0;
      let b = q - 1;
      for (; b >= 0 && text.charCodeAt(b) === BACKSLASH; b--) backslashes++;
      if (b < 0 && this.escapeCarry) backslashes++;
      if (backslashes % 2 === 0) return q;
      q = text.indexOf('"', q + 1);
    }
    return -1;
  }

  private finishElement(text: string, start: number, end: number): void {
    const line = this.elementLine;
    this.inElement = false;
    this.expectingElement = false;
    const wasReported = this.overReported;
    this.overReported = false;
    let whole: string | undefined;
    if (this.item.empty && !this.item.over) {
      whole = text.slice(start, end);
    } else {
      this.item.add(text.slice(start, end));
      whole = this.item.take();
    }
    if (whole === undefined || this.tooLong(whole)) {
      if (!wasReported) this.reportOversized(line, this.mode === 'json-seq' ? 'JSON value' : 'array element');
      return;
    }
    let e = whole.length;
    while (e > 0 && isBlank(whole.charCodeAt(e - 1))) e--;
    this.deliver(e === whole.length ? whole : whole.slice(0, e), line);
  }
}

/** Whether text[from..] ends with an odd run of backslashes (a run covering all of it continues `carry`). */
function trailingBackslashesOdd(text: string, from: number, carry: boolean): boolean {
  let run = 0;
  let b = text.length - 1;
  for (; b >= from && text.charCodeAt(b) === BACKSLASH; b--) run++;
  const odd = run % 2 === 1;
  return b < from && from === 0 ? odd !== carry : odd;
}

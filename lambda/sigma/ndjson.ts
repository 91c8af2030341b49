// Streaming reader for log input: NDJSON, one JSON array, or a sequence of pretty-printed objects (what `jq .`
// or an editor writes), told apart by the start of the input: `[` is an array, a first line that is `{` alone
// is a pretty-printed sequence, anything else NDJSON (one item per line, so a broken line never hides the next).
// The reader is fed text chunks (any size, any split point) and calls back once per item, so a multi-gigabyte
// export is never held in memory and an array is split into its top-level elements as the bytes arrive.
// No `fs` here: the caller opens the file and pushes chunks (the engine directory stays free of I/O).

export type InputFormat = 'ndjson' | 'json-array' | 'json-seq';

/** Called for each well-formed item: its parsed value and the 1-based line where it starts. */
export type ItemHandler = (value: unknown, line: number) => void;
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

/** Index of the quote closing a string whose content starts at `from` (a quote after an even run of backslashes), or -1. */
function stringEnd(text: string, from: number): number {
  let q = text.indexOf('"', from);
  while (q >= 0) {
    let backslashes = 0;
    for (let b = q - 1; b >= 0 && text.charCodeAt(b) === BACKSLASH; b--) backslashes++;
    if (backslashes % 2 === 0) return q;
    q = text.indexOf('"', q + 1);
  }
  return -1;
}

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

/**
 * Splits a text stream into JSON items. Usage: `push(chunk)` for every chunk, then `end()`.
 * Items are delivered synchronously from `push`/`end`; a malformed item is reported and skipped.
 */
export class JsonItemReader {
  private mode: InputFormat | undefined;
  /** Text not yet consumed (a partial line, or the current array element so far). */
  private pending = '';
  /** Line number of the first character of `pending`. */
  private pendingLine = 1;
  // JSON-array scanner state, kept across chunks so each character is looked at once.
  private scanPos = 0;
  private scanLine = 1;
  private depth = 0;
  private inString = false;
  private elementStart = -1;
  private elementLine = 0;
  private arrayOpened = false;
  private arrayClosed = false;
  private trailingReported = false;
  private expectingElement = true;
  private itemCount = 0;

  constructor(
    private readonly onItem: ItemHandler,
    private readonly onMalformed: MalformedHandler,
  ) {}

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
    this.pending += chunk;
    if (this.mode === undefined && !this.detectFormat(false)) return;
    if (this.mode === 'ndjson') this.drainLines(false);
    else this.scanArray();
  }

  /** Decides the format from the start of the input; false while more text is needed. */
  private detectFormat(atEnd: boolean): boolean {
    const text = this.pending;
    let i = 0;
    while (i < text.length && isBlank(text.charCodeAt(i))) i++;
    if (i === text.length) return false; // only blanks so far
    const first = text.charCodeAt(i);
    if (first === OPEN_BRACKET) {
      this.mode = 'json-array';
    } else if (first === OPEN_BRACE) {
      const nl = text.indexOf('\n', i);
      if (nl < 0 && !atEnd) return false; // the first line is not complete yet
      const firstLine = text.slice(i, nl < 0 ? text.length : nl).trim();
      this.mode = firstLine === '{' ? 'json-seq' : 'ndjson';
    } else {
      this.mode = 'ndjson';
    }
    if (this.mode !== 'ndjson') {
      // Both structural modes share the scanner; a sequence has no enclosing brackets.
      this.arrayOpened = this.mode === 'json-seq';
    }
    return true;
  }

  /** Call once at end of input: flushes the last line, reports an unterminated array. */
  end(): void {
    if (this.mode === undefined) this.detectFormat(true);
    if (this.mode === 'ndjson') {
      this.drainLines(true);
    } else if (this.mode === 'json-array') {
      this.scanArray();
      if (!this.arrayClosed) {
        if (this.elementStart >= 0) {
          this.report(this.elementLine, 'unterminated array element at end of input (missing "}", "]" or closing quote?)');
        } else {
          this.onMalformed(this.scanLine, 'the JSON array is not closed: "]" missing at end of input', false);
        }
      }
      this.pending = '';
    } else if (this.mode === 'json-seq') {
      this.scanArray();
      if (this.elementStart >= 0) {
        if (this.depth === 0 && !this.inString) this.finishElement(this.pending, 0, this.pending.length, this.elementLine);
        else this.report(this.elementLine, 'unterminated JSON value at end of input (missing "}", "]" or closing quote?)');
      }
      this.pending = '';
    }
  }

  private report(line: number, message: string): void {
    this.itemCount++;
    this.onMalformed(line, message, true);
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
    this.onItem(value, line);
  }

  private drainLines(atEnd: boolean): void {
    const text = this.pending;
    let start = 0;
    let line = this.pendingLine;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) break;
      this.deliverLine(text, start, nl, line);
      start = nl + 1;
      line++;
    }
    if (atEnd && start < text.length) {
      this.deliverLine(text, start, text.length, line);
      start = text.length;
    }
    this.pending = start === 0 ? text : text.slice(start);
    this.pendingLine = line;
  }

  private deliverLine(text: string, start: number, end: number, line: number): void {
    // Skip blank lines (and a trailing \r of CRLF files) without building a string for them.
    let s = start;
    let e = end;
    while (s < e && isBlank(text.charCodeAt(s))) s++;
    while (e > s && isBlank(text.charCodeAt(e - 1))) e--;
    if (s === e) return;
    this.deliver(text.slice(s, e), line);
  }

  /**
   * The structural scanner for arrays and pretty-printed sequences. Strings (most of the bytes) are crossed
   * with indexOf; the state lives in locals during the loop and is stored back once per chunk.
   */
  private scanArray(): void {
    const text = this.pending;
    const n = text.length;
    const seq = this.mode === 'json-seq';
    let i = this.scanPos;
    let line = this.scanLine;
    let depth = this.depth;
    let inString = this.inString;
    let start = this.elementStart;
    let startLine = this.elementLine;
    let nextNewline = text.indexOf('\n', i);
    const finish = (end: number): void => {
      this.finishElement(text, start, end, startLine);
      start = -1;
    };
    while (i < n) {
      if (inString) {
        const q = stringEnd(text, i);
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
      startLine = line;
      depth = 0;
    }
    // Keep only the current element's text (or nothing) for the next chunk.
    if (start >= 0) {
      this.pending = text.slice(start);
      this.scanPos = i - start;
      this.elementStart = 0;
    } else {
      this.pending = '';
      this.scanPos = 0;
      this.elementStart = -1;
    }
    this.elementLine = startLine;
    this.depth = depth;
    this.inString = inString;
    this.scanLine = line;
  }

  private finishElement(text: string, start: number, end: number, line: number): void {
    let e = end;
    while (e > start && isBlank(text.charCodeAt(e - 1))) e--;
    this.deliver(text.slice(start, e), line);
    this.expectingElement = false;
  }

}

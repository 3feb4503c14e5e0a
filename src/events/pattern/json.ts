/**
 * A strict JSON reader for pattern text. JSON.parse would do for the values, but EventBridge answers malformed
 * patterns with the messages of its parser (Jackson), e.g. `Unrecognized token 'this': was expecting (JSON String,
 * Number, Array, Object or token 'null', 'true' or 'false')` followed by `at [Source: (String)"…"; line: 1,
 * column: 5]`, and clients compare them. So this reader words its errors like Jackson and reports Jackson's
 * line/column. Duplicate keys: the last one wins, as in event-ruler (JSON.parse agrees).
 */

export class JsonSyntaxError extends Error {
  constructor(
    readonly reason: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(reason);
  }
}

/** Thrown instead of a value when the root token is not `{`, as event-ruler checks the first token before the rest. */
export class NotAnObjectError extends Error {
  constructor(
    readonly line: number,
    readonly column: number,
  ) {
    super('Filter is not an object');
  }
}

const VALID_VALUES = "(JSON String, Number, Array, Object or token 'null', 'true' or 'false')";
// Jackson stops quoting an unrecognized token after this many characters.
const MAX_TOKEN_IN_ERROR = 256;

/** Jackson's `[Source: …; line: L, column: C]`, with its 500-character cut of the source text. */
export function jacksonLocation(text: string, line: number, column: number): string {
  const shown = text.length > 500 ? `${text.slice(0, 500)}"[truncated ${text.length - 500} chars]` : `${text}"`;
  return `[Source: (String)"${shown}; line: ${line}, column: ${column}]`;
}

/** Parses one JSON object from `text`; anything but whitespace after it is an error. */
export function parseJsonObject(text: string): Record<string, unknown> {
  const reader = new Reader(text);
  reader.skipSpace();
  const first = reader.peek();
  if (first !== '{') {
    // event-ruler reads one token and refuses anything but `{`; an unreadable token is a syntax error instead.
    if (first === undefined) throw new NotAnObjectError(reader.line, reader.column());
    reader.firstToken();
    throw new NotAnObjectError(reader.line, reader.column());
  }
  const value = reader.value() as Record<string, unknown>;
  reader.skipSpace();
  const rest = reader.peek();
  if (rest !== undefined) reader.fail(`Unexpected character (${charDesc(rest)}): expected end of input after the pattern object`, 0);
  return value;
}

class Reader {
  private pos = 0;
  line = 1;
  private lineStart = 0;

  constructor(private readonly text: string) {}

  peek(): string | undefined {
    return this.pos < this.text.length ? this.text[this.pos] : undefined;
  }

  column(offset = 0): number {
    return this.pos + offset - this.lineStart + 1;
  }

  fail(reason: string, offset: number): never {
    throw new JsonSyntaxError(reason, this.line, this.column(offset));
  }

  skipSpace(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      if (c === 0x20 || c === 0x09 || c === 0x0d) this.pos++;
      else if (c === 0x0a) {
        this.pos++;
        this.line++;
        this.lineStart = this.pos;
      } else break;
    }
  }

  /** Consumes one token: the bracket of an array, or a whole scalar. */
  firstToken(): void {
    if (this.peek() === '[') this.pos++;
    else this.value();
  }

  /** Reads a value; callers have skipped space and checked that input remains. */
  value(): unknown {
    const c = this.peek()!;
    switch (c) {
      case '{':
        return this.object();
      case '[':
        return this.array();
      case '"':
        this.pos++;
        return this.string();
      default:
        if (c === '-' || (c >= '0' && c <= '9')) return this.number();
        return this.literal(c);
    }
  }

  private object(): Record<string, unknown> {
    const startLine = this.line;
    const startColumn = this.column();
    this.pos++;
    const out: Record<string, unknown> = {};
    this.skipSpace();
    if (this.peek() === '}') {
      this.pos++;
      return out;
    }
    for (;;) {
      this.skipSpace();
      const q = this.peek();
      if (q === undefined) this.endInside('OBJECT', startLine, startColumn);
      if (q !== '"') this.fail(`Unexpected character (${charDesc(q)}): was expecting double-quote to start field name`, 0);
      this.pos++;
      const key = this.string();
      this.skipSpace();
      const colon = this.peek();
      if (colon === undefined) this.endInside('OBJECT', startLine, startColumn);
      if (colon !== ':') {
        this.fail(`Unexpected character (${charDesc(colon)}): was expecting a colon to separate field name and value`, 0);
      }
      this.pos++;
      this.skipSpace();
      if (this.peek() === undefined) this.endInside('OBJECT', startLine, startColumn);
      const v = this.value();
      // Plain assignment to "__proto__" would set the prototype instead of a field.
      if (key === '__proto__') Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
      else out[key] = v;
      this.skipSpace();
      const sep = this.peek();
      if (sep === undefined) this.endInside('OBJECT', startLine, startColumn);
      this.pos++;
      if (sep === '}') return out;
      if (sep !== ',') {
        this.pos--;
        this.fail(`Unexpected character (${charDesc(sep)}): was expecting comma to separate Object entries`, 0);
      }
    }
  }

  private array(): unknown[] {
    const startLine = this.line;
    const startColumn = this.column();
    this.pos++;
    const out: unknown[] = [];
    this.skipSpace();
    if (this.peek() === ']') {
      this.pos++;
      return out;
    }
    for (;;) {
      this.skipSpace();
      const c = this.peek();
      if (c === undefined) this.endInside('ARRAY', startLine, startColumn);
      if (c === ']' || c === ',') this.fail(`Unexpected character (${charDesc(c)}): expected a valid value ${VALID_VALUES}`, 0);
      out.push(this.value());
      this.skipSpace();
      const sep = this.peek();
      if (sep === undefined) this.endInside('ARRAY', startLine, startColumn);
      this.pos++;
      if (sep === ']') return out;
      if (sep !== ',') {
        this.pos--;
        this.fail(`Unexpected character (${charDesc(sep)}): was expecting comma to separate Array entries`, 0);
      }
    }
  }

  private endInside(kind: 'OBJECT' | 'ARRAY', line: number, column: number): never {
    return this.fail(
      `Unexpected end-of-input: expected close marker for ${kind} (start marker at ${jacksonLocation(this.text, line, column)})`,
      0,
    );
  }

  /** Reads a string body; the opening quote is already consumed. */
  private string(): string {
    const t = this.text;
    let out = '';
    let runStart = this.pos;
    for (;;) {
      if (this.pos >= t.length) return this.fail('Unexpected end-of-input: was expecting closing quote for a string value', 0);
      const c = t.charCodeAt(this.pos);
      if (c === 0x22) {
        out += t.slice(runStart, this.pos);
        this.pos++;
        return out;
      }
      if (c < 0x20) {
        this.fail(
          `Illegal unquoted character (${charDesc(t[this.pos]!)}): has to be escaped using backslash to be included in string value`,
          1,
        );
      }
      if (c !== 0x5c) {
        this.pos++;
        continue;
      }
      out += t.slice(runStart, this.pos);
      this.pos++;
      if (this.pos >= t.length) return this.fail('Unexpected end-of-input in character escape sequence', 0);
      const e = t[this.pos]!;
      this.pos++;
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out += e;
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          let code = 0;
          for (let i = 0; i < 4; i++) {
            if (this.pos >= t.length) return this.fail('Unexpected end-of-input in character escape sequence', 0);
            const h = t[this.pos]!;
            const d = parseInt(h, 16);
            if (Number.isNaN(d)) {
              this.fail(`Unexpected character (${charDesc(h)}): expected a hex-digit for character escape sequence`, 1);
            }
            code = code * 16 + d;
            this.pos++;
          }
          out += String.fromCharCode(code);
          break;
        }
        default:
          this.fail(`Unrecognized character escape ${charDesc(e)}`, 0);
      }
      runStart = this.pos;
    }
  }

  private number(): number {
    const t = this.text;
    const start = this.pos;
    if (t[this.pos] === '-') {
      this.pos++;
      const d = t[this.pos];
      if (d === undefined || d < '0' || d > '9') {
        if (d === undefined) this.fail('Unexpected end-of-input in numeric value', 0);
        this.fail(`Unexpected character (${charDesc(d)}) in numeric value: expected digit (0-9) to follow minus sign, for valid numeric value`, 1);
      }
    }
    if (t[this.pos] === '0' && isDigit(t[this.pos + 1])) this.fail('Invalid numeric value: Leading zeroes not allowed', 1);
    while (isDigit(t[this.pos])) this.pos++;
    if (t[this.pos] === '.') {
      this.pos++;
      if (!isDigit(t[this.pos])) this.digitExpected('Decimal point not followed by a digit');
      while (isDigit(t[this.pos])) this.pos++;
    }
    if (t[this.pos] === 'e' || t[this.pos] === 'E') {
      this.pos++;
      if (t[this.pos] === '+' || t[this.pos] === '-') this.pos++;
      if (!isDigit(t[this.pos])) this.digitExpected('Exponent indicator not followed by a digit');
      while (isDigit(t[this.pos])) this.pos++;
    }
    return Number(t.slice(start, this.pos));
  }

  private digitExpected(why: string): never {
    const c = this.peek();
    if (c === undefined) return this.fail('Unexpected end-of-input in numeric value', 0);
    return this.fail(`Unexpected character (${charDesc(c)}) in numeric value: ${why}`, 1);
  }

  /** true, false, null, or Jackson's "Unrecognized token" (identifier run) / "Unexpected character" (anything else). */
  private literal(c: string): unknown {
    if (!IDENT_START.test(c)) {
      return this.fail(`Unexpected character (${charDesc(c)}): expected a valid value ${VALID_VALUES}`, 1);
    }
    const t = this.text;
    const start = this.pos;
    this.pos++;
    while (this.pos < t.length && this.pos - start < MAX_TOKEN_IN_ERROR && IDENT_PART.test(t[this.pos]!)) this.pos++;
    const token = t.slice(start, this.pos);
    if (token === 'true') return true;
    if (token === 'false') return false;
    if (token === 'null') return null;
    return this.fail(`Unrecognized token '${token}': was expecting ${VALID_VALUES}`, 0);
  }
}

// Java's Character.isJavaIdentifierStart/Part, which Jackson uses to cut the token it quotes.
const IDENT_START = /[\p{L}\p{Nl}\p{Sc}\p{Pc}]/u;
const IDENT_PART = /[\p{L}\p{Nl}\p{Sc}\p{Pc}\p{Nd}\p{Mn}\p{Mc}]/u;

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

/** Jackson's description of a character: `'x' (code 120)`, `(CTRL-CHAR, code 10)`. */
function charDesc(c: string): string {
  const code = c.codePointAt(0)!;
  if (code < 0x20) return `(CTRL-CHAR, code ${code})`;
  if (code > 255) return `'${c}' (code ${code} / 0x${code.toString(16)})`;
  return `'${c}' (code ${code})`;
}

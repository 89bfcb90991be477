/**
 * A safe reader for Python literals as `repr()` writes them (some MuSiQue copies store lists, dicts and
 * booleans that way: `"[{'id': 1, 'question': 'x'}]"`, `"True"`; Seal-Tools prompts carry `api_list = [{'api_name': …}]`). Lists, tuples, dicts, strings in either
 * quote style with escapes, numbers, True/False/None. Never evaluates anything.
 */

export class PythonLiteralError extends Error {}

const ESCAPES: Record<string, string> = {
  n: '\n',
  t: '\t',
  r: '\r',
  b: '\b',
  f: '\f',
  v: '\v',
  a: '\x07',
  '0': '\0',
  '\\': '\\',
  "'": "'",
  '"': '"',
  '\n': '',
};

class Reader {
  pos = 0;
  constructor(readonly src: string) {}

  fail(expected: string): never {
    const got = this.pos < this.src.length ? JSON.stringify(this.src.slice(this.pos, this.pos + 10)) : 'the end';
    throw new PythonLiteralError(`expected ${expected} at character ${this.pos}, got ${got}`);
  }

  skipSpace(): void {
    while (this.pos < this.src.length && /\s/.test(this.src[this.pos]!)) this.pos++;
  }

  value(): unknown {
    this.skipSpace();
    const c = this.src[this.pos];
    if (c === '[') return this.sequence(']');
    if (c === '(') return this.sequence(')');
    if (c === '{') return this.dict();
    if (c === "'" || c === '"' || ((c === 'u' || c === 'U') && /['"]/.test(this.src[this.pos + 1] ?? ''))) return this.strings();
    const word = /^(True|False|None)\b/.exec(this.src.slice(this.pos));
    if (word) {
      this.pos += word[0].length;
      return word[0] === 'True' ? true : word[0] === 'False' ? false : null;
    }
    const num = /^[-+]?(\d[\d_]*\.?[\d_]*|\.\d[\d_]*)([eE][-+]?\d+)?/.exec(this.src.slice(this.pos));
    if (num) {
      this.pos += num[0].length;
      return Number(num[0].replaceAll('_', ''));
    }
    return this.fail('a Python literal');
  }

  sequence(close: string): unknown[] {
    this.pos++; // the opening bracket
    const out: unknown[] = [];
    for (;;) {
      this.skipSpace();
      if (this.src[this.pos] === close) break;
      out.push(this.value());
      this.skipSpace();
      if (this.src[this.pos] === ',') this.pos++;
      else if (this.src[this.pos] !== close) this.fail(`"," or "${close}"`);
    }
    this.pos++;
    return out;
  }

  dict(): Record<string, unknown> {
    this.pos++;
    const out: Record<string, unknown> = {};
    for (;;) {
      this.skipSpace();
      if (this.src[this.pos] === '}') break;
      const key = this.value();
      if (key !== null && typeof key === 'object') this.fail('a string, number, True/False or None as a dict key');
      this.skipSpace();
      if (this.src[this.pos] !== ':') this.fail('":"');
      this.pos++;
      out[String(key === null ? 'None' : key === true ? 'True' : key === false ? 'False' : key)] = this.value();
      this.skipSpace();
      if (this.src[this.pos] === ',') this.pos++;
      else if (this.src[this.pos] !== '}') this.fail('"," or "}"');
    }
    this.pos++;
    return out;
  }

  /** One string, or adjacent ones ('a' 'b'), as Python joins them. */
  strings(): string {
    let out = this.string();
    for (;;) {
      const save = this.pos;
      this.skipSpace();
      const c = this.src[this.pos];
      if (c === "'" || c === '"') out += this.string();
      else {
        this.pos = save;
        return out;
      }
    }
  }

  string(): string {
    if (this.src[this.pos] === 'u' || this.src[this.pos] === 'U') this.pos++;
    const quote = this.src[this.pos]!;
    const triple = this.src.startsWith(quote.repeat(3), this.pos);
    const end = triple ? quote.repeat(3) : quote;
    this.pos += end.length;
    let out = '';
    for (;;) {
      if (this.pos >= this.src.length) this.fail(`a closing ${end}`);
      if (this.src.startsWith(end, this.pos)) {
        this.pos += end.length;
        return out;
      }
      const c = this.src[this.pos]!;
      if (c === '\n' && !triple) this.fail(`a closing ${end} before the line ends`);
      if (c !== '\\') {
        out += c;
        this.pos++;
        continue;
      }
      const e = this.src[this.pos + 1];
      if (e === undefined) this.fail('an escape after "\\"');
      const hex = e === 'x' ? 2 : e === 'u' ? 4 : e === 'U' ? 8 : 0;
      if (hex) {
        const digits = this.src.slice(this.pos + 2, this.pos + 2 + hex);
        if (!new RegExp(`^[0-9a-fA-F]{${hex}}$`).test(digits)) this.fail(`${hex} hex digits after \\${e}`);
        out += String.fromCodePoint(Number.parseInt(digits, 16));
        this.pos += 2 + hex;
      } else if (e in ESCAPES) {
        out += ESCAPES[e];
        this.pos += 2;
      } else {
        out += `\\${e}`; // Python keeps an unknown escape as written
        this.pos += 2;
      }
    }
  }
}

/** The value of a Python literal (tuples become arrays); PythonLiteralError when the text is not one. */
export function parsePythonLiteral(text: string): unknown {
  const reader = new Reader(text);
  const value = reader.value();
  reader.skipSpace();
  if (reader.pos !== text.length) reader.fail('the end of the literal');
  return value;
}

/**
 * For a field that should be a list, dict or boolean but may arrive as its Python repr: a string is parsed
 * (`"True"`, `"[...]"`); anything else, or a string that is not a literal, is returned as is so that the
 * field's schema reports it.
 */
export function fromPythonRepr(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return parsePythonLiteral(value);
  } catch (e) {
    if (e instanceof PythonLiteralError) return value;
    throw e;
  }
}

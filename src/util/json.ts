// The one JSON reader for anything safe-package must not misread: configuration files
// (errors name file, line and column — the original tool panicked instead) and files
// written in the jail (package.json, lockfiles) that review judges.
//
// A key given twice in one object is refused: with JSON.parse the last one silently
// wins while other tools take the first, so `{"scripts": {"postinstall": "curl|sh"},
// "scripts": {}}` would read as harmless here and run elsewhere. Nesting is bounded so a
// hostile file cannot exhaust the stack; plain values are built without a prototype so a
// `__proto__` key is just a key.

export interface Position {
  readonly line: number;
  readonly column: number;
}

export type JsonNode =
  | { kind: 'object'; pos: Position; entries: JsonEntry[] }
  | { kind: 'array'; pos: Position; items: JsonNode[] }
  | { kind: 'string'; pos: Position; value: string }
  | { kind: 'number'; pos: Position; value: number }
  | { kind: 'boolean'; pos: Position; value: boolean }
  | { kind: 'null'; pos: Position };

export interface JsonEntry {
  readonly key: string;
  readonly keyPos: Position;
  readonly value: JsonNode;
}

export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly pos: Position,
  ) {
    super(message);
  }
}

export function parseJson(text: string): JsonNode {
  const p = new Parser(text);
  p.skipSpace();
  const node = p.value();
  p.skipSpace();
  if (!p.atEnd()) p.fail(`unexpected ${p.describeHere()} after the end of the document`);
  return node;
}

export const MAX_DEPTH = 256;

/** Converts a node to the plain value JSON.parse would give (objects without a prototype). */
export function toPlain(node: JsonNode): unknown {
  switch (node.kind) {
    case 'object': {
      const obj = Object.create(null) as Record<string, unknown>;
      for (const e of node.entries) obj[e.key] = toPlain(e.value);
      return obj;
    }
    case 'array':
      return node.items.map(toPlain);
    case 'null':
      return null;
    default:
      return node.value;
  }
}

class Parser {
  private i = 0;
  private depth = 0;
  private line = 1;
  private lineStart = 0;

  constructor(private readonly s: string) {
    // A UTF-8 byte-order mark is harmless; skip it so positions match what editors show.
    if (s.charCodeAt(0) === 0xfeff) this.i = 1;
  }

  atEnd(): boolean {
    return this.i >= this.s.length;
  }

  pos(): Position {
    return { line: this.line, column: this.i - this.lineStart + 1 };
  }

  fail(message: string, pos: Position = this.pos()): never {
    throw new JsonSyntaxError(message, pos);
  }

  describeHere(): string {
    if (this.atEnd()) return 'end of file';
    const ch = this.s[this.i]!;
    return /[\x00-\x1f]/.test(ch) ? `control character U+${ch.charCodeAt(0).toString(16).padStart(4, '0')}` : `'${ch}'`;
  }

  skipSpace(): void {
    for (;;) {
      const ch = this.s[this.i];
      if (ch === ' ' || ch === '\t' || ch === '\r') this.i++;
      else if (ch === '\n') {
        this.i++;
        this.line++;
        this.lineStart = this.i;
      } else return;
    }
  }

  value(): JsonNode {
    const pos = this.pos();
    const ch = this.s[this.i];
    if ((ch === '{' || ch === '[') && ++this.depth > MAX_DEPTH) this.fail(`nested deeper than ${MAX_DEPTH} levels`);
    try {
      return this.valueAt(pos, ch);
    } finally {
      if (ch === '{' || ch === '[') this.depth--;
    }
  }

  private valueAt(pos: Position, ch: string | undefined): JsonNode {
    switch (ch) {
      case '{':
        return this.object(pos);
      case '[':
        return this.array(pos);
      case '"':
        return { kind: 'string', pos, value: this.string() };
      case 't':
        return this.literal('true', { kind: 'boolean', pos, value: true });
      case 'f':
        return this.literal('false', { kind: 'boolean', pos, value: false });
      case 'n':
        return this.literal('null', { kind: 'null', pos });
      default:
        if (ch === '-' || (ch !== undefined && ch >= '0' && ch <= '9')) return this.number(pos);
        return this.fail(`expected a value but found ${this.describeHere()}`);
    }
  }

  private literal(word: string, node: JsonNode): JsonNode {
    if (this.s.startsWith(word, this.i)) {
      this.i += word.length;
      return node;
    }
    return this.fail(`expected a value but found ${this.describeHere()}`);
  }

  private number(pos: Position): JsonNode {
    const m = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(this.s.slice(this.i));
    if (!m) return this.fail(`malformed number`);
    this.i += m[0].length;
    return { kind: 'number', pos, value: Number(m[0]) };
  }

  private string(): string {
    const start = this.pos();
    this.i++; // opening quote
    let out = '';
    for (;;) {
      if (this.atEnd()) this.fail('unterminated string', start);
      const ch = this.s[this.i]!;
      if (ch === '"') {
        this.i++;
        return out;
      }
      if (ch === '\n' || ch.charCodeAt(0) < 0x20) this.fail(`${this.describeHere()} inside a string (escape it)`);
      if (ch === '\\') {
        const esc = this.s[this.i + 1];
        const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
        if (esc !== undefined && esc in simple) {
          out += simple[esc];
          this.i += 2;
          continue;
        }
        if (esc === 'u') {
          const hex = this.s.slice(this.i + 2, this.i + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('malformed \\u escape');
          out += String.fromCharCode(parseInt(hex, 16));
          this.i += 6;
          continue;
        }
        this.fail(`unknown escape sequence '\\${esc ?? ''}'`);
      }
      out += ch;
      this.i++;
    }
  }

  private array(pos: Position): JsonNode {
    this.i++;
    const items: JsonNode[] = [];
    this.skipSpace();
    if (this.s[this.i] === ']') {
      this.i++;
      return { kind: 'array', pos, items };
    }
    for (;;) {
      this.skipSpace();
      items.push(this.value());
      this.skipSpace();
      const ch = this.s[this.i];
      if (ch === ',') {
        this.i++;
        this.skipSpace();
        if (this.s[this.i] === ']') this.fail(`trailing comma before ']'`);
        continue;
      }
      if (ch === ']') {
        this.i++;
        return { kind: 'array', pos, items };
      }
      this.fail(`expected ',' or ']' but found ${this.describeHere()}`);
    }
  }

  private object(pos: Position): JsonNode {
    this.i++;
    const entries: JsonEntry[] = [];
    const seen = new Set<string>();
    this.skipSpace();
    if (this.s[this.i] === '}') {
      this.i++;
      return { kind: 'object', pos, entries };
    }
    for (;;) {
      this.skipSpace();
      const keyPos = this.pos();
      if (this.s[this.i] !== '"') this.fail(`expected a quoted key but found ${this.describeHere()}`);
      const key = this.string();
      if (seen.has(key)) this.fail(`key "${key}" appears twice in the same object`, keyPos);
      seen.add(key);
      this.skipSpace();
      if (this.s[this.i] !== ':') this.fail(`expected ':' after key "${key}" but found ${this.describeHere()}`);
      this.i++;
      this.skipSpace();
      entries.push({ key, keyPos, value: this.value() });
      this.skipSpace();
      const ch = this.s[this.i];
      if (ch === ',') {
        this.i++;
        this.skipSpace();
        if (this.s[this.i] === '}') this.fail(`trailing comma before '}'`);
        continue;
      }
      if (ch === '}') {
        this.i++;
        return { kind: 'object', pos, entries };
      }
      this.fail(`expected ',' or '}' but found ${this.describeHere()}`);
    }
  }
}

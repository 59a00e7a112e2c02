// Which file names may be committed into the project.
//
// Names come from the jail, so they are attacker-chosen bytes. A name that moves
// (`..`), hides (control characters, bidirectional overrides that make `evil.js` read as
// something else in a review) or attacks whoever prints it (ANSI escape sequences that
// rewrite the user's terminal when the report is shown) is refused, never "cleaned":
// cleaning would commit a name the package manager did not write.

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The problem with one path segment, or null when it is acceptable. */
export function nameProblem(name: Uint8Array): string | null {
  if (name.length === 0) return 'empty name';
  let text: string;
  try {
    text = utf8.decode(name);
  } catch {
    return 'name is not valid UTF-8';
  }
  return textNameProblem(text);
}

/** Same as nameProblem, for a name already known to be valid UTF-8. */
export function textNameProblem(text: string): string | null {
  if (text === '.' || text === '..') return `'${text}' segment`;
  // Nearly every name in node_modules is plain printable ASCII without '/' or '\'.
  if (/^[\x20-\x2e\x30-\x5b\x5d-\x7e]+$/.test(text)) return null;
  if (text.includes('/')) return "name contains '/'";
  // Archive extractors and Windows tools split on backslashes: `..\..\x` is a traversal
  // for them even though it is one harmless name for Linux.
  if (text.split('\\').some((part) => part === '..')) return "name contains a '..' segment";
  if (/\x1b|\u009b/.test(text)) return 'name contains an ANSI escape sequence';
  if (/[\x00-\x1f\x7f-\x9f]/.test(text)) return 'name contains a control character';
  if (/[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/.test(text)) {
    return 'name contains a bidirectional-text control character';
  }
  return null;
}

/** The problem with a relative, '/'-separated path, or null. */
export function relPathProblem(path: string): string | null {
  if (path === '') return 'empty path';
  if (path.startsWith('/')) return 'absolute path';
  for (const seg of path.split('/')) {
    const p = textNameProblem(seg);
    if (p) return p;
    if (seg === '') return 'empty path segment';
  }
  return null;
}

/**
 * Shows bytes so that printing them is harmless: control characters, escape sequences,
 * bidirectional controls and invalid UTF-8 become `\xNN` / `\u{NNNN}`, backslash becomes `\\`.
 */
export function printable(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const len = utf8SequenceLength(bytes, i);
    if (len === 0) {
      out += `\\x${bytes[i]!.toString(16).padStart(2, '0')}`;
      i += 1;
      continue;
    }
    const ch = utf8.decode(bytes.subarray(i, i + len));
    const cp = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if ((cp >= 0x80 && cp <= 0x9f) || /[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/.test(ch)) {
      out += `\\u{${cp.toString(16)}}`;
    } else out += ch;
    i += len;
  }
  return out;
}

/** Length of a valid UTF-8 sequence at i, or 0 when the byte there does not start one. */
function utf8SequenceLength(b: Uint8Array, i: number): number {
  const c = b[i]!;
  let len: number;
  if (c < 0x80) return 1;
  else if (c >= 0xc2 && c <= 0xdf) len = 2;
  else if (c >= 0xe0 && c <= 0xef) len = 3;
  else if (c >= 0xf0 && c <= 0xf4) len = 4;
  else return 0;
  if (i + len > b.length) return 0;
  try {
    utf8.decode(b.subarray(i, i + len));
    return len;
  } catch {
    return 0;
  }
}

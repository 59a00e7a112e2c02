// The one escaper for untrusted text: anything that came from the jail, the network or
// the registry (file names, host names, package names, error messages) passes through
// here before it reaches a terminal, a log line or the report, so that escape sequences
// cannot rewrite the user's terminal and bidirectional controls cannot disguise a name.
//
//   neutralise(text)        a string: control characters, C1 controls, line and
//                           paragraph separators and bidirectional controls become
//                           \xNN / \uNNNN; backslashes stay (text escaped once stays
//                           readable when a message that quotes it is escaped again)
//   neutraliseBytes(bytes)  raw bytes (a file name from disk): the same, and invalid
//                           UTF-8 becomes \xNN, a backslash \\ (so that the shown form
//                           tells the bytes apart)
//   clipped(text, max)      neutralise, then cut to a sane length

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Replaces control characters and escape sequences with visible \xNN forms. Pure. */
export function neutralise(text: string): string {
  return text.replace(/[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (ch) => {
    const code = ch.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** neutralise, cut to `max` characters (with "..." when cut). Pure. */
export function clipped(text: string, max: number): string {
  const shown = neutralise(text);
  return shown.length > max ? `${shown.slice(0, max)}...` : shown;
}

/**
 * Shows bytes so that printing them is harmless: control characters, escape sequences,
 * bidirectional controls and invalid UTF-8 become `\xNN` / `\u{NNNN}`, backslash becomes `\\`.
 */
export function neutraliseBytes(bytes: Uint8Array): string {
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

// Output from the jail on its way to the user's terminal.
//
// A terminal is a program that obeys escape sequences: OSC 52 sets the clipboard, OSC 0
// the window title, OSC 8 makes links, some sequences make the terminal *answer* with
// text typed into the shell. So the jail never gets the terminal itself (a script could
// write to it through any inherited descriptor, /proc/1/fd/1 included): it gets pipes,
// and this filter passes on text, line control and the harmless sequences progress bars
// and colours use, and shows everything else as visible text (\x1b]...).

import { StringDecoder } from 'node:string_decoder';

/**
 * CSI sequences that only colour text or move within the current line (and down):
 * colours (m), erase in line (K), column (G), cursor down, forward, back (B, C, D).
 * Cursor up (A) is not among them: with it, erase-line reaches lines printed before, and
 * a package could erase a warning (or safe-package's own lines) and print its own.
 */
const ALLOWED_CSI_FINAL = new Set(['m', 'K', 'G', 'B', 'C', 'D']);
const MAX_SEQUENCE = 64;

function visible(ch: string): string {
  const code = ch.codePointAt(0)!;
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** Is this CSI body (after ESC [) one we let through? Pure. */
export function allowedCsi(body: string): boolean {
  const final = body[body.length - 1]!;
  const params = body.slice(0, -1);
  if (params === '?25' && (final === 'h' || final === 'l')) return true; // show/hide cursor
  return ALLOWED_CSI_FINAL.has(final) && /^[0-9;]*$/.test(params);
}

export class TerminalFilter {
  private readonly decoder = new StringDecoder('utf8');
  /** A partial escape sequence waiting for its end (chunks split anywhere). */
  private pending = '';

  /** Filters the next chunk. Pure apart from the state carried between chunks. */
  push(chunk: Buffer): string {
    return this.filter(this.pending + this.decoder.write(chunk), false);
  }

  /** Whatever is left at the end of the stream. */
  end(): string {
    return this.filter(this.pending + this.decoder.end(), true);
  }

  private filter(text: string, final: boolean): string {
    this.pending = '';
    let out = '';
    for (let i = 0; i < text.length; i++) {
      const ch = text[i]!;
      const code = ch.charCodeAt(0);
      if (ch === '\x1b') {
        if (text[i + 1] === undefined && !final) {
          this.pending = text.slice(i);
          break;
        }
        if (text[i + 1] === '[') {
          // Find the final byte of the CSI sequence (0x40–0x7e).
          let j = i + 2;
          while (j < text.length && j - i < MAX_SEQUENCE && !/[\x40-\x7e]/.test(text[j]!)) j++;
          if (j >= text.length && !final && j - i < MAX_SEQUENCE) {
            this.pending = text.slice(i);
            break;
          }
          const body = text.slice(i + 2, j + 1);
          if (j < text.length && allowedCsi(body)) {
            out += `\x1b[${body}`;
            i = j;
            continue;
          }
        }
        out += visible(ch);
        continue;
      }
      if (code < 0x20 && ch !== '\n' && ch !== '\r' && ch !== '\t' && ch !== '\b') {
        out += visible(ch);
        continue;
      }
      if (code === 0x7f || (code >= 0x80 && code <= 0x9f) || (code >= 0x202a && code <= 0x202e) || (code >= 0x2066 && code <= 0x2069)) {
        out += visible(ch);
        continue;
      }
      out += ch;
    }
    return out;
  }
}

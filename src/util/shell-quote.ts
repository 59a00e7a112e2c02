// Paths in messages and fix commands. A file name inside a jail's /tmp is chosen by
// whoever ran there last; printed raw it could carry terminal escape sequences, and pasted
// raw into a shell it could carry commands. Pure.

/** A shell word for `p` that is safe to paste and safe to print. */
export function shellQuote(p: string): string {
  if (/^[A-Za-z0-9_/.,:@%+=-]+$/.test(p)) return p;
  // eslint-disable-next-line no-control-regex
  if (!/[\x00-\x1f\x7f-\x9f]/.test(p)) return `'${p.replace(/'/g, `'\\''`)}'`;
  let out = "$'";
  for (const ch of p) {
    const c = ch.codePointAt(0)!;
    if (ch === "'" || ch === '\\') out += `\\${ch}`;
    else if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}'`;
}

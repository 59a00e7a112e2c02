// Which file names may be committed into the project.
//
// Names come from the jail, so they are attacker-chosen bytes. A name that moves
// (`..`), hides (control characters, bidirectional overrides that make `evil.js` read as
// something else in a review) or attacks whoever prints it (ANSI escape sequences that
// rewrite the user's terminal when the report is shown) is refused, never "cleaned":
// cleaning would commit a name the package manager did not write.

const utf8 = new TextDecoder('utf-8', { fatal: true });

export { neutraliseBytes as printable } from '../util/untrusted-text.js';

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


// Which symlinks may be committed.
//
// A symlink that leads out of the project turns the next write through it (by npm, by a
// build, by the user) into a write anywhere: `node_modules/x/evil -> /etc`. npm's
// `node_modules/.bin/*` and pnpm's `node_modules/.pnpm` links are relative and stay
// inside, and must keep working.
//
// The check is lexical, which is only sound for targets of the shape `../../a/b/c`: all
// `..` first, then names. The kernel resolves `..` *after* following the links before
// it, so `y/../..` where `y -> .` climbs one level higher than it reads. With the `..`
// all up front, they are resolved from the link's own directory, which the commit only
// ever creates as a real directory; every later step goes down, and any link met on the
// way down is itself one that was checked the same way (or the user's own).

import { posix } from 'node:path';
import { textNameProblem } from './names.js';

export type LinkVerdict = { ok: true; resolved: string } | { ok: false; reason: string };

/**
 * @param linkPath the link's path relative to the project root
 * @param target the link's target as stored (readlink), already known to be valid UTF-8
 * @param isSensitive top-level areas (`.git`, `.github`, ...) no link may lead into
 */
export function checkSymlinkTarget(
  linkPath: string,
  target: string,
  isSensitive: (path: string) => boolean,
  /**
   * Paths outside the project the user named (a `file:` dependency: `../lib`), as the
   * project reads them: a link to exactly one of them is what npm makes for it, and is kept.
   */
  namedOutside: readonly string[] = [],
): LinkVerdict {
  if (target === '') return { ok: false, reason: 'symlink with an empty target' };
  if (isVenvInterpreterLink(linkPath, target)) return { ok: true, resolved: target };
  if (target.startsWith('/')) {
    return { ok: false, reason: 'symlink with an absolute target (only relative links inside the project are kept)' };
  }
  const segs = target.split('/').filter((s) => s !== '' && s !== '.');
  let ups = 0;
  let seenName = false;
  for (const seg of segs) {
    if (seg === '..') {
      if (seenName) {
        return {
          ok: false,
          reason: "symlink target has '..' after a directory name (where it leads depends on other links, so it cannot be checked)",
        };
      }
      ups++;
    } else {
      const problem = textNameProblem(seg);
      if (problem) return { ok: false, reason: `symlink target: ${problem}` };
      seenName = true;
    }
  }
  const linkDir = posix.dirname(linkPath);
  const depth = linkDir === '.' ? 0 : linkDir.split('/').length;
  if (ups > depth) {
    const fromProject = posix.normalize(posix.join(linkDir, target)).replace(/\/$/, '');
    if (namedOutside.includes(fromProject)) return { ok: true, resolved: fromProject };
    return { ok: false, reason: 'symlink points outside the project' };
  }
  const resolved = posix.normalize(posix.join(linkDir, target)).replace(/\/$/, '');
  if (resolved === '.' || resolved === '') {
    // A link to the project root reaches `.git` and everything else through itself.
    return { ok: false, reason: 'symlink points at the project root' };
  }
  if (isSensitive(resolved)) {
    return { ok: false, reason: `symlink points into ${resolved.split('/')[0]}` };
  }
  return { ok: true, resolved };
}

/**
 * The one absolute link a project legitimately holds: a virtual environment's interpreter
 * (`.venv/bin/python3 -> /usr/bin/python3`), which `python3 -m venv` makes. Only that
 * name, only in a venv's bin, only to a python in the system's bin directories. Pure.
 */
export function isVenvInterpreterLink(linkPath: string, target: string): boolean {
  return /^(\.venv|venv)\/bin\/python[0-9.]*$/.test(linkPath) && /^\/usr\/(local\/)?bin\/python[0-9.]*$/.test(target);
}

// The chroot backend's project, before the jail starts: where the project is bound into
// the jail, its mount point is made inside the jail root (root-owned directories, never
// through a link: the jail was checked, but this runs as root); where the host allows no
// mounts, hidden files cannot be covered, so such a run is refused rather than exposing
// them (docs/promises.md#p3-backends).

import { lstatSync, mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Policy } from '../../policy/types.js';
import { HostError } from '../../errors.js';
import { EXIT_SAFE_PACKAGE_FAILED } from '../../exit-codes.js';

export function prepareChrootProject(p: Policy, hidden: readonly { path: string }[]): void {
  const c = p.chroot!;
  const root = p.rootDir!;
  if (!c.namespaces && hidden.length > 0) {
    const names = hidden.slice(0, 5).map((h) => relative(p.project.dir, h.path));
    throw new HostError(
      `the project holds files safe-package hides (${names.join(', ')}${hidden.length > 5 ? ', ...' : ''}), and this host allows no mounts to cover them in the chroot`,
      EXIT_SAFE_PACKAGE_FAILED,
      'use the landlock backend (--backend landlock), which keeps them out of reach without mounts, or move them out of the project',
    );
  }
  if (!c.bindProject) return;
  let dir = root;
  for (const part of p.project.dir.split('/').filter(Boolean)) {
    dir = join(dir, part);
    let st;
    try {
      st = lstatSync(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      mkdirSync(dir, { mode: 0o755 });
      continue;
    }
    if (!st.isDirectory()) {
      throw new HostError(`${dir} in the jail is not a directory (the project's mount point)`, EXIT_SAFE_PACKAGE_FAILED, `remove it from the jail: rm ${dir}`);
    }
  }
}

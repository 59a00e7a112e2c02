// The build folders of git dependencies (run/git-deps.ts) are taken out of what the jail
// wrote before review: nothing of them may reach the project. Called once every process
// of the jail is gone, on the staging layer or the landlock backend's shadow.

import { lstatSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { buildsDir } from '../run/git-deps.js';

export function removeGitBuilds(tree: string, runDir: string): void {
  const dir = join(tree, buildsDir(runDir));
  try {
    // Never through a link: lstat, and rmSync removes links rather than following them.
    if (!lstatSync(dir).isDirectory()) return;
  } catch {
    return;
  }
  rmSync(dir, { recursive: true, force: true });
}

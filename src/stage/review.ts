// docs/promises.md#p5-staged-writes review: what did the package manager write, and which of it may reach the
// project? Run only after every process of the jail is dead and the upper directory is
// out of reach of the jail's user (secureStagingDir).

import { lstatSync } from 'node:fs';
import { classify } from './classify.js';
import { writeRules } from './rules.js';
import type { Review, ReviewInput } from './types.js';
import { walkStage } from './walk.js';

export async function reviewStage(input: ReviewInput): Promise<Review> {
  for (const [what, dir] of [['upper directory', input.upperDir], ['project directory', input.projectDir]] as const) {
    const st = lstatSync(dir, { throwIfNoEntry: false });
    if (!st?.isDirectory()) {
      throw new Error(`review: the ${what} ${dir} is ${st ? 'not a directory (a symlink is not followed)' : 'missing'}`);
    }
  }
  const rules = writeRules(input.writeGlobs);
  const textPaths = new Set<string>(input.registryHosts ? input.lockfiles : []);
  if (input.manifest) textPaths.add(input.manifest);
  for (const m of input.workspaceManifests ?? []) textPaths.add(m);
  const facts = await walkStage({
    upperDir: input.upperDir,
    projectDir: input.projectDir,
    textPaths,
    removalRefusal: (path, type) => (type === 'dir' ? rules.dirRefusal(path) : rules.fileRefusal(path)),
    coversEverythingUnder: (dir) => rules.coversEverythingUnder(dir),
  });
  const changes = classify(facts, {
    rules,
    manifest: input.manifest,
    ...(input.workspaceManifests?.length ? { workspaceManifests: input.workspaceManifests } : {}),
    ...(input.namedOutside?.length ? { namedOutside: input.namedOutside } : {}),
    ...(input.manifestExtraKeys?.length ? { manifestExtraKeys: input.manifestExtraKeys } : {}),
    lockfiles: input.lockfiles,
    registryHosts: input.registryHosts,
  });
  return { changes };
}

// The landlock backend's part of a run: the run directory shaped for it, the project's
// shadow (src/stage/shadow.ts) made before the first step, a fresh HOME for every step
// with that step's configuration files, and after the last step the shadow turned into
// the upper directory that review and commit read (docs/promises.md#p5-staged-writes).

import { chmodSync, chownSync, mkdirSync, realpathSync, rmdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Policy } from '../../policy/types.js';
import type { Phase } from '../../policy/phases.js';
import { landlockFiles, type LandlockDirs } from './plan.js';
import { copiedTops, createShadow, mirrorNamed, rewriteShadowPaths, shadowToUpper, shadowTouched, type Shadow } from '../../stage/shadow.js';
import { secureStagingDir } from '../../stage/secure.js';
import { helperPath } from '../../confine/helper.js';
import { requireTool } from '../../host/system-tools.js';
import { findHidden, namedBinds } from '../../host/layout.js';
import { shadowLayout } from '../../policy/named-paths.js';
import { projectNpmrcOverride } from '../../host/preflight.js';
import { removeStage, stageRootFor, upperOf } from '../../stage/stage-dirs.js';

export interface LandlockRun {
  /** The run directory's real path (sp-confine opens the shadow's parts without following links). */
  readonly runDir: string;
  readonly shadow: Shadow;
  readonly tmp: string;
  /** The directories of the next step, with its HOME made and its files placed. */
  stepDirs(phase: Phase | undefined): LandlockDirs;
  /** Was this package folder (relative to the project) written by the run? */
  touched(rel: string): boolean;
}

/**
 * Reshapes a run directory made by createStage for this backend: ours, enterable by the
 * jail user but not changeable (0711), with the shadow and TMPDIR in it owned by the jail
 * user, and an empty upper directory of ours for review.
 */
export function prepareLandlockRun(p: Policy, runDirPath: string, freshDirs: readonly string[]): LandlockRun {
  const runDir = realpathSync(runDirPath);
  const owner = p.dropPrivileges ? { uid: p.user.uid, gid: p.user.gid } : undefined;
  const me = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
  chownSync(runDir, me.uid, me.gid);
  chmodSync(runDir, 0o711);
  for (const sub of ['lower', 'upper', 'work', 'merged']) rmdirSync(join(runDir, sub));
  mkdirSync(upperOf(runDir), { mode: 0o700 });
  const tmp = join(runDir, 'tmp');
  mkdirSync(tmp, { mode: 0o700 });
  if (owner) chownSync(tmp, owner.uid, owner.gid);
  // Paths relative to the project lead from the shadow to copies of what they name (policy/named-paths.ts).
  const layout = shadowLayout(p.project.dir, p.namedPaths);
  for (const dir of layout.dirs) mkdirSync(join(runDir, dir), { mode: 0o711 });
  const shadowDir = join(runDir, layout.shadow);
  mkdirSync(shadowDir, { mode: 0o700 });
  const named = new Map(namedBinds(p.namedPaths, p.project.hide).map((n) => [n.path, n.hidden.map((h) => h.path)]));
  const mirrors = layout.mirrors.map((m) => {
    const at = join(runDir, m.at);
    mirrorNamed(m.from, at, named.get(m.from) ?? [], owner);
    return at;
  });
  const npmrc = projectNpmrcOverride(p)?.text;
  const shadow = createShadow({
    projectDir: p.project.dir,
    shadowDir,
    cwd: p.cwd.startsWith(p.project.dir) ? p.cwd : p.project.dir,
    copied: copiedTops(p.project.write),
    fresh: freshDirs,
    hidden: findHidden(p.project.dir, p.project.hide).map((h) => h.path),
    replaced: new Map(npmrc !== undefined ? [['.npmrc', npmrc]] : []),
    ...(owner ? { owner } : {}),
  });
  let steps = 0;
  return {
    runDir,
    shadow,
    tmp,
    stepDirs(phase) {
      // A new HOME per step: nothing a step leaves in HOME reaches the next, and the
      // directory is ours until its files are in place (no race with the jail user).
      const home = join(runDir, `home-${++steps}`);
      mkdirSync(home, { mode: 0o700 });
      const made: string[] = [home];
      for (const f of landlockFiles(p, phase, home).files) {
        for (let d = dirname(f.path); d !== home && !made.includes(d); d = dirname(d)) {
          mkdirSync(d, { recursive: true, mode: 0o700 });
          made.push(d);
        }
        writeFileSync(f.path, f.content, { mode: 0o600, flag: 'wx' });
        made.push(f.path);
      }
      if (owner) for (const path of made) chownSync(path, owner.uid, owner.gid);
      return { home, tmp, shadow: shadow.dir, cwd: shadow.cwd, readable: shadow.readable, ...(mirrors.length ? { mirrors } : {}) };
    },
    touched: (rel) => shadowTouched(shadow, rel),
  };
}

/**
 * After the last step (every process of the jail is gone): the shadow is moved out of
 * the jail user's reach, refused if anything still holds it, and its differences from
 * the project become the run's upper directory.
 */
export async function shadowToStage(p: Policy, run: LandlockRun): Promise<{ moved: number; deleted: number }> {
  const vault = join(stageRootFor(p), '.vault');
  const secured = await secureStagingDir({ upperDir: run.shadow.dir, vaultDir: vault, writerUid: p.user.uid });
  try {
    const helper = helperPath();
    if (!helper) throw new Error('no sp-confine for this architecture');
    const r = shadowToUpper(secured.upperDir, run.shadow.made, p.project.dir, upperOf(run.runDir), { whiteout: helper, setfattr: requireTool('setfattr') });
    rewriteShadowPaths(upperOf(run.runDir), run.shadow.dir, p.project.dir);
    return r;
  } finally {
    removeStage(secured.upperDir);
  }
}

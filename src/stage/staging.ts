// Staged writes in the run (docs/promises.md#p5-staged-writes): recover an interrupted commit before anything else,
// and after the jail is gone take the upper layer out of the jail user's reach, review it,
// and commit what policy allows. The decisions are in src/stage/; this module wires them
// to a Policy and turns the result into report records.

import { lstatSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { relativeFromProject } from '../policy/named-paths.js';
import type { Policy } from '../policy/types.js';
import type { Outcome } from '../run/launch.js';
import type { WriteRecord } from '../report/report.js';
import { applyExitPolicy, commitReview, recoverCommits, reviewStage, secureStagingDir } from './index.js';
import { stageRootFor, stagedNothing, upperOf } from './stage-dirs.js';
import { writeRules } from './rules.js';
import { startTrashCleaner } from './trash.js';

/** dist/src/stage/trash-cleaner.js, from here and from the bundle in dist/src/cli/ alike. */
const TRASH_CLEANER = fileURLToPath(new URL('../stage/trash-cleaner.js', import.meta.url));

/** The commit journal: in the invoking user's own state directory. */
export function stateDirFor(p: Policy): string {
  return join(p.invoker.home, '.safe-package', 'state');
}

/** Where upper layers are moved before review: beside them, ours alone. */
function vaultDirFor(p: Policy): string {
  return join(stageRootFor(p), '.vault');
}

/** Finishes or undoes a commit that a crash interrupted; returns lines for the user. */
export async function recoverInterrupted(p: Policy): Promise<string[]> {
  const result = await recoverCommits(stateDirFor(p), p.project.dir);
  const notes: string[] = [];
  for (const c of result.commits) {
    if (c.action === 'nothing-done') continue;
    notes.push(`an interrupted commit into ${c.projectDir} was ${c.action.replace('-', ' ')}${c.keptAside.length ? `; kept aside: ${c.keptAside.join(', ')}` : ''}`);
  }
  return notes;
}

/**
 * What a user who wants a discarded write can do, narrowest first. Pure. Git's own
 * files and safe-package's config are never writable from the jail: a package that
 * installs hooks (husky, lefthook) sets them up with a command the user runs themself.
 */
const SENSITIVE_RULES = writeRules([]);

export function keepHint(path: string): string | undefined {
  const top = path.split('/')[0]!;
  if (top === '.git') return 'git configuration and hooks are never written from the jail; run the package\'s own setup yourself if you trust it (for husky: npx husky)';
  // No hint to open up places where a planted file runs code later (CI, editor, hooks).
  if (SENSITIVE_RULES.isSensitive(path)) return undefined;
  const glob = path.includes('/') ? `${top}/**` : path;
  return `to keep it, add "write": ["${glob}"] to ~/.safe-package/config.json`;
}

export interface StagingResult {
  readonly committed: WriteRecord[];
  readonly discarded: WriteRecord[];
  readonly commitMs: number;
  readonly transfer: string;
}

export async function reviewAndCommit(p: Policy, runDir: string, outcome: Outcome, projectIdentity?: { dev: number; ino: number }): Promise<StagingResult> {
  const started = Date.now();
  // Every process of the jail is dead: a layer it left empty stays empty, and there is
  // nothing to review (`npm run`, `npx`, `-- true` write nothing most of the time).
  if (stagedNothing(runDir)) return { committed: [], discarded: [], commitMs: Date.now() - started, transfer: 'none' };
  // The jail user could write the upper layer; move it where only we can, and refuse if
  // anything still holds it open.
  const secured = await secureStagingDir({ upperDir: upperOf(runDir), vaultDir: vaultDirFor(p), writerUid: p.user.uid });
  try {
    const review = applyExitPolicy(
      await reviewStage({
        upperDir: secured.upperDir,
        projectDir: p.project.dir,
        writeGlobs: p.project.write,
        manifest: p.profile.manifest,
        ...(p.project.workspaces?.length ? { workspaceManifests: p.project.workspaces.map((d) => `${d}/package.json`) } : {}),
        ...(p.project.manifestExtraKeys?.length ? { manifestExtraKeys: p.project.manifestExtraKeys } : {}),
        ...(p.namedPaths.length ? { namedOutside: p.namedPaths.map((n) => relativeFromProject(p.project.dir, n)) } : {}),
        lockfiles: p.profile.lockfiles,
        // Always checked, whatever the network mode: a lockfile written with --network none
        // is read by the next install all the same.
        registryHosts: p.network.allow,
      }),
      { code: outcome.signal ? null : outcome.status, signal: outcome.signal ?? null },
    );
    const projectOwner = lstatSync(p.project.dir);
    const result = await commitReview(review, {
      upperDir: secured.upperDir,
      projectDir: p.project.dir,
      stateDir: stateDirFor(p),
      ...(projectIdentity ? { projectIdentity } : {}),
      // Files written by the jail user become the project owner's.
      ...(process.getuid?.() === 0 ? { owner: { uid: projectOwner.uid, gid: projectOwner.gid } } : {}),
    });
    // The replaced tree (a node_modules of thousands of entries) is out of the project,
    // in the trash: removed by a detached process, not while the user waits.
    if (result.trashed > 0) startTrashCleaner(stateDirFor(p), TRASH_CLEANER);
    const record = (c: (typeof review.changes)[number]): WriteRecord => ({ path: c.path, kind: c.kind, reason: c.reason });
    const committedOk = outcome.status === 0 && !outcome.signal;
    return {
      committed: review.changes.filter((c) => c.verdict === 'commit').map(record),
      discarded: review.changes
        .filter((c) => c.verdict === 'discard')
        .map((c) => {
          const hint = committedOk ? keepHint(c.path) : undefined;
          return hint ? { ...record(c), suggestion: hint } : record(c);
        }),
      commitMs: Date.now() - started,
      transfer: result.transfer,
    };
  } finally {
    rmSync(secured.upperDir, { recursive: true, force: true });
  }
}

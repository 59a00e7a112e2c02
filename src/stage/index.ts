// Staged writes (docs/promises.md#p5-staged-writes): secure the upper directory, review it, decide on the exit
// status, commit crash-safely, recover an interrupted commit.
//
//   await recoverCommits(stateDir, projectDir);              // first, on every start
//   const { upperDir } = await secureStagingDir({ upperDir: raw, vaultDir });
//   const review = applyExitPolicy(await reviewStage({ upperDir, projectDir, ... }), exit);
//   await commitReview(review, { upperDir, projectDir, stateDir, owner });

export { reviewStage } from './review.js';
export { commitReview, CommitError } from './commit.js';
export { recoverCommits } from './recover.js';
export { secureStagingDir, type SecureStagingInput, type SecuredStaging } from './secure.js';
export { applyExitPolicy, decideOnExit, type PackageManagerExit, type ExitDecision } from './exit-policy.js';
export type {
  Change,
  ChangeKind,
  CommitOptions,
  CommitResult,
  EntryType,
  RecoveredCommit,
  RecoveryResult,
  Review,
  ReviewInput,
} from './types.js';

// A failed install commits nothing. A half-finished `npm ci` leaves node_modules without
// some packages and package.json edited for them; committing that would leave the user
// with a broken project where the jail kept the old one intact. The project stays
// exactly as it was; everything staged is reported as discarded.

import type { Review } from './types.js';

export interface PackageManagerExit {
  /** Exit code, or null when killed by a signal. */
  readonly code: number | null;
  readonly signal?: string | null | undefined;
}

export type ExitDecision = { commit: true } | { commit: false; reason: string };

export function decideOnExit(exit: PackageManagerExit): ExitDecision {
  if (exit.code === 0 && !exit.signal) return { commit: true };
  const how = exit.signal ? `was killed by ${exit.signal}` : `exited with status ${exit.code}`;
  return { commit: false, reason: `the package manager ${how}: nothing is committed` };
}

/** The review to commit after this exit: unchanged on success, all discarded otherwise. */
export function applyExitPolicy(review: Review, exit: PackageManagerExit): Review {
  const decision = decideOnExit(exit);
  if (decision.commit) return review;
  return {
    changes: review.changes.map((c) =>
      c.verdict === 'commit' ? { ...c, verdict: 'discard' as const, reason: decision.reason } : c,
    ),
  };
}

// Exit statuses (docs/promises.md#p1-command-line). The package manager's own status passes through unchanged;
// these are the ones safe-package adds.

/** safe-package failed before the package manager started (bad config, unknown user, no sandbox). */
export const EXIT_SAFE_PACKAGE_FAILED = 125;
/** The program exists but cannot be executed. */
export const EXIT_CANNOT_EXECUTE = 126;
/** The program was not found. */
export const EXIT_NOT_FOUND = 127;
/** The wall-clock limit (limits.timeout) killed the jail, as timeout(1) reports it. */
export const EXIT_TIMEOUT = 124;
/** --strict: the package manager succeeded but something was blocked or discarded. */
export const EXIT_STRICT_VIOLATION = 3;
/**
 * The judgement refused what the download phase resolved (a version younger than the
 * minimum release age, known malware, or with --strict advisories that could not be
 * checked): no install script ran and nothing was committed. `safe-package check` too.
 */
export const EXIT_JUDGEMENT_REFUSED = 4;

/** 128+N for a child killed by signal N, as shells report it. */
export function exitStatusForSignal(signalNumber: number): number {
  return 128 + signalNumber;
}

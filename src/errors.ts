// The errors safe-package reports to the user and exits on, each with its exit status
// and, where there is one, the fix. Which kind says where the problem is:
//   PolicyError  what was asked for cannot be done as asked (src/policy/)
//   HostError    this machine is not in a state to do it safely (checks before a run)
// Both fail closed: nothing has been run when they are thrown.

import { EXIT_SAFE_PACKAGE_FAILED } from './exit-codes.js';

export class SafePackageError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_SAFE_PACKAGE_FAILED,
    readonly fix?: string,
  ) {
    super(message);
  }
}

/** A machine that is not fit to run this safely: a check before the first jail failed. */
export class HostError extends SafePackageError {}

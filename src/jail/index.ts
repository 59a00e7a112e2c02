// The jail area's public API: `jail create` and `jail check` (docs/promises.md#p10-commands), used by the CLI
// (src/commands/jail.ts) and by the chroot backend, which calls checkJail before every run.

export { createJail, JailError } from './create.js';
export { checkJail, scanJail } from './check.js';
export { judgeJail, HARMLESS_DEVICES, MOUNT_POINTS } from './check-rules.js';
export { resolveHostUser } from './accounts.js';
export { JAIL_MARKER, JAIL_PATH } from './types.js';
export type {
  ExecutableReport,
  JailAddition,
  JailCreateOptions,
  JailCreateResult,
  JailProblem,
  JailRule,
  JailScan,
  JailTarget,
} from './types.js';

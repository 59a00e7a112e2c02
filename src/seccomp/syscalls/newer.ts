// Syscalls the running kernels have but the 6.1 headers this project's tables come from
// do not. Every architecture added since 5.1 numbers new syscalls from one shared
// table (424 onwards), so the same number holds on x86_64 and aarch64.
//
// Source: include/uapi/asm-generic/unistd.h in Linux 6.15, where open_tree_attr was
// added. tests/integration/seccomp/ checks on the real kernel that this number reaches
// open_tree_attr (its argument check answers EINVAL, not ENOSYS).

export const NEWER_SYSCALLS: Readonly<Record<string, number>> = Object.freeze({
  open_tree_attr: 467,
});

// The jail's seccomp filter on the real kernel, loaded by real bubblewrap from fd 3.
// Every refused call is also run once without the filter, to show the probe reaches the
// kernel and gets a different answer there — otherwise these tests could not fail.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildJailFilter, hostSeccompArch } from '../../../src/seccomp/index.js';
import { ARCH_FACTS } from '../../../src/seccomp/arch.js';
import { PROBE_PY, type ProbeConfig, type ProbeResults } from './support/probe.js';
import { runInJail, type JailOptions } from './support/jail.js';

const arch = hostSeccompArch();
if (!arch) throw new Error(`no seccomp filter for this CPU (${process.arch}); the sandbox would refuse to run here`);
const filter = buildJailFilter(arch);

const EPERM = 'errno:EPERM';
/** What each probe must get under the filter. */
const UNDER_FILTER: Record<string, string> = {
  ptrace: EPERM,
  process_vm_readv: EPERM,
  process_vm_writev: EPERM,
  pidfd_getfd: EPERM,
  keyctl: EPERM,
  add_key: EPERM,
  request_key: EPERM,
  io_uring_setup: EPERM,
  io_uring_enter: EPERM,
  io_uring_register: EPERM,
  bpf: EPERM,
  perf_event_open: EPERM,
  userfaultfd: EPERM,
  mount: EPERM,
  umount2: EPERM,
  pivot_root: EPERM,
  chroot: EPERM,
  move_mount: EPERM,
  open_tree: EPERM,
  open_tree_attr: EPERM,
  fsopen: EPERM,
  fsconfig: EPERM,
  fsmount: EPERM,
  fspick: EPERM,
  mount_setattr: EPERM,
  open_by_handle_at: EPERM,
  init_module: EPERM,
  finit_module: EPERM,
  delete_module: EPERM,
  kexec_load: EPERM,
  kexec_file_load: EPERM,
  setns: EPERM,
  acct: EPERM,
  swapon: EPERM,
  swapoff: EPERM,
  reboot: EPERM,
  syslog: EPERM,
  'personality(ADDR_NO_RANDOMIZE)': EPERM,
  'personality(query)': 'ok',
  'unshare(CLONE_NEWUSER)': EPERM,
  'unshare(high word)': EPERM,
  'clone(CLONE_NEWUSER)': EPERM,
  'clone(CLONE_NEWUSER, high word)': EPERM,
  'clone(fork, high word)': 'ok',
  clone3: 'errno:ENOSYS',
  'ioctl(TIOCSTI)': EPERM,
  'ioctl(TIOCSTI, high word)': EPERM,
  'ioctl(TIOCLINUX)': EPERM,
  'ioctl(TIOCLINUX, high word)': EPERM,
  'ioctl(TCGETS)': 'ok',
  'read/write/openat': 'ok',
  ...(arch === 'x86_64' ? { 'x32 getpid': 'signal:SIGSYS', 'i386 int 0x80 getpid': 'signal:SIGSYS' } : {}),
};

/**
 * The kernel refuses these to an unprivileged jail with EPERM before looking at any
 * argument, so there the filter's EPERM looks the same. They are shown reaching the
 * kernel from a jail that keeps real root instead.
 */
const CAPABILITY_GATED = ['acct', 'swapon', 'swapoff', 'syslog'];

async function probe(options: JailOptions, only?: readonly string[]): Promise<ProbeResults> {
  const config: ProbeConfig = { arch: arch!, nr: ARCH_FACTS[arch!].syscalls, ...(only ? { only } : {}) };
  const run = await runInJail(['/usr/bin/python3', '-c', PROBE_PY, JSON.stringify(config)], options);
  assert.equal(run.status, 0, `probe failed (status ${run.status}, signal ${run.signal}):\n${run.stderr}`);
  return JSON.parse(run.stdout) as ProbeResults;
}

let unfilteredRun: Promise<ProbeResults> | undefined;
let filteredRun: Promise<ProbeResults> | undefined;
const unfiltered = (): Promise<ProbeResults> => (unfilteredRun ??= probe({}));
const filtered = (): Promise<ProbeResults> => (filteredRun ??= probe({ filter }));

test('without the filter, each refused call reaches the kernel and gets another answer', async () => {
  const results = await unfiltered();
  assert.deepEqual(Object.keys(results).sort(), Object.keys(UNDER_FILTER).sort());
  for (const [name, verdict] of Object.entries(UNDER_FILTER)) {
    const got = results[name]!;
    assert.doesNotMatch(got, /^exception:/, `${name}: the probe itself broke`);
    if (verdict === 'ok') assert.equal(got, 'ok', `${name} works without the filter`);
    else if (!CAPABILITY_GATED.includes(name)) assert.notEqual(got, verdict, `${name} would pass this test without the filter`);
  }
  // The attacks themselves work on this kernel when nothing stops them:
  assert.equal(results['ioctl(TIOCSTI)'], 'ok:injected=Z', 'TIOCSTI types into a terminal here (legacy_tiocsti=1)');
  assert.equal(results['ioctl(TIOCSTI, high word)'], 'ok:injected=Z', 'the kernel drops the high word of cmd');
  assert.equal(results['clone(CLONE_NEWUSER, high word)'], 'ok', 'the kernel drops the high word of clone flags');
  assert.equal(results['unshare(CLONE_NEWUSER)'], 'ok', 'nested user namespaces are allowed here');
  assert.equal(results.keyctl, 'ok', 'the session keyring is reachable from the jail');
  assert.notEqual(results.open_tree_attr, 'errno:ENOSYS', 'syscall 467 is open_tree_attr on this kernel');
});

test('under the filter, each refused call gets its verdict and the allowed ones still work', async () => {
  assert.deepEqual(await filtered(), UNDER_FILTER);
});

test('acct, swapon, swapoff and syslog reach the kernel as real root, and the filter refuses them even then', {
  skip: process.getuid?.() !== 0 && 'needs root to keep real capabilities in the jail (CI runs as root)',
}, async () => {
  const [privileged, privilegedFiltered] = await Promise.all([
    probe({ privileged: true }, CAPABILITY_GATED),
    probe({ privileged: true, filter }, CAPABILITY_GATED),
  ]);
  for (const name of CAPABILITY_GATED) {
    assert.notEqual(privileged[name], EPERM, `${name} without the filter, as root`);
    assert.doesNotMatch(privileged[name]!, /^exception:/);
    assert.equal(privilegedFiltered[name], EPERM, `${name} under the filter, as root`);
  }
});

test('`unshare -U` cannot make a user namespace under the filter (and can without it)', async () => {
  const command = ['/usr/bin/unshare', '-U', '-r', '/usr/bin/id', '-u'];
  const [free, jailed] = await Promise.all([runInJail(command), runInJail(command, { filter })]);
  assert.equal(free.status, 0, free.stderr);
  assert.equal(free.stdout.trim(), '0');
  assert.notEqual(jailed.status, 0);
  assert.match(jailed.stderr, /Operation not permitted/);
  assert.equal(jailed.stdout, '');
});

test('node (threads, child processes, async fs) and npm still work under the filter', async () => {
  const script = [
    "const { execFileSync } = require('child_process');",
    "const { Worker } = require('worker_threads');",
    "const child = execFileSync('/usr/bin/echo', ['child']).toString().trim();",
    "require('fs').promises.readFile('/usr/bin/env').then((b) => {",
    "  const w = new Worker('require(\"worker_threads\").parentPort.postMessage(\"worker\")', { eval: true });",
    "  w.on('message', (m) => console.log([child, b.length > 0 ? 'fs' : 'no-fs', m].join(' ')));",
    '});',
  ].join('\n');
  const [nodeRun, npmRun] = await Promise.all([
    runInJail(['/usr/bin/node', '-e', script], { filter }),
    runInJail(['/usr/bin/npm', '--version'], { filter }),
  ]);
  assert.equal(nodeRun.status, 0, nodeRun.stderr);
  assert.equal(nodeRun.stdout.trim(), 'child fs worker');
  assert.equal(npmRun.status, 0, npmRun.stderr);
  assert.match(npmRun.stdout.trim(), /^\d+\.\d+\.\d+$/);
});

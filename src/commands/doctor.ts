// `safe-package doctor`: checks the host by trying each mechanism the jail uses, and
// prints for each missing piece the exact fix (docs/promises.md#p10-commands). Exit 0 when the sandbox
// backend works here, 1 otherwise.

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import type { Io } from '../cli/io.js';
import { findTool, installCommand, RefusedToolError, TOOLS, type ToolName } from '../host/system-tools.js';
import { bwrapVersion, diagnoseSandboxFailure, probeSandbox } from '../backends/sandbox/probe.js';
import { buildConfineFilter, buildJailFilter, hostSeccompArch } from '../seccomp/index.js';
import { missingFeatures, probeConfine } from '../confine/helper.js';
import { encodeConfineSpec } from '../confine/spec.js';
import { closeSync, openSync, writeFileSync } from 'node:fs';
import { readTopLevel } from '../host/layout.js';
import { probeNamespaces } from '../host/namespace-probe.js';
import { fsInfo, type StageChoice } from '../host/fs-type.js';
import { cacheDirFor } from '../host/facts.js';
import { chooseStagingFor, SHARED_STAGE_ROOT } from '../stage/stage-dirs.js';

export interface Check {
  readonly name: string;
  readonly ok: boolean;
  /** Which backend needs it; checks of no backend concern every one. */
  readonly backend?: 'sandbox' | 'landlock' | 'chroot';
  /** Informational checks never fail the doctor. */
  readonly required: boolean;
  readonly detail: string;
  readonly fix?: string;
}

function sysctl(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** "0.8.0" ≥ "0.8.0". Pure. */
export function versionAtLeast(version: string, minimum: string): boolean {
  const a = version.split('.').map(Number);
  const b = minimum.split('.').map(Number);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x > y;
  }
  return true;
}

export const MIN_BWRAP = '0.8.0'; // --disable-userns

const JAIL_BASE = ['--ro-bind', '/usr', '/usr', '--symlink', 'usr/bin', '/bin', '--symlink', 'usr/lib', '/lib', '--symlink', 'usr/lib64', '/lib64', '--proc', '/proc', '--dev', '/dev'];

function tryRun(argv: string[], input?: Buffer): { ok: boolean; stderr: string } {
  const r = spawnSync(argv[0]!, argv.slice(1), {
    encoding: 'utf8',
    timeout: 15_000,
    env: {},
    ...(input ? { stdio: ['pipe', 'pipe', 'pipe'], input } : {}),
  } as Parameters<typeof spawnSync>[2]);
  return { ok: r.status === 0 && !r.error, stderr: String(r.stderr ?? r.error?.message ?? '') };
}

export function runChecks(env: Readonly<Record<string, string | undefined>> = process.env): Check[] {
  const checks: Check[] = [];
  const add = (c: Check) => checks.push(c);

  add({
    name: 'platform',
    ok: process.platform === 'linux',
    required: true,
    detail: `${process.platform} ${process.arch}`,
    ...(process.platform === 'linux' ? {} : { fix: 'safe-package supports Linux only (x86-64 and arm64)' }),
  });
  const major = Number(process.versions.node.split('.')[0]);
  add({ name: 'node', ok: major >= 20, required: true, detail: `Node.js ${process.versions.node}`, ...(major >= 20 ? {} : { fix: 'install Node.js 20 or newer' }) });

  let bwrap: string | undefined;
  let refused: RefusedToolError | undefined;
  try {
    bwrap = findTool('bwrap', env);
  } catch (err) {
    if (!(err instanceof RefusedToolError)) throw err;
    refused = err;
  }
  const version = bwrap ? bwrapVersion(bwrap) : undefined;
  if (refused) {
    add({ backend: 'sandbox', name: 'bubblewrap', ok: false, required: true, detail: refused.message, fix: refused.fix });
  } else if (!bwrap || !version) {
    add({ backend: 'sandbox', name: 'bubblewrap', ok: false, required: true, detail: bwrap ? `${bwrap} does not run` : 'not installed', fix: installCommand(TOOLS.bwrap) });
  } else {
    const recent = versionAtLeast(version, MIN_BWRAP);
    add({
      backend: 'sandbox',
      name: 'bubblewrap',
      ok: recent,
      required: true,
      detail: `${version} (${bwrap})`,
      ...(recent ? {} : { fix: `bubblewrap ${MIN_BWRAP} or newer is needed (Debian 12: ${installCommand(TOOLS.bwrap)})` }),
    });
  }

  const userns = sysctl('/proc/sys/kernel/apparmor_restrict_unprivileged_userns');
  const probe = bwrap ? probeSandbox(undefined, env) : undefined;
  add({
    backend: 'sandbox',
    name: 'user, PID and network namespaces',
    ok: probe?.ok === true,
    required: true,
    detail: probe?.ok ? 'a rootless bubblewrap jail starts' : probe ? probe.reason : 'needs bubblewrap',
    ...(probe && !probe.ok ? { fix: probe.fix } : {}),
  });
  if (process.getuid?.() === 0) {
    const setpriv = findTool('setpriv', env);
    const asNobody = bwrap && setpriv ? probeSandbox({ uid: 65534, gid: 65534, setpriv }, env) : undefined;
    add({
      backend: 'sandbox',
      name: 'sandbox as an unprivileged user',
      ok: asNobody?.ok === true,
      required: true,
      detail: asNobody?.ok ? 'works after dropping root to nobody' : asNobody ? asNobody.reason : 'needs bubblewrap and setpriv',
      ...(asNobody && !asNobody.ok ? { fix: asNobody.fix } : {}),
    });
  }

  // Staging where runs stage: the file system decides whether overlayfs can use it.
  const isRoot = process.getuid?.() === 0;
  const info = userInfo();
  const usual = isRoot ? SHARED_STAGE_ROOT : join(cacheDirFor(info.homedir, env, info.uid, false), 'stage');
  let where: StageChoice;
  try {
    where = chooseStagingFor(usual, isRoot ? undefined : info.uid);
  } catch (err) {
    where = { ok: false, reason: `cannot look at ${usual}: ${(err as Error).message}`, fix: `check ${usual}` };
  }
  add({
    backend: 'sandbox',
    name: 'staging directory',
    ok: where.ok,
    required: true,
    detail: where.ok ? (where.note ?? `${usual} (${fsInfo(usual).name}) can hold an overlay's upper layer`) : where.reason,
    ...(where.ok ? {} : { fix: where.fix }),
  });

  const mount = findTool('mount', env);
  if (bwrap && mount && probe?.ok && where.ok) {
    mkdirSync(where.root, { recursive: true, mode: isRoot ? 0o711 : 0o700 });
    const dir = mkdtempSync(join(where.root, 'doctor-'));
    try {
      const r = tryRun([
        bwrap, '--unshare-user', '--uid', '0', '--gid', '0', '--cap-add', 'ALL', ...JAIL_BASE,
        '--bind', dir, '/stage', '--dir', '/stage/lower', '--dir', '/stage/upper', '--dir', '/stage/work', '--dir', '/stage/merged',
        '--', mount, '-t', 'overlay', 'overlay', '-o', 'lowerdir=/stage/lower,upperdir=/stage/upper,workdir=/stage/work,userxattr', '/stage/merged',
      ]);
      add({
        backend: 'sandbox',
        name: 'overlayfs in a user namespace',
        ok: r.ok,
        required: true,
        detail: r.ok ? `works in ${where.root} (staged writes)` : `fails in ${where.root}: ${r.stderr.trim().split('\n').pop() ?? ''}`,
        ...(r.ok ? {} : { fix: 'needs Linux 5.11 or newer with overlayfs (modprobe overlay); inside a container, the landlock backend stages without it' }),
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  const arch = hostSeccompArch();
  if (!arch) {
    add({ name: 'seccomp', ok: false, required: true, detail: `no filter for ${process.arch}`, fix: 'safe-package supports x86-64 and arm64' });
  } else if (bwrap && probe?.ok) {
    const r = tryRun([bwrap, '--unshare-user', '--unshare-pid', ...JAIL_BASE, '--seccomp', '0', '--', '/usr/bin/true'], buildJailFilter(arch));
    add({
      backend: 'sandbox',
      name: 'seccomp',
      ok: r.ok,
      required: true,
      detail: r.ok ? `filter for ${arch} loads` : `the filter does not load: ${r.stderr.trim()}`,
      ...(r.ok ? {} : { fix: 'a kernel with CONFIG_SECCOMP_FILTER is needed' }),
    });
  }

  for (const name of ['setpriv', 'prlimit', 'unshare', 'mount', 'getfattr', 'setfattr'] as ToolName[]) {
    const path = findTool(name, env);
    const tool = TOOLS[name];
    add({
      ...(['setpriv', 'prlimit', 'mount'].includes(name) ? { backend: 'sandbox' as const } : name === 'unshare' ? { backend: 'chroot' as const } : {}),
      name: tool.name,
      ok: path !== undefined,
      // unshare serves only the chroot backend (which runs without it); without setfattr npm ci is slower, not less safe.
      required: name !== 'unshare' && name !== 'setfattr',
      detail: path ? `${path} (${tool.role})` : `missing (${tool.role})`,
      ...(path ? {} : { fix: installCommand(tool) }),
    });
  }

  if (process.getuid?.() === 0) {
    // Tried, not inferred from the binary: in a container unshare is there and refused.
    const ns = probeNamespaces(env);
    add({
      backend: 'chroot',
      name: 'chroot backend namespaces',
      ok: ns.ok,
      required: false,
      detail: ns.ok
        ? 'unshare works: with -r JAIL the project is bound into the jail at its own path, hidden files covered, and --network none is a network namespace'
        : `unshare is refused here (${ns.reason}): the chroot backend still runs, but only in a project inside the jail root, and its network rule is Landlock's`,
      ...(ns.ok ? {} : { fix: 'nothing to change for the landlock backend (auto without -r); for -r JAIL, put the project inside the jail (JAIL/work/...)' }),
    });
  }

  if (userns !== undefined) {
    add({
      name: 'AppArmor user-namespace restriction',
      ok: userns === '0',
      required: false,
      detail: `kernel.apparmor_restrict_unprivileged_userns = ${userns}`,
      ...(userns === '0' ? {} : { fix: diagnoseSandboxFailure('', sysctl).fix }),
    });
  }
  const tiocsti = sysctl('/proc/sys/dev/tty/legacy_tiocsti');
  if (tiocsti !== undefined) {
    add({
      name: 'TIOCSTI',
      ok: true,
      required: false,
      detail: tiocsti === '1' ? 'legacy TIOCSTI is enabled on this kernel; the jail blocks it (new session + seccomp)' : 'disabled by the kernel',
    });
  }
  const cgroup2 = existsSync('/sys/fs/cgroup/cgroup.controllers');
  add({
    name: 'cgroups',
    ok: true,
    required: false,
    detail: cgroup2 ? 'cgroup v2 present (not needed: limits use rlimits and a PID namespace)' : 'no cgroup v2 (not needed: limits use rlimits and a PID namespace)',
  });
  checks.push(...landlockChecks());
  return checks;
}

/**
 * The landlock backend, tried for real: sp-confine runs a no-op jail (as nobody when we
 * are root) that must start, and must not be able to list / (the ruleset is enforced).
 */
function landlockChecks(): Check[] {
  const probe = probeConfine();
  const name = 'landlock backend (no namespaces needed)';
  if (!probe.ok) return [{ name, backend: 'landlock', ok: false, required: true, detail: probe.reason ?? 'unavailable', ...(probe.fix ? { fix: probe.fix } : {}) }];
  const arch = hostSeccompArch();
  if (!arch) return [{ name, backend: 'landlock', ok: false, required: true, detail: `no seccomp filter for ${process.arch}` }];
  const dir = mkdtempSync(join(tmpdir(), 'safe-package-doctor-'));
  try {
    const specFile = join(dir, 'spec');
    const root = process.getuid?.() === 0;
    writeFileSync(
      specFile,
      encodeConfineSpec({
        argv: ['/bin/sh', '-c', 'ls / >/dev/null 2>&1 && exit 3; exit 0'],
        cwd: '/',
        ...(root ? { identity: { uid: 65534, gid: 65534 } } : {}),
        rlimits: { core: 0 },
        readOnly: ['/usr', ...Object.entries(readTopLevel()).filter(([, t]) => t.kind === 'dir').map(([p]) => p), '/etc/ld.so.cache'],
        readWrite: [],
        readWriteNoLinks: [],
        readWriteFiles: ['/dev/null'],
        tcpConnect: [],
        minAbi: 1,
        seccomp: buildConfineFilter(arch),
      }),
    );
    const fd = openSync(specFile, 'r');
    let r;
    try {
      r = spawnSync(probe.helper!, [], { encoding: 'utf8', timeout: 15_000, env: {}, stdio: ['ignore', 'pipe', 'pipe', fd] });
    } finally {
      closeSync(fd);
    }
    const ok = r.status === 0;
    const why = r.status === 3 ? 'the jail could list /: the Landlock ruleset is not enforced' : (r.stderr || r.error?.message || `exit ${r.status}`).trim();
    const missing = missingFeatures(probe.abi);
    return [
      { name, backend: 'landlock', ok, required: true, detail: ok ? `a confined no-op jail runs${root ? ' as nobody' : ''} (Landlock ABI ${probe.abi}, ${probe.helper})` : `fails: ${why}` },
      ...missing.map((m) => ({ name: 'landlock backend: kernel', backend: 'landlock' as const, ok: false, required: false, detail: m, fix: 'a newer kernel (Landlock ABI 6 came with Linux 6.12)' })),
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Which backend auto takes here, from the checks. Pure. */
export function autoBackend(checks: readonly Check[]): 'sandbox' | 'landlock' | undefined {
  const works = (b?: 'sandbox' | 'landlock') => checks.filter((c) => c.required && c.backend === b).every((c) => c.ok);
  if (!works(undefined)) return undefined;
  return works('sandbox') ? 'sandbox' : works('landlock') ? 'landlock' : undefined;
}

export async function runDoctor(args: readonly string[], io: Io): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    io.stdout.write('usage: safe-package doctor [--json]\n  checks that this host can run the jail, and says how to fix what is missing\n');
    return 0;
  }
  const checks = runChecks();
  if (args.includes('--json')) {
    io.stdout.write(JSON.stringify({ checks }, null, 2) + '\n');
  } else {
    for (const c of checks) {
      const mark = c.ok ? 'ok  ' : c.required ? 'FAIL' : 'note';
      io.stdout.write(`${mark} ${c.name}: ${c.detail}\n`);
      if (!c.ok && c.fix) io.stdout.write(`     fix: ${c.fix.replace(/\n/g, '\n          ')}\n`);
    }
  }
  const auto = autoBackend(checks);
  if (auto === 'sandbox') io.stdout.write('The sandbox backend works on this host; auto uses it.\n');
  else if (auto === 'landlock') {
    io.stdout.write(
      'The sandbox backend cannot run here until the failures above are fixed.\n' +
        'auto uses the landlock backend: the same jail without namespaces (see the README for what it cannot promise that the sandbox can).\n',
    );
  } else io.stdout.write('No backend can protect a run on this host until the failures above are fixed.\n');
  return auto ? 0 : 1;
}

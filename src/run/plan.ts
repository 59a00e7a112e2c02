// Chooses the planner for the policy's backend and gathers the host facts it needs
// (system tools, file-system layout, the seccomp program), then prepares the host
// (cache directories, checks) right before the run.

import { existsSync, lstatSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PolicyError } from '../policy/resolve.js';
import type { Policy } from '../policy/types.js';
import { planSandbox } from '../backends/sandbox/plan.js';
import { planChroot, planNone } from '../backends/chroot/plan.js';
import type { LaunchPlan } from '../plan/types.js';
import { readHostLayout, type HostLayout } from '../host/layout.js';
import { requireTool } from '../host/system-tools.js';
import { buildConfineFilter, buildJailFilter, describeConfineFilter, describeJailFilter, hostSeccompArch, type SeccompArch } from '../seccomp/index.js';
import { planLandlock, landlockFiles, type LandlockDirs } from '../backends/landlock/plan.js';
import { helperPath } from '../confine/helper.js';
import { findHidden, readTopLevel, ETC_ALLOWED, ETC_HOST_NETWORK } from '../host/layout.js';
import { prepareChrootProject } from '../backends/chroot/project.js';
import { checkNoMountsInProject, checkProjectWritable, checkReportWritable, checkStagedOwnership, prepareCacheDirs, projectNpmrcOverride } from './preflight.js';
import { ensureEmptyFile, stageRootFor } from '../stage/stage-dirs.js';
import { BRIDGE_PORT } from '../backends/sandbox/bridge-port.js';
import type { BridgeSpec, NamedBind } from '../backends/sandbox/plan.js';
import type { Phase } from '../policy/phases.js';
import { judgeJail, scanJail } from '../jail/index.js';

export interface Planned {
  readonly plan: LaunchPlan;
  /** Human lines describing the seccomp filter, for --explain. */
  readonly seccomp?: string[];
}

/** What the run creates on the host before planning. */
export interface RunPaths {
  /** This run's directory (staging layers, proxy socket). */
  readonly runDir?: string;
  /** Project writes go to an overlay in runDir and are reviewed afterwards. */
  readonly staged: boolean;
  readonly emptyFile: string;
  readonly bridge?: BridgeSpec;
  /** The landlock backend's directories for this step (shadow, HOME, TMPDIR). */
  readonly landlock?: LandlockDirs;
  /** The landlock backend: the proxy's loopback port for this step. */
  readonly proxyPort?: number;
}

/** Paths for --explain, which creates nothing and starts nothing. */
export function describedPaths(p: Policy, staged: boolean): RunPaths {
  if (p.backend === 'chroot') return { staged: false, emptyFile: '/dev/null', ...(p.network.proxied ? { proxyPort: 0 } : {}) };
  const runDir = p.backend === 'sandbox' || p.backend === 'landlock' ? join(stageRootFor(p), 'run-XXXXXX') : undefined;
  if (p.backend === 'landlock' && runDir) {
    const shadow = join(runDir, 'shadow');
    return {
      runDir,
      staged: true,
      emptyFile: '/dev/null',
      landlock: { home: join(runDir, 'home-1'), tmp: join(runDir, 'tmp'), shadow, cwd: join(shadow, p.cwd.slice(p.project.dir.length)), readable: [] },
      ...(p.network.proxied ? { proxyPort: 0 } : {}),
    };
  }
  return {
    ...(runDir ? { runDir } : {}),
    staged: staged && runDir !== undefined,
    emptyFile: join(p.cacheDir, 'empty'),
    ...(runDir && p.network.proxied ? { bridge: { node: process.execPath, code: '<the bridge, src/net/jail-bridge.ts>', socket: join(runDir, 'proxy.sock'), port: BRIDGE_PORT } } : {}),
  };
}

export interface StepSpec {
  readonly phase?: Phase;
  readonly command?: { readonly path: string; readonly args: readonly string[] };
  readonly writable?: readonly string[];
  readonly readOnlyInside?: readonly string[];
}

interface SandboxHost {
  readonly named: readonly NamedBind[];
  readonly arch: SeccompArch;
  readonly seccomp: Buffer;
  readonly layout: HostLayout;
  readonly npmrc: { text: string; dropped: string[]; removed: string[] } | undefined;
  readonly bwrap: string;
  readonly prlimit: string;
  readonly setpriv: string;
}

// A run plans one jail per step (install, then each package's scripts); what the host
// looks like (the project walk for hidden files, the seccomp program, the tools) is
// gathered once per run.
const sandboxHosts = new WeakMap<Policy, SandboxHost>();

function sandboxHost(p: Policy): SandboxHost {
  const known = sandboxHosts.get(p);
  if (known) return known;
  const arch = hostSeccompArch();
  if (!arch) {
    throw new PolicyError(`no seccomp filter for this architecture (${process.arch}); the sandbox supports x86-64 and arm64`);
  }
  const host: SandboxHost = {
    named: namedBinds(p),
    arch,
    seccomp: buildJailFilter(arch),
    layout: readHostLayout(p.project.dir, p.project.hide, p.network.mode === 'host'),
    npmrc: projectNpmrcOverride(p),
    bwrap: requireTool('bwrap'),
    prlimit: requireTool('prlimit'),
    setpriv: requireTool('setpriv'),
  };
  sandboxHosts.set(p, host);
  return host;
}

interface LandlockHost {
  /** Named paths outside the project, as Landlock read rules (hidden entries left out). */
  readonly named: readonly string[];
  readonly arch: SeccompArch;
  readonly seccomp: Buffer;
  readonly helper: string;
  readonly layout: Pick<HostLayout, 'topLevel' | 'etc'>;
}

const landlockHosts = new WeakMap<Policy, LandlockHost>();

function landlockHost(p: Policy): LandlockHost {
  const known = landlockHosts.get(p);
  if (known) return known;
  const arch = hostSeccompArch();
  const helper = helperPath();
  if (!arch || !helper) throw new PolicyError(`the landlock backend supports x86-64 and arm64, not ${process.arch}`);
  const host: LandlockHost = {
    named: namedBinds(p).flatMap((n) => readableAround(n.path, n.hidden.map((h) => h.path))),
    arch,
    seccomp: buildConfineFilter(arch),
    helper,
    layout: { topLevel: readTopLevel(), etc: [...ETC_ALLOWED, ...(p.network.mode === 'host' ? ETC_HOST_NETWORK : [])].filter((e) => existsSync(e)) },
  };
  landlockHosts.set(p, host);
  return host;
}

/** The named paths with what the hide patterns cover inside each directory. */
function namedBinds(p: Policy): NamedBind[] {
  return p.namedPaths.map((path) => ({ path, hidden: statSync(path).isDirectory() ? findHidden(path, p.project.hide) : [] }));
}

/**
 * Landlock has no way to cover a file inside a readable directory: a named directory
 * with hidden entries is made readable piece by piece around them.
 */
function readableAround(dir: string, hidden: readonly string[]): string[] {
  if (!hidden.some((h) => h.startsWith(dir + '/'))) return [dir];
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const child = join(dir, name);
    if (hidden.includes(child)) continue;
    if (hidden.some((h) => h.startsWith(child + '/')) && lstatSync(child).isDirectory()) out.push(...readableAround(child, hidden));
    else out.push(child);
  }
  return out;
}

interface ChrootHost {
  readonly arch: SeccompArch;
  readonly seccomp: Buffer;
  readonly helper: string;
  readonly hidden: readonly { path: string; dir: boolean }[];
  readonly mountNs: number | undefined;
}

const chrootHosts = new WeakMap<Policy, ChrootHost>();

function chrootHost(p: Policy): ChrootHost {
  const known = chrootHosts.get(p);
  if (known) return known;
  const arch = hostSeccompArch();
  const helper = helperPath();
  if (!arch || !helper) throw new PolicyError(`the chroot backend supports x86-64 and arm64, not ${process.arch}`);
  let mountNs: number | undefined;
  try {
    mountNs = statSync('/proc/self/ns/mnt').ino;
  } catch {
    mountNs = undefined; // no /proc: sp-confine then refuses to mount at all
  }
  const host = { arch, seccomp: buildConfineFilter(arch), helper, hidden: findHidden(p.project.dir, p.project.hide), mountNs };
  chrootHosts.set(p, host);
  return host;
}

export function makePlan(p: Policy, paths: RunPaths, step: StepSpec = {}): Planned {
  const { phase, command, writable, readOnlyInside } = step;
  switch (p.backend) {
    case 'none':
      return { plan: planNone(p) };
    case 'chroot': {
      const host = chrootHost(p);
      const plan = planChroot({
        policy: p,
        helper: host.helper,
        ...(p.chroot!.namespaces ? { unshare: requireTool('unshare') } : {}),
        seccomp: host.seccomp,
        hasProcDir: existsSync(join(p.rootDir!, 'proc')),
        hidden: host.hidden,
        ...(paths.proxyPort !== undefined ? { proxyPort: paths.proxyPort } : {}),
        ...(host.mountNs !== undefined ? { hostMountNs: host.mountNs } : {}),
      });
      return { plan, seccomp: describeConfineFilter(host.arch) };
    }
    case 'landlock': {
      const host = landlockHost(p);
      if (!paths.landlock) throw new Error('the landlock backend plans a step only with its directories');
      const plan = planLandlock({
        policy: p,
        layout: host.layout,
        helper: host.helper,
        abi: p.landlockAbi ?? 1,
        seccomp: host.seccomp,
        dirs: paths.landlock,
        ...(host.named.length ? { named: host.named } : {}),
        ...(paths.proxyPort !== undefined ? { proxyPort: paths.proxyPort } : {}),
        ...(phase ? { phase } : {}),
        ...(command ? { command } : {}),
        ...(writable ? { writable } : {}),
      });
      return { plan, seccomp: describeConfineFilter(host.arch) };
    }
    case 'sandbox': {
      const host = sandboxHost(p);
      const plan = planSandbox({
        policy: p,
        layout: host.layout,
        tools: {
          bwrap: host.bwrap,
          prlimit: host.prlimit,
          setpriv: host.setpriv,
          ...(paths.staged ? { mount: requireTool('mount') } : {}),
          sh: '/bin/sh',
        },
        seccomp: host.seccomp,
        emptyFile: paths.emptyFile,
        ...(paths.staged && paths.runDir ? { stage: { dir: paths.runDir } } : {}),
        ...(paths.bridge ? { bridge: paths.bridge } : {}),
        ...(phase ? { phase } : {}),
        ...(command ? { command } : {}),
        ...(writable ? { writable } : {}),
        ...(readOnlyInside?.length ? { readOnlyInside } : {}),
        ...(host.npmrc !== undefined ? { projectNpmrc: host.npmrc.text, projectNpmrcDropped: host.npmrc.dropped } : {}),
        ...(host.named.length ? { named: host.named } : {}),
      });
      return { plan, seccomp: describeJailFilter(host.arch) };
    }
  }
}

/** Host preparation right before launching: fails closed with a reason and a fix. */
export function prepare(p: Policy, staged: boolean): { emptyFile: string } {
  checkReportWritable(p.output.report);
  if (p.backend === 'chroot') {
    // The jail directory decides what runs as the jail user with our privileges spent:
    // check it before every run (docs/promises.md#p3-backends).
    // A project inside the jail root is the jail user's by design; what is above it is checked.
    const projectInJail = p.chroot && !p.chroot.bindProject && p.project.dir !== p.rootDir ? p.project.dir.slice(p.rootDir!.length) : undefined;
    const problems = judgeJail(scanJail(p.rootDir!, projectInJail), { uid: p.user.uid, gid: p.user.gid });
    if (problems.length > 0) {
      throw new PolicyError(
        `the jail ${p.rootDir} is not safe to use:\n${problems.map((x) => `  ${x.path}: ${x.problem}`).join('\n')}`,
        undefined,
        problems.map((x) => x.fix).filter((f, i, all) => all.indexOf(f) === i).join('; '),
      );
    }
    prepareChrootProject(p, chrootHost(p).hidden);
    checkProjectWritable(p);
    return { emptyFile: '/dev/null' };
  }
  if (p.backend === 'landlock') {
    // Without mounts, a configuration file outside HOME cannot be covered by a copy.
    const problems = [...new Set(p.phases.flatMap((phase) => landlockFiles(p, phase, '/').problems))];
    if (problems.length > 0) {
      throw new PolicyError(problems.join('; '), undefined, 'move the credentials to your user config (~/.npmrc), or use the sandbox backend');
    }
    prepareCacheDirs(p);
    return { emptyFile: '/dev/null' };
  }
  if (p.backend !== 'sandbox') return { emptyFile: '/dev/null' };
  // Before anything is made: where the overlay can keep its upper layer, if anywhere.
  if (staged) stageRootFor(p);
  checkProjectWritable(p);
  if (staged) {
    checkNoMountsInProject(p);
    checkStagedOwnership(p);
  }
  prepareCacheDirs(p);
  return { emptyFile: ensureEmptyFile(p) };
}

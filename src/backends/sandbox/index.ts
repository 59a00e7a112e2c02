// The sandbox backend: bubblewrap with user, mount, PID, IPC, UTS and network
// namespaces, the project behind an overlay whose writes are reviewed before they are
// committed, the network only through the bridge and the proxy (./plan.ts says how).

import { join } from 'node:path';
import { HostError } from '../../errors.js';
import type { Policy } from '../../policy/types.js';
import { readHostLayout, namedBinds, type HostLayout, type NamedBind } from '../../host/layout.js';
import { requireTool } from '../../host/system-tools.js';
import { buildJailFilter, describeJailFilter, hostSeccompArch, type SeccompArch } from '../../seccomp/index.js';
import { checkNoMountsInProject, checkProjectWritable, checkStagedOwnership, projectNpmrcOverride } from '../../host/preflight.js';
import { prepareCacheDirs } from '../../stage/cache-dirs.js';
import { ensureEmptyFile, stageRootFor } from '../../stage/stage-dirs.js';
import type { Backend, RunPaths } from '../backend.js';
import { BRIDGE_CODE_SHOWN, bridgeFor } from './bridge-port.js';
import { planSandbox } from './plan.js';

/** What the sandbox plans from: read once per run. */
export interface SandboxHost {
  readonly named: readonly NamedBind[];
  readonly arch: SeccompArch;
  readonly seccomp: Buffer;
  readonly layout: HostLayout;
  readonly npmrc: { text: string; dropped: string[]; removed: string[] } | undefined;
  readonly tools: { readonly bwrap: string; readonly prlimit: string; readonly setpriv: string; readonly mount?: string };
  /** The empty read-only file bound over hidden files. */
  readonly emptyFile: string;
}

/** --root-dir keeps the seed's direct writes; otherwise every project write is staged. */
const stages = (p: Policy): boolean => p.rootDir === undefined;

function gather(p: Policy, emptyFile = join(p.cacheDir, 'empty')): SandboxHost {
  const arch = hostSeccompArch();
  if (!arch) throw new HostError(`no seccomp filter for this architecture (${process.arch}); the sandbox supports x86-64 and arm64`);
  return {
    named: namedBinds(p.namedPaths, p.project.hide),
    arch,
    seccomp: buildJailFilter(arch),
    layout: readHostLayout(p.project.dir, p.project.hide, p.network.mode === 'host'),
    npmrc: projectNpmrcOverride(p),
    tools: {
      bwrap: requireTool('bwrap'),
      prlimit: requireTool('prlimit'),
      setpriv: requireTool('setpriv'),
      ...(stages(p) ? { mount: requireTool('mount') } : {}),
    },
    emptyFile,
  };
}

/**
 * The checks that send auto to the landlock backend instead (StagingUnavailableError,
 * ProjectNotWritableError): where the overlay can keep its upper layer, and whether the
 * jail user can write the project. They change nothing; --explain asks them too.
 */
export function checkSandboxFits(p: Policy): void {
  if (stages(p)) stageRootFor(p);
  checkProjectWritable(p);
}

export const sandboxBackend: Backend<SandboxHost> = {
  name: 'sandbox',
  stages,
  needsRunDir: () => true,
  gather: (p) => gather(p),
  prepare(p) {
    const staged = stages(p);
    // Before anything is made: where the overlay can keep its upper layer, if anywhere.
    checkSandboxFits(p);
    if (staged) {
      checkNoMountsInProject(p);
      checkStagedOwnership(p);
    }
    prepareCacheDirs(p);
    return gather(p, ensureEmptyFile(p));
  },
  describedPaths(p): RunPaths {
    const runDir = join(stageRootFor(p), 'run-XXXXXX');
    return {
      runDir,
      ...(p.network.proxied ? { bridge: bridgeFor(join(runDir, 'proxy.sock'), p.dropPrivileges, () => BRIDGE_CODE_SHOWN) } : {}),
    };
  },
  planStep(p, host, paths, { phase, command, writable, readOnlyInside }) {
    const staged = stages(p) && paths.runDir !== undefined;
    const plan = planSandbox({
      policy: p,
      layout: host.layout,
      tools: { bwrap: host.tools.bwrap, prlimit: host.tools.prlimit, setpriv: host.tools.setpriv, ...(staged && host.tools.mount ? { mount: host.tools.mount } : {}), sh: '/bin/sh' },
      seccomp: host.seccomp,
      emptyFile: host.emptyFile,
      ...(staged ? { stage: { dir: paths.runDir! } } : {}),
      ...(paths.bridge ? { bridge: paths.bridge } : {}),
      ...(phase ? { phase } : {}),
      ...(command ? { command } : {}),
      ...(writable ? { writable } : {}),
      ...(readOnlyInside?.length ? { readOnlyInside } : {}),
      ...(host.npmrc !== undefined ? { projectNpmrc: host.npmrc.text, projectNpmrcDropped: host.npmrc.dropped } : {}),
      ...(host.named.length ? { named: host.named } : {}),
    });
    return { plan, seccomp: describeJailFilter(host.arch) };
  },
};

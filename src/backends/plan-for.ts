// Chooses the planner for the policy's backend and gathers the host facts it needs
// (system tools, file-system layout, the seccomp program), then prepares the host
// (cache directories, checks) right before the run.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PolicyError } from '../policy/resolve.js';
import type { Policy } from '../policy/types.js';
import { planSandbox } from '../plan/sandbox.js';
import { planChroot, planNone } from '../plan/chroot.js';
import type { LaunchPlan } from '../plan/types.js';
import { readHostLayout } from '../host/layout.js';
import { requireTool } from '../host/system-tools.js';
import { buildJailFilter, describeJailFilter, hostSeccompArch } from '../seccomp/index.js';
import { checkProjectWritable, prepareCacheDirs, projectNpmrcOverride } from './preflight.js';

export interface Planned {
  readonly plan: LaunchPlan;
  /** Human lines describing the seccomp filter, for --explain. */
  readonly seccomp?: string[];
}

export function makePlan(p: Policy): Planned {
  switch (p.backend) {
    case 'none':
      return { plan: planNone(p) };
    case 'chroot':
      return {
        plan: planChroot(
          p,
          { unshare: requireTool('unshare'), prlimit: requireTool('prlimit'), setpriv: requireTool('setpriv'), chroot: requireTool('chroot') },
          existsSync(join(p.rootDir!, 'proc')),
        ),
      };
    case 'sandbox': {
      const arch = hostSeccompArch();
      if (!arch) {
        throw new PolicyError(`no seccomp filter for this architecture (${process.arch}); the sandbox supports x86-64 and arm64`);
      }
      const layout = readHostLayout(p.project.dir, p.project.hide, p.network.mode === 'host');
      const npmrc = projectNpmrcOverride(p);
      const plan = planSandbox({
        policy: p,
        layout,
        tools: { bwrap: requireTool('bwrap'), prlimit: requireTool('prlimit'), setpriv: requireTool('setpriv') },
        seccomp: buildJailFilter(arch),
        ...(npmrc !== undefined ? { projectNpmrc: npmrc } : {}),
      });
      return { plan, seccomp: describeJailFilter(arch) };
    }
  }
}

/** Host preparation right before launching: fails closed with a reason and a fix. */
export function prepare(p: Policy): void {
  if (p.backend === 'sandbox') {
    checkProjectWritable(p);
    prepareCacheDirs(p);
  }
}

// The chroot backend: the original safe-package's mechanism, done properly. The program
// runs inside a jail directory built by `safe-package jail create`, confined by
// sp-confine (./plan.ts says how); the jail is checked before every run. Its writes go
// straight to the project: they are not staged or reviewed.

import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { HostError } from '../../errors.js';
import type { Policy } from '../../policy/types.js';
import { findHidden } from '../../host/layout.js';
import { requireTool } from '../../host/system-tools.js';
import { buildConfineFilter, describeConfineFilter, hostSeccompArch, type SeccompArch } from '../../seccomp/index.js';
import { helperPath } from '../../confine/helper.js';
import { judgeJail, scanJail } from '../../jail/index.js';
import { checkProjectWritable } from '../../host/preflight.js';
import type { Backend } from '../backend.js';
import { planChroot } from './plan.js';
import { prepareChrootProject } from './project.js';

/** What the chroot backend plans from: read once per run. */
export interface ChrootHost {
  readonly arch: SeccompArch;
  readonly seccomp: Buffer;
  readonly helper: string;
  readonly unshare?: string;
  readonly hidden: readonly { path: string; dir: boolean }[];
  readonly mountNs: number | undefined;
  readonly hasProcDir: boolean;
}

function gather(p: Policy): ChrootHost {
  const arch = hostSeccompArch();
  const helper = helperPath();
  if (!arch || !helper) throw new HostError(`the chroot backend supports x86-64 and arm64, not ${process.arch}`);
  let mountNs: number | undefined;
  try {
    mountNs = statSync('/proc/self/ns/mnt').ino;
  } catch {
    mountNs = undefined; // no /proc: sp-confine then refuses to mount at all
  }
  return {
    arch,
    seccomp: buildConfineFilter(arch),
    helper,
    ...(p.chroot!.namespaces ? { unshare: requireTool('unshare') } : {}),
    hidden: findHidden(p.project.dir, p.project.hide),
    mountNs,
    hasProcDir: existsSync(join(p.rootDir!, 'proc')),
  };
}

export const chrootBackend: Backend<ChrootHost> = {
  name: 'chroot',
  stages: () => false,
  // Its run directory holds only the proxy's socket.
  needsRunDir: (p) => p.network.proxied,
  gather,
  prepare(p) {
    // The jail directory decides what runs as the jail user with our privileges spent:
    // check it before every run (docs/promises.md#p3-backends).
    // A project inside the jail root is the jail user's by design; what is above it is checked.
    const projectInJail = p.chroot && !p.chroot.bindProject && p.project.dir !== p.rootDir ? p.project.dir.slice(p.rootDir!.length) : undefined;
    const problems = judgeJail(scanJail(p.rootDir!, projectInJail), { uid: p.user.uid, gid: p.user.gid });
    if (problems.length > 0) {
      throw new HostError(
        `the jail ${p.rootDir} is not safe to use:\n${problems.map((x) => `  ${x.path}: ${x.problem}`).join('\n')}`,
        undefined,
        problems.map((x) => x.fix).filter((f, i, all) => all.indexOf(f) === i).join('; '),
      );
    }
    const host = gather(p);
    prepareChrootProject(p, host.hidden);
    checkProjectWritable(p);
    return host;
  },
  describedPaths: (p) => (p.network.proxied ? { proxyPort: 0 } : {}),
  planStep(p, host, paths) {
    const plan = planChroot({
      policy: p,
      helper: host.helper,
      ...(host.unshare ? { unshare: host.unshare } : {}),
      seccomp: host.seccomp,
      hasProcDir: host.hasProcDir,
      hidden: host.hidden,
      ...(paths.proxyPort !== undefined ? { proxyPort: paths.proxyPort } : {}),
      ...(host.mountNs !== undefined ? { hostMountNs: host.mountNs } : {}),
    });
    return { plan, seccomp: describeConfineFilter(host.arch) };
  },
};

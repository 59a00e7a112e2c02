// The landlock backend: for hosts that refuse namespaces (Docker's default profile,
// Kubernetes pods, Ubuntu 24.04's restricted user namespaces). No mounts: the jail works
// in a shadow of the project (./shadow-run.ts) and sp-confine applies a Landlock ruleset,
// the seccomp filter and the jail user (./plan.ts says what each step may do).

import { existsSync, lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { HostError } from '../../errors.js';
import type { Policy } from '../../policy/types.js';
import { shadowLayout } from '../../policy/named-paths.js';
import { ETC_ALLOWED, ETC_HOST_NETWORK, namedBinds, readTopLevel, type HostLayout } from '../../host/layout.js';
import { buildConfineFilter, describeConfineFilter, hostSeccompArch, type SeccompArch } from '../../seccomp/index.js';
import { helperPath } from '../../confine/helper.js';
import { prepareCacheDirs } from '../../stage/cache-dirs.js';
import { stageRootFor } from '../../stage/stage-dirs.js';
import type { Backend, RunPaths } from '../backend.js';
import { landlockFiles, planLandlock } from './plan.js';

/** What the landlock backend plans from: read once per run. */
export interface LandlockHost {
  /** Named paths outside the project, as Landlock read rules (hidden entries left out). */
  readonly named: readonly string[];
  readonly arch: SeccompArch;
  readonly seccomp: Buffer;
  readonly helper: string;
  readonly layout: Pick<HostLayout, 'topLevel' | 'etc'>;
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

function gather(p: Policy): LandlockHost {
  const arch = hostSeccompArch();
  const helper = helperPath();
  if (!arch || !helper) throw new HostError(`the landlock backend supports x86-64 and arm64, not ${process.arch}`);
  return {
    named: namedBinds(p.namedPaths, p.project.hide).flatMap((n) => readableAround(n.path, n.hidden.map((h) => h.path))),
    arch,
    seccomp: buildConfineFilter(arch),
    helper,
    layout: { topLevel: readTopLevel(), etc: [...ETC_ALLOWED, ...(p.network.mode === 'host' ? ETC_HOST_NETWORK : [])].filter((e) => existsSync(e)) },
  };
}

export const landlockBackend: Backend<LandlockHost> = {
  name: 'landlock',
  stages: () => true,
  needsRunDir: () => true,
  gather,
  prepare(p) {
    // Without mounts, a configuration file outside HOME cannot be covered by a copy.
    const problems = [...new Set(p.phases.flatMap((phase) => landlockFiles(p, phase, '/').problems))];
    if (problems.length > 0) {
      throw new HostError(problems.join('; '), undefined, 'move the credentials to your user config (~/.npmrc), or use the sandbox backend');
    }
    prepareCacheDirs(p);
    return gather(p);
  },
  describedPaths(p): RunPaths {
    const runDir = join(stageRootFor(p), 'run-XXXXXX');
    const layout = shadowLayout(p.project.dir, p.namedPaths);
    const shadow = join(runDir, layout.shadow);
    const mirrors = layout.mirrors.map((m) => join(runDir, m.at));
    return {
      runDir,
      landlock: { home: join(runDir, 'home-1'), tmp: join(runDir, 'tmp'), shadow, cwd: join(shadow, p.cwd.slice(p.project.dir.length)), readable: [], ...(mirrors.length ? { mirrors } : {}) },
      ...(p.network.proxied ? { proxyPort: 0 } : {}),
    };
  },
  planStep(p, host, paths, { phase, command, writable }) {
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
  },
};

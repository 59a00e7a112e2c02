// HostFacts for the real host: the one place policy resolution touches the system.

import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import type { HostFacts } from '../policy/resolve.js';
import { readToolConfig } from '../profiles/tool-config.js';
import { PROFILES } from '../profiles/catalog.js';
import { lookupGroupName, lookupUser } from './users.js';
import { findProgram } from './which.js';
import { programNeeds } from './program.js';
import { probeSandbox, sandboxInstalled } from '../backends/sandbox/probe.js';
import { findTool } from './system-tools.js';
import { probeConfine } from '../confine/helper.js';
import { tasksOf } from './tasks.js';
import { probeNamespaces } from './namespace-probe.js';
import { projectWorkspaces } from './workspaces.js';

/** safe-package's own cache for a jail user: never the user's ~/.npm or ~/.cache/pip. */
export function cacheDirFor(invokerHome: string, env: Readonly<Record<string, string | undefined>>, jailUid: number, dropPrivileges: boolean): string {
  // When root runs the jail as another user, the cache must be reachable by that user,
  // and root's home is not: use a system directory, one subdirectory per uid.
  if (dropPrivileges) return `/var/cache/safe-package/uid-${jailUid}`;
  const xdg = env.XDG_CACHE_HOME;
  return join(xdg && xdg.startsWith('/') ? xdg : join(invokerHome, '.cache'), 'safe-package');
}

export function hostFacts(invokedAs: string): HostFacts {
  const info = userInfo();
  const env = process.env;
  const cwd = process.cwd();
  const invoker = { uid: info.uid, gid: info.gid, name: info.username, home: info.homedir };
  const isRootUser = info.uid === 0;
  return {
    invokedAs,
    cwd,
    env,
    invoker,
    isRoot: info.uid === 0,
    lookupUser: (spec) => lookupUser(spec),
    groupName: (gid) => lookupGroupName(gid),
    findProgram,
    programNeeds,
    exists: existsSync,
    realpath: (p) => {
      try {
        return realpathSync(p);
      } catch {
        return p;
      }
    },
    sandboxInstalled: () => sandboxInstalled(env),
    probeLandlock: () => probeConfine(),
    workspaces: (dir) => projectWorkspaces(dir),
    readText: (path) => {
      try {
        return readFileSync(path, 'utf8');
      } catch {
        return undefined;
      }
    },
    probeNamespaces: () => (isRootUser ? probeNamespaces(env) : { ok: false, reason: 'namespaces without a user namespace need root' }),
    tasksOf: (uid) => tasksOf(uid),
    probeSandbox: (user, drop) => {
      const setpriv = findTool('setpriv');
      return probeSandbox(drop && setpriv ? { uid: user.uid, gid: user.gid, setpriv } : undefined);
    },
    toolConfig: (profile, jailHome, nodePath, args) =>
      readToolConfig({ source: PROFILES[profile].registry, hostEnv: env, home: invoker.home, jailHome, args, ...(nodePath ? { nodePath } : {}) }),
    cacheDir: (user, drop) => cacheDirFor(invoker.home, env, user.uid, drop),
  };
}

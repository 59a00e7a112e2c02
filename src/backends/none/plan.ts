// Policy → LaunchPlan for the none backend. Pure.

import type { Policy } from '../../policy/types.js';
import type { LaunchPlan } from '../../plan/types.js';

export function planNone(p: Policy): LaunchPlan {
  return {
    backend: 'none',
    argv: [p.command.path, ...p.command.args],
    env: p.env.vars,
    cwd: p.cwd,
    fds: [],
    mounts: [{ where: '/', what: 'bind', from: 'the host, unrestricted' }],
    namespaces: [],
    hardening: ['environment cleared to the keep list; nothing else'],
    lifetime: 'none',
    mainProcess: 'spawned',
  };
}

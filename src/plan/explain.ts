// --explain: a readable account of the resolved policy and the launch plan, and the
// same as JSON (--explain --json). Nothing is run. Values of variables the user chose to
// keep are never printed (they may be tokens); only names.

import { redactArgs } from '../profiles/npmrc.js';
import type { Policy } from '../policy/types.js';
import type { LaunchPlan } from './types.js';
import { BRIDGE_CODE_SHOWN } from '../backends/sandbox/bridge-port.js';

/** Variables whose values are not secrets and help to understand the jail. */
const SHOWN_VALUES = /^(PATH|HOME|TMPDIR|USER|LOGNAME|TERM|LANG|NO_COLOR|FORCE_COLOR|COLORTERM|NODE_EXTRA_CA_CERTS|SSL_CERT_FILE|SSL_CERT_DIR|REQUESTS_CA_BUNDLE|PIP_CERT|HTTPS?_PROXY|https?_proxy|NO_PROXY|no_proxy|npm_config_(cache|proxy|https_proxy|update_notifier|fund|store_dir|package_import_method|nodedir|registry)|PIP_CACHE_DIR|PIP_DISABLE_PIP_VERSION_CHECK|PIP_NO_INPUT|YARN_[A-Z_]+|XDG_CACHE_HOME)$/;

/**
 * The jail's environment, without the phase's credentials. The landlock backend moves
 * HOME, the caches and the proxy (it has no mounts and no network namespace), the chroot
 * backend the proxy: their plans say where they are.
 */
export function environmentView(p: Policy, plan?: LaunchPlan): { name: string; value?: string }[] {
  const vars: Record<string, string> = { ...p.env.vars };
  if (plan?.backend === 'landlock' || plan?.backend === 'chroot') {
    for (const name of Object.keys(vars)) {
      if (plan.env[name] === undefined) delete vars[name];
      else vars[name] = plan.env[name]!;
    }
    if (plan.env.TMPDIR !== undefined) vars.TMPDIR = plan.env.TMPDIR;
  }
  return Object.keys(vars)
    .sort()
    .map((name) => (SHOWN_VALUES.test(name) ? { name, value: vars[name]! } : { name }));
}

/**
 * A launch plan as --explain --json prints it, and as the report records each step's
 * jail: the same function, so that what was explained is what can be compared with what
 * ran. No secret is in it (see ./types.ts). The bridge's compiled source, an argument of
 * the outer layer, is named rather than printed (--explain plans with the name already).
 */
export function planJson(plan: LaunchPlan, seccomp: readonly string[] = [], bridgeCode?: string): PlanJson {
  const shown = (arg: string) => (bridgeCode && arg === bridgeCode ? BRIDGE_CODE_SHOWN : arg);
  return {
    argv: redactArgs(plan.argv.map(shown)),
    jail_args: plan.jailArgs ? redactArgs(plan.jailArgs) : null,
    cwd: plan.cwd,
    descriptors: plan.fds.map((f, i) => ({ fd: 3 + i, kind: f.kind, purpose: f.purpose, ...(f.kind === 'data' ? { bytes: f.data.length } : {}) })),
    mounts: plan.mounts,
    namespaces: plan.namespaces,
    hardening: plan.hardening,
    lifetime: plan.lifetime,
    seccomp: [...seccomp],
  };
}

export interface PlanJson {
  readonly argv: readonly string[];
  readonly jail_args: readonly string[] | null;
  readonly cwd: string;
  readonly descriptors: readonly { fd: number; kind: string; purpose: string; bytes?: number }[];
  readonly mounts: LaunchPlan['mounts'];
  readonly namespaces: readonly string[];
  readonly hardening: readonly string[];
  readonly lifetime: LaunchPlan['lifetime'];
  readonly seccomp: readonly string[];
}

export function explainJson(p: Policy, plan: LaunchPlan, extra: { seccomp?: string[] } = {}): unknown {
  return {
    schema: 'safe-package/explain@1',
    command: { exe: p.command.exe, path: p.command.path, args: redactArgs(p.command.args) },
    profile: p.profile.name,
    backend: { name: p.backend, reason: p.backendReason },
    user: { name: p.user.name, uid: p.user.uid, gid: p.user.gid, home: p.user.home, drop_privileges: p.dropPrivileges },
    root_dir: p.rootDir ?? null,
    environment: { passed: environmentView(p, plan), withheld: p.env.withheld, kept_but_unset: p.env.keptButUnset },
    network: { mode: p.network.mode, allow: p.network.allow, registries: p.network.registries },
    project: { dir: p.project.dir, write: p.project.write, hide: p.project.hide },
    read_only_paths: p.readOnlyPaths,
    credentials_removed: p.removedCredentials,
    limits: p.limits,
    config: {
      layers: p.config.layers.map((l) => ({ kind: l.kind, source: l.source })),
      origin: p.config.origin,
      ignored: p.config.ignored,
      project: p.config.project ?? null,
    },
    warnings: p.warnings,
    phases: p.phases.map((ph) => ({ name: ph.name, network: ph.network, credentials: ph.credentials, cache_writable: ph.cacheWritable, describe: ph.describe })),
    plan: planJson(plan, extra.seccomp),
  };
}

export function explainText(p: Policy, plan: LaunchPlan, extra: { seccomp?: string[]; staged?: boolean } = {}): string {
  const out: string[] = [];
  const section = (title: string) => out.push('', title);
  const item = (text: string) => out.push(`  ${text}`);

  out.push(`safe-package would run: ${redactArgs([p.command.path, ...p.command.args]).join(' ')}`);
  item(`profile: ${p.profile.name} — ${p.profile.description}`);
  item(`backend: ${p.backend} (${p.backendReason})`);
  item(`as user: ${p.user.name} (uid ${p.user.uid}, gid ${p.user.gid})${p.dropPrivileges ? ', dropping root first' : ''}; HOME ${p.user.home}`);
  if (p.rootDir) item(`jail root: ${p.rootDir}`);

  section('Environment (starts empty)');
  for (const v of environmentView(p, plan)) item(v.value !== undefined ? `${v.name}=${v.value}` : `${v.name} (kept; value not shown)`);
  item(`withheld (${p.env.withheld.length}): ${p.env.withheld.join(' ') || '-'}`);
  if (p.env.keptButUnset.length) item(`asked to keep but not set: ${p.env.keptButUnset.join(' ')}`);
  if (p.removedCredentials.length) item(`credentials removed from tool config: ${p.removedCredentials.join('; ')}`);

  section('Network');
  if (p.backend === 'none' || p.network.mode === 'host') item('host network, unrestricted');
  else if (p.network.mode === 'none' && p.backend === 'sandbox') item('none: the jail has no network interface but loopback');
  else if (p.network.mode === 'none') item(`none: ${plan.hardening.find((h) => h.startsWith('network:'))?.slice('network: '.length) ?? 'no TCP (Landlock); seccomp refuses other sockets'}`);
  else {
    item(p.backend === 'sandbox' ? 'registry: no interface of its own; only the proxy, which allows:' : "registry: the host's network, but TCP only to the proxy's loopback port (Landlock); the proxy allows:");
    for (const h of p.network.allow) item(`  ${h}`);
    if (p.network.allow.length === 0) item('  (nothing: this profile has no registry)');
  }

  section('File system');
  for (const m of plan.mounts) item(`${m.where.padEnd(30)} ${m.what}${m.from ? `  ${m.from}` : ''}`);
  item(`project: ${p.project.dir}`);
  if (extra.staged) item(`  writes kept after review: ${p.project.write.join(' ') || '(none)'}`);
  else if (p.backend === 'none') item('  writes: anywhere you can write, not reviewed');
  else item(`  writes: straight to the project, wherever ${p.user.name} may write; NOT staged or reviewed (the ${p.backend} backend with a jail root)`);
  if (p.backend !== 'none') item(`  hidden: ${p.project.hide.join(' ')}`);

  section('Phases');
  for (const ph of p.phases) item(`${ph.name}: ${ph.describe}`);

  section('Isolation');
  item(`namespaces: ${plan.namespaces.join(', ') || 'none'}`);
  for (const h of plan.hardening) item(h);
  const lifetime = {
    'pid-namespace': 'every jail process dies with the program (PID namespace)',
    supervisor: 'every jail process is killed when the program exits (a supervisor that is their subreaper)',
    none: 'not enforced (processes may outlive the program)',
  }[plan.lifetime];
  item(`process lifetime: ${lifetime}`);
  for (const s of extra.seccomp ?? []) item(`  seccomp: ${s}`);

  section('Configuration');
  for (const l of p.config.layers) item(`${l.kind}: ${l.source}`);
  if (p.config.layers.length === 1) item('(no config files)');
  for (const ig of p.config.ignored) item(`ignored ${ig.key} (${ig.where}): ${ig.reason}`);
  if (p.output.report) item(`report: ${p.output.report}`);
  if (p.output.strict) item('strict: any blocked or discarded action fails the run');

  if (p.warnings.length) {
    section('Warnings');
    for (const w of p.warnings) item(w);
  }

  section('Launch');
  item(`argv: ${redactArgs(plan.argv).join(' ')}`);
  if (plan.jailArgs) item(`bubblewrap arguments (passed on fd 3): ${redactArgs(plan.jailArgs).join(' ')}`);
  plan.fds.forEach((f, i) => item(`fd ${3 + i}: ${f.purpose}${f.kind === 'data' ? ` (${f.data.length} bytes)` : ''}`));
  return out.join('\n') + '\n';
}

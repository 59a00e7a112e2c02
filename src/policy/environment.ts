// The jail's environment (docs/promises.md#p4-environment), as a pure function.
//
// It starts empty: tokens in the environment (NPM_TOKEN, GITHUB_TOKEN, AWS_*) are the
// first thing a malicious install script sends home. Only what the user keeps, a few
// harmless basics, the profile's own variables and the variables that tell tools whom to
// trust on the network get in. Values never appear in logs or reports, only names.

import { hasWildcard, matchName } from '../util/glob.js';

export const SANE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * Variables naming CA bundles. Corporate networks that inspect TLS depend on them, and
 * their values are paths, not secrets; the files they name are bound read-only.
 */
export const TRUST_VARIABLES = ['NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE', 'SSL_CERT_DIR', 'REQUESTS_CA_BUNDLE', 'PIP_CERT'] as const;

/** Passed through when set: they change how output looks, never what a tool may do. */
const BASICS = ['TERM', 'LANG', 'COLORTERM', 'NO_COLOR', 'FORCE_COLOR'] as const;

export interface EnvironmentInput {
  readonly hostEnv: Readonly<Record<string, string | undefined>>;
  /** Names or globs (`LC_*`) from -k / keep_env. */
  readonly keep: readonly string[];
  /** The jail's HOME (a fresh tmpfs inside). */
  readonly home: string;
  readonly userName: string;
  /** Extra PATH entries in front of the sane default (e.g. the package manager's own bin dir). */
  readonly pathPrefix: readonly string[];
  /** Variables the profile needs (cache locations, proxy settings). They win over keep. */
  readonly profileEnv: Readonly<Record<string, string>>;
  /** Whether a path exists on the host (for trust variables); injected to keep this pure. */
  readonly pathExists: (path: string) => boolean;
}

export interface JailEnvironment {
  readonly vars: Record<string, string>;
  /** Host variable names that were not passed in, sorted. */
  readonly withheld: string[];
  /** Names from the keep list that matched nothing on the host. */
  readonly keptButUnset: string[];
  /** Files and directories named by trust variables, to bind read-only. */
  readonly trustPaths: string[];
}

export function buildEnvironment(input: EnvironmentInput): JailEnvironment {
  const host = input.hostEnv;
  const vars: Record<string, string> = {};
  const trustPaths: string[] = [];

  const pathEntries = [...input.pathPrefix, SANE_PATH].filter((p) => p !== '');
  vars.PATH = [...new Set(pathEntries.join(':').split(':'))].join(':');

  for (const name of BASICS) {
    const v = host[name];
    if (v !== undefined) vars[name] = v;
  }
  for (const name of TRUST_VARIABLES) {
    const v = host[name];
    // Only absolute paths that exist: a relative one would resolve differently inside.
    if (v !== undefined && v.startsWith('/') && input.pathExists(v)) {
      vars[name] = v;
      trustPaths.push(v);
    }
  }

  const keptButUnset: string[] = [];
  const hostNames = Object.keys(host).filter((k) => host[k] !== undefined);
  for (const pattern of input.keep) {
    const matched = hasWildcard(pattern) ? hostNames.filter((n) => matchName(pattern, n)) : hostNames.filter((n) => n === pattern);
    if (matched.length === 0) keptButUnset.push(pattern);
    for (const name of matched) vars[name] = host[name]!;
  }

  Object.assign(vars, input.profileEnv);
  // Always the jail's own identity and home, whatever was kept: the real HOME path is an
  // empty tmpfs inside, and pointing tools elsewhere would only confuse them.
  vars.HOME = input.home;
  vars.USER = input.userName;
  vars.LOGNAME = input.userName;

  const withheld = hostNames.filter((n) => !(n in vars)).sort();
  return { vars, withheld, keptButUnset, trustPaths };
}

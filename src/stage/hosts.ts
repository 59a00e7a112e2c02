// Where a URL written in the jail (a lockfile's `resolved`, a dependency specifier) would
// send the next install. A redirected `resolved` URL makes the user's next plain
// `npm ci` fetch code from the attacker, long after the jail is gone.

/** Null when the URL's host is one of `hosts` (`host` or `host:port`), else the host. */
export function foreignHost(url: string, hosts: readonly string[]): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return url.slice(0, 80);
  }
  const host = u.hostname.toLowerCase().replace(/^\[|\]$/g, '');
  const port = u.port || defaultPort(u.protocol);
  const allowed = hosts.some((entry) => {
    const e = entry.toLowerCase();
    const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(e);
    if (!m) return false;
    const h = m[1]!.replace(/^\[|\]$/g, '');
    return h === host && (m[2] === undefined || m[2] === port);
  });
  if (allowed && u.username === '' && u.password === '') return null;
  return u.port ? `${host}:${u.port}` : host || u.protocol;
}

function defaultPort(protocol: string): string {
  if (protocol === 'https:' || protocol === 'git+https:') return '443';
  if (protocol === 'http:' || protocol === 'git+http:') return '80';
  if (protocol === 'ssh:' || protocol === 'git+ssh:') return '22';
  return '';
}

const HOSTED_SHORTCUTS: Record<string, string> = {
  'github:': 'github.com',
  'gitlab:': 'gitlab.com',
  'bitbucket:': 'bitbucket.org',
  'gist:': 'gist.github.com',
};

/**
 * The foreign host an npm dependency specifier fetches from, or null when it is served by
 * the registry (a version, range, tag or `npm:` alias) or is a local path.
 */
export function specifierForeignHost(spec: string, hosts: readonly string[]): string | null {
  const s = spec.trim();
  if (s.startsWith('npm:')) return null;
  if (/^(file|link|workspace|portal|patch):/.test(s) || /^(\.{0,2}\/|~\/)/.test(s)) return null;
  for (const [prefix, host] of Object.entries(HOSTED_SHORTCUTS)) {
    if (s.startsWith(prefix)) return hosts.includes(host) ? null : host;
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(s)) return foreignHost(s, hosts);
  if (/^git@[^:]+:/.test(s)) return s.slice(4, s.indexOf(':'));
  // `owner/repo` and `owner/repo#ref` are GitHub shorthands; scoped names start with '@'.
  if (/^[^@\s/][^\s/]*\/[^\s/]+$/.test(s)) return hosts.includes('github.com') ? null : 'github.com';
  return null;
}

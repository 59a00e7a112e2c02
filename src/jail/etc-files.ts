// The jail's own /etc: only what programs need to start, nothing about the host's users.
// Pure text generators.

export interface JailAccount {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  /** Group name for `gid` (e.g. "nogroup"). */
  readonly group: string;
  readonly home: string;
}

/** root and nobody always; `extra` are the users given with --user. */
export function baseAccounts(nobodyGroupName: string): JailAccount[] {
  return [
    { name: 'root', uid: 0, gid: 0, group: 'root', home: '/root' },
    { name: 'nobody', uid: 65534, gid: 65534, group: nobodyGroupName, home: '/nonexistent' },
  ];
}

function mergeAccounts(accounts: readonly JailAccount[]): JailAccount[] {
  const byUid = new Map<number, JailAccount>();
  for (const a of accounts) if (!byUid.has(a.uid)) byUid.set(a.uid, a);
  return [...byUid.values()].sort((a, b) => a.uid - b.uid);
}

/** Field values that could add a line or a field to passwd/group are refused, not escaped:
 *  a user name with ':' or '\n' would let whoever named it write accounts into the jail. */
function field(value: string, what: string): string {
  if (/[:\n\r\0]/.test(value)) throw new Error(`${what} ${JSON.stringify(value)} contains ':' or a line break; it cannot go into /etc/passwd`);
  return value;
}

/** No password field (`x` points at a shadow file the jail does not have) and no login shell. */
export function renderPasswd(accounts: readonly JailAccount[]): string {
  return mergeAccounts(accounts)
    .map((a) => `${field(a.name, 'user name')}:x:${a.uid}:${a.gid}:${field(a.name, 'user name')}:${field(a.home, 'home directory')}:/usr/sbin/nologin\n`)
    .join('');
}

/** One group per distinct primary gid; no supplementary members (the chroot backend clears them). */
export function renderGroup(accounts: readonly JailAccount[]): string {
  const byGid = new Map<number, string>();
  for (const a of mergeAccounts(accounts)) if (!byGid.has(a.gid)) byGid.set(a.gid, a.group);
  return [...byGid.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([gid, name]) => `${field(name, 'group name')}:x:${gid}:\n`)
    .join('');
}

/**
 * Only the `files` source, which glibc ≥ 2.34 has built in, so no NSS module (systemd, sss,
 * ldap, mdns) is loaded and no daemon socket is needed. `hosts` also lists `dns`, also built
 * into glibc, so the copied resolv.conf means something when the backend gives the jail a
 * network; with the default `registry` network there is no resolver to reach and lookups
 * simply fail.
 */
export function renderNsswitch(): string {
  return [
    '# Written by safe-package jail create: local files only.',
    'passwd:   files',
    'group:    files',
    'shadow:   files',
    'hosts:    files dns',
    'networks: files',
    'protocols: files',
    'services: files',
    '',
  ].join('\n');
}

/** npmrc keys that carry credentials (for a registry when written `//host/:_authToken`). */
const NPM_AUTH_KEYS = new Set(['_auth', '_authtoken', '_password', 'password', 'username', 'email', 'certfile', 'keyfile', 'cert', 'key', 'otp', 'token']);

/**
 * npm's global config minus every credential: auth keys (plain or per registry, e.g.
 * `//registry.example/:_authToken`) are dropped and `user:password@` is removed from URLs.
 * The jail is readable by the package manager's user, so a token here would be a token for
 * every install script.
 */
export function stripNpmrcAuth(text: string): { text: string; removed: number } {
  let removed = 0;
  const out: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const t = line.trim();
    if (t === '' || t.startsWith('#') || t.startsWith(';')) {
      out.push(line);
      continue;
    }
    const eq = t.indexOf('=');
    const rawKey = (eq === -1 ? t : t.slice(0, eq)).trim();
    const lastSeg = rawKey.slice(rawKey.lastIndexOf(':') + 1).toLowerCase().replace(/\[\]$/, '');
    if (NPM_AUTH_KEYS.has(lastSeg) || /auth|token|password|secret/i.test(rawKey)) {
      removed++;
      continue;
    }
    const cleaned = line.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s]+@/gi, '$1');
    if (cleaned !== line) removed++;
    out.push(cleaned);
  }
  return { text: out.join('\n'), removed };
}

/** The `cafile` an npmrc names (npm trusts these certificates for the registry), if any. */
export function npmrcCafile(text: string): string | undefined {
  let found: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*cafile\s*=\s*(.*?)\s*$/.exec(line);
    if (m && m[1] !== '') found = m[1]!.replace(/^"(.*)"$/, '$1');
  }
  return found;
}

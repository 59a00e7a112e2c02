// npm configuration files (.npmrc): parsing, credential removal, registry discovery.
// Pure functions over text.
//
// docs/promises.md#p8-profiles: the user's own npm configuration is honoured inside the jail (registry,
// scoped registries, cafile, strict-ssl, nodedir, ...) minus every credential. The
// credentials themselves reach only the fetch phase of a two-phase install (docs/promises.md#p7-two-phase-installs).

export interface NpmrcLine {
  readonly key: string;
  readonly value: string;
}

/** Keys that carry credentials, alone or after a `//host/path/:` prefix. */
const AUTH_KEYS = new Set(['_auth', '_authtoken', '_password', 'password', 'username', 'email', 'certfile', 'keyfile', 'cert', 'key', 'otp', 'token']);

export function parseNpmrc(text: string): NpmrcLine[] {
  const out: NpmrcLine[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';') || line.startsWith('[')) continue;
    const eq = line.indexOf('=');
    if (eq === -1) {
      out.push({ key: line, value: 'true' });
      continue;
    }
    out.push({ key: line.slice(0, eq).trim(), value: unquote(line.slice(eq + 1).trim()) });
  }
  return out;
}

function unquote(v: string): string {
  if (v.length >= 2 && ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'")))) return v.slice(1, -1);
  return v;
}

/** The setting name without a `//registry.example/path/:` scope. */
function bareKey(key: string): string {
  const m = /^\/\/.*:([^:]+)$/.exec(key);
  return (m ? m[1]! : key).toLowerCase();
}

export function isAuthKey(key: string): boolean {
  return AUTH_KEYS.has(bareKey(key)) || bareKey(key).endsWith('_auth') || bareKey(key).endsWith('_authtoken');
}

/** Removes `user:password@` from a URL, leaving anything that is not a URL unchanged. */
export function stripUrlCredentials(value: string): string {
  return value.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/i, '$1');
}

/**
 * One command-line argument as it may be printed or stored (report, --explain): every
 * URL's `user:password@` cut out wherever it appears (`--registry=https://u:t@host/`),
 * and the value of an auth setting (`--//host/:_authToken=…`, `--_auth=…`) replaced. Pure.
 */
export function redactArg(arg: string): string {
  const out = arg.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/gi, '$1');
  const m = /^--?([^=]+)=/.exec(out);
  if (m && isAuthKey(m[1]!)) return `${out.slice(0, m[0].length)}***`;
  return out;
}

export function redactArgs(args: readonly string[]): string[] {
  // `--_authToken value` as two arguments: the value follows an auth flag.
  return args.map((a, i) => (i > 0 && /^--?[^=]+$/.test(args[i - 1]!) && isAuthKey(args[i - 1]!.replace(/^--?/, '')) ? '***' : redactArg(a)));
}

/**
 * Settings a project's .npmrc may keep in the jail. A cloned repository or a pull
 * request chooses its .npmrc, and npm (pnpm, yarn 1) run programs it names before any
 * lifecycle script: `git=`, `script-shell=`, `shell=`, `node-options=` (--require),
 * `onload-script=`, `init-module=`, `editor=`, `browser=`, `viewer=`, node-gyp's
 * `python=`, pnpm's `pnpmfile=`/`global-pnpmfile=`; or send it elsewhere: `userconfig=`,
 * `globalconfig=`, `prefix=`, `cache=`, `proxy=`. So only settings that shape the
 * install and run nothing are kept; every other key is dropped (and named).
 */
const PROJECT_NPMRC_KEYS = new Set([
  'registry', 'strict-ssl', 'ca', 'cafile', 'save', 'save-exact', 'save-prefix', 'save-dev', 'save-optional', 'save-peer', 'save-prod', 'save-bundle',
  'engine-strict', 'legacy-peer-deps', 'strict-peer-deps', 'fund', 'audit', 'audit-level', 'package-lock', 'package-lock-only', 'lockfile-version',
  'omit', 'include', 'install-strategy', 'install-links', 'prefer-offline', 'prefer-online', 'offline', 'fetch-retries', 'fetch-retry-factor',
  'fetch-retry-mintimeout', 'fetch-retry-maxtimeout', 'fetch-timeout', 'progress', 'loglevel', 'color', 'unicode', 'update-notifier',
  'ignore-scripts', 'foreground-scripts', 'optional', 'production', 'global-style', 'legacy-bundling', 'bin-links', 'workspaces-update',
  'include-workspace-root', 'git-tag-version', 'tag-version-prefix', 'sign-git-tag', 'message', 'before', 'min-release-age', 'maxsockets',
  'replace-registry-host', 'prefer-dedupe', 'os', 'cpu', 'libc', 'access', 'provenance', 'dry-run',
  // pnpm's own settings in .npmrc, none of which names a program
  'node-linker', 'shamefully-hoist', 'public-hoist-pattern', 'hoist', 'hoist-pattern', 'auto-install-peers', 'strict-peer-dependencies',
  'prefer-workspace-packages', 'link-workspace-packages', 'shared-workspace-lockfile', 'dedupe-peer-dependents', 'resolution-mode',
  'lockfile', 'frozen-lockfile', 'prefer-frozen-lockfile', 'package-import-method', 'side-effects-cache', 'enable-pre-post-scripts',
  'ignore-pnpmfile', 'ignore-workspace-root-check', 'save-workspace-protocol', 'recursive-install', 'dedupe-direct-deps', 'symlink',
]);

/** Is this project .npmrc key kept (registry scopes included)? Pure. */
export function projectNpmrcKeyKept(key: string): boolean {
  const k = key.toLowerCase();
  return PROJECT_NPMRC_KEYS.has(k) || /^@[^:]+:registry$/.test(k);
}

/**
 * The project .npmrc as the jail sees it: credentials removed (as for any npmrc) and
 * every key off the allowlist dropped. `dropped` names them (never their values). Pure.
 */
export function projectNpmrcForJail(text: string): { text: string; dropped: string[]; removed: string[] } {
  const sanitized = sanitizeNpmrc(text);
  const kept: string[] = [];
  const dropped: string[] = [];
  for (const { key, value } of parseNpmrc(sanitized.text)) {
    if (projectNpmrcKeyKept(key)) kept.push(`${key}=${value}`);
    else dropped.push(key);
  }
  return { text: kept.length ? kept.join('\n') + '\n' : '', dropped, removed: sanitized.removed };
}

export interface SanitizedNpmrc {
  readonly text: string;
  /** Names (never values) of the settings that were removed. */
  readonly removed: string[];
}

/**
 * Credential-free copy of an npmrc. Lines are re-emitted as key=value; anything that
 * carries a credential is dropped, and credentials embedded in URLs are cut out.
 * Values that reference environment variables (`${NPM_TOKEN}`) are dropped too: the
 * variable would not exist in the jail, and the reference names a secret.
 */
export function sanitizeNpmrc(text: string): SanitizedNpmrc {
  const kept: string[] = [];
  const removed: string[] = [];
  for (const { key, value } of parseNpmrc(text)) {
    if (isAuthKey(key)) {
      removed.push(key);
      continue;
    }
    if (/\$\{[^}]+\}/.test(value) && /(token|auth|pass|secret|key)/i.test(value)) {
      removed.push(key);
      continue;
    }
    const clean = stripUrlCredentials(value);
    if (clean !== value) removed.push(`${key} (credentials in URL)`);
    kept.push(`${key}=${clean}`);
  }
  return { text: kept.length ? kept.join('\n') + '\n' : '', removed };
}

/** True when the text holds anything sanitizeNpmrc would remove. */
export function npmrcHasCredentials(text: string): boolean {
  return sanitizeNpmrc(text).removed.length > 0;
}

/** Registry URLs configured: `registry=` and every `@scope:registry=`. */
export function npmrcRegistries(lines: readonly NpmrcLine[]): string[] {
  return lines.filter((l) => l.key === 'registry' || /^@[^:]+:registry$/.test(l.key)).map((l) => stripUrlCredentials(l.value));
}

/** A setting's last value (later lines win, as in npm). */
export function npmrcGet(lines: readonly NpmrcLine[], key: string): string | undefined {
  let v: string | undefined;
  for (const l of lines) if (l.key === key) v = l.value;
  return v;
}

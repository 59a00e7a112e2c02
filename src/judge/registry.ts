// Which registry serves a package and with which credentials, from the user's own npm
// configuration: the same files and variables npm reads (profiles/tool-config.ts finds
// them), read here outside the jail. Pure.
//
// The credentials are secrets: they only ever become a request header; nothing here or
// in its callers prints, logs or reports them.

import { parseNpmrc, stripUrlCredentials, type NpmrcLine } from '../profiles/npmrc.js';
import { proxySettings, type ProxySettings } from './proxy.js';

export const DEFAULT_REGISTRY = 'https://registry.npmjs.org/';

export interface RegistryConfig {
  /** The registry for unscoped packages (and scopes without their own), ending in '/'. */
  readonly registry: string;
  /** `@scope` → registry URL. */
  readonly scopes: Readonly<Record<string, string>>;
  /** `//host[:port]/path/` → the Authorization header value for it. Secret. */
  readonly auth: Readonly<Record<string, string>>;
  /** `cafile` from the user's configuration, when set. */
  readonly cafile?: string;
  /** `strict-ssl=false`. */
  readonly insecure: boolean;
  /** The user's proxy (npmrc https-proxy/proxy/noproxy, HTTPS_PROXY/HTTP_PROXY/NO_PROXY). */
  readonly proxy?: ProxySettings;
}

export interface NpmrcSource {
  readonly text: string;
}

const slash = (url: string) => (url.endsWith('/') ? url : `${url}/`);

function expand(value: string, env: Readonly<Record<string, string | undefined>>): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => env[name] ?? '');
}

/** `https://r.example/npm/` → `//r.example/npm/` (npm's "nerf dart"), port kept when not the default. */
export function nerfDart(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  return `//${u.host}${slash(u.pathname)}`;
}

/**
 * The user's registry settings: `sources` from lowest precedence to highest (npm's global
 * npmrc, then the user's), then `npm_config_registry`. A project's .npmrc is not read: the
 * proxy does not let a project choose another registry either.
 */
export function registryConfig(sources: readonly NpmrcSource[], env: Readonly<Record<string, string | undefined>>): RegistryConfig {
  const lines: NpmrcLine[] = sources.flatMap((s) => parseNpmrc(s.text));
  let registry = DEFAULT_REGISTRY;
  const scopes: Record<string, string> = {};
  const auth: Record<string, string> = {};
  const basic: Record<string, { user?: string; pass?: string }> = {};
  let cafile: string | undefined;
  let insecure = false;
  for (const { key, value: raw } of lines) {
    const value = expand(raw, env);
    const lower = key.toLowerCase();
    if (lower === 'registry') registry = slash(value);
    else if (/^@[^:]+:registry$/i.test(key)) scopes[key.slice(0, key.indexOf(':'))] = slash(value);
    else if (lower === 'cafile') cafile = value;
    else if (lower === 'strict-ssl') insecure = value === 'false';
    else {
      const m = /^(\/\/.+\/):(_authtoken|_auth|username|_password)$/i.exec(key);
      if (!m) continue;
      const where = m[1]!;
      const what = m[2]!.toLowerCase();
      if (what === '_authtoken') auth[where] = `Bearer ${value}`;
      else if (what === '_auth') auth[where] = `Basic ${value}`;
      else {
        const b = (basic[where] ??= {});
        if (what === 'username') b.user = value;
        else b.pass = Buffer.from(value, 'base64').toString('utf8');
      }
    }
  }
  for (const [where, b] of Object.entries(basic)) {
    if (b.user !== undefined && b.pass !== undefined && auth[where] === undefined) auth[where] = `Basic ${Buffer.from(`${b.user}:${b.pass}`).toString('base64')}`;
  }
  const fromEnv = Object.entries(env).find(([k]) => k.toLowerCase() === 'npm_config_registry')?.[1];
  if (fromEnv) {
    // A token in the URL itself (https://user:token@host/) becomes a header, not part of the URL.
    try {
      const u = new URL(fromEnv);
      if (u.username || u.password) {
        const where = nerfDart(fromEnv);
        if (where && auth[where] === undefined) auth[where] = `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}`;
      }
    } catch {
      /* not a URL: npm would fail too */
    }
    registry = slash(stripUrlCredentials(fromEnv));
  }
  const proxy = proxySettings(lines.map((l) => ({ ...l, value: expand(l.value, env) })), env);
  return { registry: slash(stripUrlCredentials(registry)), scopes, auth, ...(cafile ? { cafile } : {}), insecure, ...(proxy.http || proxy.https ? { proxy } : {}) };
}

/** The registry that serves `name`. */
export function registryFor(config: RegistryConfig, name: string): string {
  if (name.startsWith('@')) {
    const scope = name.slice(0, name.indexOf('/'));
    const r = config.scopes[scope];
    if (r) return stripUrlCredentials(r);
  }
  return config.registry;
}

/** The Authorization header for a URL: the longest configured `//host/path/` that is a prefix of it. Secret. */
export function authFor(config: RegistryConfig, url: string): string | undefined {
  const dart = nerfDart(url);
  if (!dart) return undefined;
  let best: string | undefined;
  for (const where of Object.keys(config.auth)) if (dart.startsWith(where) && (!best || where.length > best.length)) best = where;
  return best ? config.auth[best] : undefined;
}

/** The packument URL: `<registry>/<name>`, a scoped name's slash encoded as npm does. */
export function packumentUrl(registry: string, name: string): string {
  return `${slash(registry)}${name.startsWith('@') ? `@${encodeURIComponent(name.slice(1))}` : encodeURIComponent(name)}`;
}

/** A URL as it may be shown: no credentials. */
export function shownUrl(url: string): string {
  return stripUrlCredentials(url);
}

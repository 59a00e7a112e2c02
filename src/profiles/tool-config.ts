// Reads the package manager's own configuration on the host (the I/O edge of profiles/)
// and turns it into what the jail needs: registry hosts to allow, credential-free copies
// of the configuration files, and the files they point to (a cafile, a local wheel
// directory) to bind read-only (docs/promises.md#p8-profiles).

import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { npmrcGet, npmrcRegistries, parseNpmrc, sanitizeNpmrc, stripUrlCredentials } from './npmrc.js';
import { mergePipSettings, parsePipConf, pipArgsSettings, pipSettingsFromEnv, PYPI_HOSTS, sanitizePipConf, type PipSettings } from './pipconf.js';
import type { RegistrySource } from './types.js';

export const NPM_DEFAULT_REGISTRY = 'https://registry.npmjs.org/';

/** A configuration file as the jail sees it. */
export interface JailFile {
  /** Where it appears inside the jail. */
  readonly path: string;
  readonly content: string;
  /** Where it came from on the host, for --explain. */
  readonly from: string;
}

export interface ToolConfig {
  /** Registry URLs from the tool's configuration (credentials removed). */
  readonly registries: string[];
  /** host:port strings for the proxy allowlist. */
  readonly registryHosts: string[];
  readonly files: JailFile[];
  /** Host paths the configuration points to, bound read-only at the same place. */
  readonly readOnlyPaths: string[];
  /** Variables to set inside the jail (credential-free). */
  readonly env: Record<string, string>;
  /** Names of credential settings that were kept out of the jail. */
  readonly removedCredentials: string[];
  /**
   * The credentials themselves, for the install phase of a two-phase install only
   * (docs/promises.md#p7-two-phase-installs): the original configuration files that held them (same jail paths as their
   * sanitized copies in `files`) and the values of the variables they reference.
   * Secrets: never printed, logged or reported.
   */
  readonly credentials: { readonly files: JailFile[]; readonly env: Record<string, string> };
}

const EMPTY: ToolConfig = { registries: [], registryHosts: [], files: [], readOnlyPaths: [], env: {}, removedCredentials: [], credentials: { files: [], env: {} } };

/** Variables an npmrc refers to as ${NAME} (npm expands them when it reads the file). */
export function referencedVariables(text: string): string[] {
  return [...new Set([...text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1]!))];
}

/** `https://registry.npmjs.org/` → `registry.npmjs.org:443`. Undefined for non-network URLs. */
export function hostPortOf(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return undefined;
  const port = u.port || (u.protocol === 'https:' ? '443' : '80');
  return `${u.hostname}:${port}`;
}

function isRegularFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function envGet(env: Readonly<Record<string, string | undefined>>, name: string): string | undefined {
  // npm reads npm_config_* case-insensitively.
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(env)) if (k.toLowerCase() === lower && v !== undefined) return v;
  return undefined;
}

export interface ToolConfigInput {
  readonly source: RegistrySource;
  readonly hostEnv: Readonly<Record<string, string | undefined>>;
  /** The invoking user's home, where their own config lives. */
  readonly home: string;
  /** The jail's HOME. */
  readonly jailHome: string;
  /** Resolved path of the node binary, when the tool runs on Node. */
  readonly nodePath?: string;
  /** The tool's own arguments (pip's -i/--index-url name an index the user chose). */
  readonly args?: readonly string[];
}

export function readToolConfig(input: ToolConfigInput): ToolConfig {
  if (input.source === 'npm') return readNpmConfig(input);
  if (input.source === 'pip') return readPipConfig(input);
  return EMPTY;
}

/** Node's installation prefix: /usr for /usr/bin/node, ~/.nvm/versions/node/vX for nvm. */
function nodePrefix(nodePath: string): string {
  let node = nodePath;
  try {
    node = realpathSync(node);
  } catch {
    /* keep the given path */
  }
  return dirname(dirname(node));
}

function readNpmConfig(input: ToolConfigInput): ToolConfig {
  const files: JailFile[] = [];
  const credentialFiles: JailFile[] = [];
  const credentialEnv: Record<string, string> = {};
  const removed: string[] = [];
  const readOnly: string[] = [];
  const registries: string[] = [];

  let globalPath = envGet(input.hostEnv, 'npm_config_globalconfig');
  if (!globalPath && input.nodePath) globalPath = join(nodePrefix(input.nodePath), 'etc', 'npmrc');
  const userPath = envGet(input.hostEnv, 'npm_config_userconfig') ?? join(input.home, '.npmrc');

  const consider = (hostPath: string, jailPath: string) => {
    const text = readText(hostPath);
    if (text === undefined) return;
    const lines = parseNpmrc(text);
    registries.push(...npmrcRegistries(lines));
    for (const key of ['cafile', 'nodedir']) {
      const v = npmrcGet(lines, key);
      if (v && v.startsWith('/') && existsSync(v)) readOnly.push(v);
    }
    const clean = sanitizeNpmrc(text);
    removed.push(...clean.removed.map((k) => `${hostPath}: ${k}`));
    files.push({ path: jailPath, content: clean.text, from: hostPath });
    if (clean.removed.length > 0) {
      credentialFiles.push({ path: jailPath, content: text, from: hostPath });
      for (const name of referencedVariables(text)) {
        const value = input.hostEnv[name];
        if (value !== undefined) credentialEnv[name] = value;
      }
    }
  };
  if (globalPath) consider(globalPath, globalPath);
  consider(userPath, join(input.jailHome, '.npmrc'));
  const gitProgram = npmGitProgram(input.hostEnv, [globalPath, userPath].map((f) => (f ? readText(f) : undefined)));

  const envRegistry = envGet(input.hostEnv, 'npm_config_registry');
  const env: Record<string, string> = { npm_config_git: gitProgram };
  // Native builds work offline (docs/promises.md#p8-profiles): with Node's headers installed next to node,
  // point node-gyp at them instead of letting it download them from nodejs.org.
  const configured = [globalPath, userPath].some((f) => f && /^\s*nodedir\s*=/m.test(readText(f) ?? ''));
  const envNodedir = envGet(input.hostEnv, 'npm_config_nodedir');
  if (envNodedir !== undefined && envNodedir.startsWith('/') && existsSync(envNodedir)) {
    // The user's own choice of headers: pass it on, with the directory it names.
    env.npm_config_nodedir = envNodedir;
    readOnly.push(envNodedir);
  } else if (!configured && envNodedir === undefined && input.nodePath) {
    const prefix = nodePrefix(input.nodePath);
    if (existsSync(join(prefix, 'include', 'node', 'node.h'))) env.npm_config_nodedir = prefix;
  }
  if (envRegistry) {
    registries.push(stripUrlCredentials(envRegistry));
    env.npm_config_registry = stripUrlCredentials(envRegistry);
    if (env.npm_config_registry !== envRegistry) credentialEnv.npm_config_registry = envRegistry;
  }
  if (!registries.some((r) => !/^@/.test(r))) registries.unshift(NPM_DEFAULT_REGISTRY);
  const unique = [...new Set(registries)];
  return {
    registries: unique,
    registryHosts: [...new Set(unique.map(hostPortOf).filter((h): h is string => h !== undefined))],
    files,
    readOnlyPaths: [...new Set(readOnly)],
    env,
    removedCredentials: removed,
    credentials: { files: credentialFiles, env: credentialEnv },
  };
}

/**
 * The git program npm runs, always the user's choice: their environment's, else their
 * global or user .npmrc's, else plain `git` from the PATH. Passed to npm in the
 * environment, which outranks every project .npmrc — including the one inside a git
 * dependency's clone, where npm runs `npm install` to prepare it (in the download phase,
 * with the registry credentials in reach) and reads the clone's .npmrc as that project's
 * configuration. (The user's own project .npmrc loses `git=` in the jail anyway.) Pure.
 */
export function npmGitProgram(hostEnv: Readonly<Record<string, string | undefined>>, configTexts: readonly (string | undefined)[]): string {
  const fromEnv = envGet(hostEnv, 'npm_config_git');
  if (fromEnv) return fromEnv;
  let chosen: string | undefined;
  // Later files win, as npm layers user configuration over global.
  for (const text of configTexts) {
    if (text === undefined) continue;
    const v = npmrcGet(parseNpmrc(text), 'git');
    if (v) chosen = v;
  }
  return chosen ?? 'git';
}

function readPipConfig(input: ToolConfigInput): ToolConfig {
  const files: JailFile[] = [];
  const removed: string[] = [];
  let settings: PipSettings = { extraIndexUrls: [], findLinks: [] };
  const systemFiles = ['/etc/pip.conf', '/etc/xdg/pip/pip.conf'];
  const userFiles: [string, string][] = [
    [join(input.home, '.pip', 'pip.conf'), join(input.jailHome, '.pip', 'pip.conf')],
    [join(input.home, '.config', 'pip', 'pip.conf'), join(input.jailHome, '.config', 'pip', 'pip.conf')],
  ];
  const consider = (hostPath: string, jailPath: string) => {
    // Only regular files: PIP_CONFIG_FILE=/dev/null must not turn the jail's /dev/null
    // into a read-only copy.
    if (!isRegularFile(hostPath)) return;
    const text = readText(hostPath);
    if (text === undefined) return;
    settings = mergePipSettings(settings, parsePipConf(text));
    const clean = sanitizePipConf(text);
    removed.push(...clean.removed.map((k) => `${hostPath}: ${k}`));
    files.push({ path: jailPath, content: clean.text, from: hostPath });
  };
  for (const f of systemFiles) consider(f, f);
  for (const [h, j] of userFiles) consider(h, j);
  const envFile = input.hostEnv.PIP_CONFIG_FILE;
  if (envFile && envFile.startsWith('/')) consider(envFile, envFile);
  settings = mergePipSettings(settings, pipSettingsFromEnv(input.hostEnv));
  settings = mergePipSettings(settings, pipArgsSettings(input.args ?? []));

  const env: Record<string, string> = {};
  if (envFile && envFile.startsWith('/') && existsSync(envFile)) env.PIP_CONFIG_FILE = envFile;
  if (input.hostEnv.PIP_INDEX_URL) env.PIP_INDEX_URL = stripUrlCredentials(input.hostEnv.PIP_INDEX_URL);
  if (input.hostEnv.PIP_EXTRA_INDEX_URL) env.PIP_EXTRA_INDEX_URL = input.hostEnv.PIP_EXTRA_INDEX_URL.split(/\s+/).map(stripUrlCredentials).join(' ');
  if (input.hostEnv.PIP_FIND_LINKS) env.PIP_FIND_LINKS = input.hostEnv.PIP_FIND_LINKS.split(/\s+/).map(stripUrlCredentials).join(' ');
  for (const name of ['PIP_TRUSTED_HOST', 'PIP_DEFAULT_TIMEOUT', 'PIP_DISABLE_PIP_VERSION_CHECK']) {
    const v = input.hostEnv[name];
    if (v !== undefined) env[name] = v;
  }

  const registries = [settings.indexUrl ?? 'https://pypi.org/simple/', ...settings.extraIndexUrls].map(stripUrlCredentials);
  const hosts = registries.map(hostPortOf).filter((h): h is string => h !== undefined);
  // The default index serves its files from a second host.
  if (!settings.indexUrl) hosts.push(...PYPI_HOSTS.map((h) => `${h}:443`));
  const readOnly: string[] = (settings.files ?? []).filter((f) => f.startsWith('/') && existsSync(f));
  for (const link of [...settings.findLinks, ...registries]) {
    const path = link.startsWith('file://') ? decodeURIComponent(new URL(link).pathname) : link.startsWith('/') ? link : undefined;
    if (path && existsSync(path)) readOnly.push(path);
    else {
      const hp = hostPortOf(link);
      if (hp) hosts.push(hp);
    }
  }
  return {
    registries,
    registryHosts: [...new Set(hosts)],
    files,
    readOnlyPaths: [...new Set(readOnly)],
    env,
    removedCredentials: removed,
    credentials: { files: [], env: {} },
  };
}

// Reading configuration files from disk (the I/O edge of config/).

import { lstatSync, readFileSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { parseJson, JsonSyntaxError } from '../util/json.js';
import { ConfigError, validateConfigDocument } from './schema.js';
import { resolveLayers } from './layer.js';
import { readTrustStore, sha256Hex, trustStateOf } from './trust.js';
import type { ConfigLayer, ConfigValues, LayerKind, ResolvedConfig } from './types.js';
import { shellQuote } from '../util/shell-quote.js';

export const SYSTEM_CONFIG = '/etc/safe-package/config.json';

export function userConfigPath(home: string): string {
  return join(home, '.safe-package', 'config.json');
}

export function projectConfigPath(cwd: string): string {
  return join(cwd, '.safe-package', 'config.json');
}

export interface LoadedFile {
  layer: ConfigLayer;
  raw: Buffer;
}

/** Parses one file's text into a layer; pure apart from the text given. */
export function parseConfigText(text: string, source: string, kind: LayerKind): ConfigLayer {
  let doc;
  try {
    doc = parseJson(text);
  } catch (err) {
    if (err instanceof JsonSyntaxError) {
      throw new ConfigError(`${source}:${err.pos.line}:${err.pos.column}: malformed JSON: ${err.message}`);
    }
    throw err;
  }
  const { values, where } = validateConfigDocument(doc, source);
  return { kind, source, values, where };
}

/**
 * A config file that someone else can edit would hand them control of the jail. The
 * system file must be root's; the user's own must be theirs (or root's). Neither may be
 * writable by group or others.
 */
export function checkConfigOwnership(path: string, st: Stats, kind: LayerKind, uid: number): string | undefined {
  if (kind === 'project') return undefined; // untrusted anyway; see layer.ts
  const owners = kind === 'system' ? [0] : [uid, 0];
  if (!owners.includes(st.uid)) {
    return `${path} is owned by uid ${st.uid}; it must belong to ${kind === 'system' ? 'root' : 'you or root'} (fix: chown ${kind === 'system' ? 'root' : uid} ${shellQuote(path)})`;
  }
  if ((st.mode & 0o022) !== 0) {
    return `${path} is writable by group or others, so another user could change your policy (fix: chmod go-w ${shellQuote(path)})`;
  }
  return undefined;
}

function readLayer(path: string, kind: LayerKind, uid: number): LoadedFile | undefined {
  let st: Stats;
  try {
    st = lstatSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new ConfigError(`${path}: cannot read: ${(err as Error).message}`);
  }
  if (st.isSymbolicLink() && kind === 'project') {
    // A project could point its config at a file the user trusted elsewhere.
    throw new ConfigError(`${path}: is a symbolic link; a project config must be a regular file`);
  }
  const problem = checkConfigOwnership(path, st, kind, uid);
  if (problem) throw new ConfigError(problem);
  let raw: Buffer;
  try {
    raw = readFileSync(path);
  } catch (err) {
    throw new ConfigError(`${path}: cannot read: ${(err as Error).message}`);
  }
  return { layer: parseConfigText(raw.toString('utf8'), path, kind), raw };
}

export interface LoadInput {
  readonly home: string;
  readonly cwd: string;
  readonly uid: number;
  readonly cli: ConfigValues;
  readonly cliWhere?: ConfigLayer['where'];
  readonly systemPath?: string;
}

export function loadConfig(input: LoadInput): ResolvedConfig {
  const system = readLayer(input.systemPath ?? SYSTEM_CONFIG, 'system', input.uid);
  const userPath = userConfigPath(input.home);
  const user = readLayer(userPath, 'user', input.uid);
  const projectPath = projectConfigPath(input.cwd);
  // When the project config *is* the user's own file (running in $HOME), it is the user's.
  const projectFile = projectPath === userPath ? undefined : readLayer(projectPath, 'project', input.uid);

  let project;
  if (projectFile) {
    const sha256 = sha256Hex(projectFile.raw);
    const state = trustStateOf(readTrustStore(input.home), projectPath, sha256);
    project = { ...projectFile.layer, sha256, trusted: state === 'trusted', changedSinceTrust: state === 'changed' };
  }
  const cli: ConfigLayer = { kind: 'command line', source: 'command line', values: input.cli, where: input.cliWhere ?? {} };
  return resolveLayers({
    ...(system ? { system: system.layer } : {}),
    ...(user ? { user: user.layer } : {}),
    ...(project ? { project } : {}),
    cli,
  });
}

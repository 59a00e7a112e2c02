// A PEP 503 "simple" package index on loopback for pip tests.
//
//   const index = await startPipIndex([await buildSdist(evil, out)]);
//   after(() => index.stop());
//   spawn(SYSTEM_PYTHON, ['-m', 'pip', ...pipInstallArgs(index, ['evil'], { target })],
//         { env: pipEnv() });
//
// PyPI is unreachable from the test machines, so everything pip needs must be here:
// by default the index also serves Debian's own setuptools and wheel wheels
// (/usr/share/python-wheels, packages python3-setuptools-whl and python3-wheel-whl),
// which pip's isolated build environment fetches to build an sdist.

import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { devNull } from 'node:os';
import { basename, join } from 'node:path';
import { normalizeProjectName } from './wheel.js';

/** The interpreter pip tests use: Debian's, not whatever python3 is first on PATH. */
export const SYSTEM_PYTHON = '/usr/bin/python3';

export const SYSTEM_WHEELS_DIR = '/usr/share/python-wheels';

export interface PipIndexOptions {
  /** Also serve setuptools and wheel from SYSTEM_WHEELS_DIR (default true). */
  readonly buildTools?: boolean;
  /**
   * Upload times (ISO 8601) by file name, served as PEP 700 `upload-time` in the PEP 691
   * JSON pages; files not named here were uploaded DEFAULT_UPLOAD_AGE_DAYS ago (old
   * enough for the judgement's default minimum release age of one day).
   */
  readonly uploadTimes?: Readonly<Record<string, string>>;
}

/** How old every served file is unless the test says otherwise. */
export const DEFAULT_UPLOAD_AGE_DAYS = 400;

export const PEP691_JSON = 'application/vnd.pypi.simple.v1+json';

export interface PipIndex {
  /** `http://127.0.0.1:PORT/simple/` — what `--index-url` takes. */
  readonly url: string;
  /** `127.0.0.1:PORT` — what a network allowlist takes. */
  readonly host: string;
  readonly port: number;
  /** Every request served, as `METHOD /path`, in order: what pip actually fetched. */
  readonly requests: readonly string[];
  /** Serves one more wheel or sdist (uploaded at `uploadTime`, ISO 8601, when given). */
  add(path: string, uploadTime?: string): void;
  stop(): Promise<void>;
}

interface ServedFile {
  readonly path: string;
  readonly filename: string;
  readonly project: string;
  readonly sha256: string;
  readonly uploadTime: string;
}

/** The normalised project a wheel (`name-ver-...whl`) or sdist (`name-ver.tar.gz`) belongs to. */
export function projectOfFile(filename: string): string {
  if (filename.endsWith('.whl')) {
    const name = filename.split('-')[0];
    if (name) return normalizeProjectName(name);
  } else {
    const stem = filename.replace(/\.(tar\.gz|zip)$/, '');
    const dash = stem.lastIndexOf('-');
    if (stem !== filename && dash > 0) return normalizeProjectName(stem.slice(0, dash));
  }
  throw new Error(`${filename} is neither a wheel (.whl) nor an sdist (.tar.gz, .zip)`);
}

/** Debian's setuptools and wheel wheels, which building an sdist in isolation needs. */
export function systemBuildToolWheels(dir = SYSTEM_WHEELS_DIR): string[] {
  const found = existsSync(dir) ? readdirSync(dir) : [];
  return ['setuptools', 'wheel'].map((project) => {
    const file = found.find((f) => f.startsWith(`${project}-`) && f.endsWith('.whl'));
    if (file === undefined) {
      throw new Error(
        `no ${project} wheel in ${dir}: install it with ` +
          `\`apt-get install python3-${project}-whl\` (PyPI is not reachable from the tests)`,
      );
    }
    return join(dir, file);
  });
}

/**
 * The environment for a test's pip: the caller's without any pip configuration
 * (PIP_* variables, pip.conf files, which on a developer machine may add indexes or
 * find-links that make a test pass here and fail in CI) and without proxies.
 */
export function pipEnv(base: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(base)) {
    if (value === undefined) continue;
    if (/^PIP_/i.test(key) || /^(https?|all|no)_proxy$/i.test(key)) continue;
    if (/^(PYTHONPATH|PYTHONHOME|PYTHONUSERBASE|VIRTUAL_ENV)$/.test(key)) continue;
    env[key] = value;
  }
  env['PIP_CONFIG_FILE'] = devNull; // pip reads no configuration file at all
  env['PIP_DISABLE_PIP_VERSION_CHECK'] = '1';
  env['PIP_NO_INPUT'] = '1';
  return env;
}

/**
 * Arguments after `python -m pip` that install requirements from this index only.
 * `--no-cache-dir`: a wheel pip built from an sdist in an earlier run would otherwise
 * be reused, and the sdist's setup.py (the code under test) would silently not run.
 */
export function pipInstallArgs(
  index: Pick<PipIndex, 'url'>,
  requirements: readonly string[],
  options: { readonly target?: string } = {},
): string[] {
  const args = ['install', '--no-cache-dir', '--index-url', index.url];
  if (options.target !== undefined) args.push('--target', options.target);
  return [...args, ...requirements];
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(res: ServerResponse, links: ReadonlyArray<[href: string, text: string]>): void {
  const body = links.map(([href, text]) => `<a href="${escapeHtml(href)}">${escapeHtml(text)}</a><br>`);
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
  res.end(`<!DOCTYPE html>\n<html><body>\n${body.join('\n')}\n</body></html>\n`);
}

/** The version in a served file's name (`name-1.0-py3-none-any.whl`, `name-1.0.tar.gz`). */
function versionOfServed(f: ServedFile): string {
  if (f.filename.endsWith('.whl')) return f.filename.split('-')[1] ?? '';
  const stem = f.filename.replace(/\.(tar\.gz|zip)$/, '');
  return stem.slice(stem.lastIndexOf('-') + 1);
}

export async function startPipIndex(
  packages: readonly string[],
  options: PipIndexOptions = {},
): Promise<PipIndex> {
  const files = new Map<string, ServedFile>();
  const requests: string[] = [];

  const oldEnough = new Date(Date.now() - DEFAULT_UPLOAD_AGE_DAYS * 86_400_000).toISOString();
  const add = (path: string, uploadTime?: string): void => {
    const filename = basename(path);
    const data = readFileSync(path);
    files.set(filename, {
      path,
      filename,
      project: projectOfFile(filename),
      sha256: createHash('sha256').update(data).digest('hex'),
      uploadTime: uploadTime ?? options.uploadTimes?.[filename] ?? oldEnough,
    });
  };
  for (const path of options.buildTools === false ? [] : systemBuildToolWheels()) add(path);
  for (const path of packages) add(path);

  const server = createServer((req, res) => {
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://index').pathname);
    } catch {
      res.writeHead(400).end();
      return;
    }
    requests.push(`${req.method} ${path}`);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405).end();
      return;
    }
    const served = [...files.values()];
    if (path === '/simple/') {
      const projects = [...new Set(served.map((f) => f.project))].sort();
      page(res, projects.map((p) => [`${p}/`, p]));
      return;
    }
    const project = /^\/simple\/([^/]+)\/?$/.exec(path)?.[1];
    if (project !== undefined) {
      const normalized = normalizeProjectName(project);
      if (!path.endsWith('/') || project !== normalized) {
        // PEP 503: the canonical URL is the normalised name with a trailing slash.
        res.writeHead(301, { location: `/simple/${normalized}/` }).end();
        return;
      }
      const mine = served.filter((f) => f.project === normalized);
      if (mine.length === 0) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end(`no project ${normalized}\n`);
        return;
      }
      // PEP 691: JSON to a client that asks for it (pip 22.2+ does), with PEP 700's upload-time.
      if ((req.headers.accept ?? '').includes(PEP691_JSON)) {
        const body = JSON.stringify({
          meta: { 'api-version': '1.1' },
          name: normalized,
          versions: [...new Set(mine.map((f) => versionOfServed(f)))],
          files: mine.map((f) => ({ filename: f.filename, url: `/files/${encodeURIComponent(f.filename)}`, hashes: { sha256: f.sha256 }, 'upload-time': f.uploadTime })),
        });
        res.writeHead(200, { 'content-type': PEP691_JSON });
        res.end(body);
        return;
      }
      page(res, mine.map((f) => [`/files/${encodeURIComponent(f.filename)}#sha256=${f.sha256}`, f.filename]));
      return;
    }
    const file = /^\/files\/([^/]+)$/.exec(path)?.[1];
    const served1 = file === undefined ? undefined : files.get(file);
    if (served1 !== undefined) {
      const data = readFileSync(served1.path);
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': data.length });
      res.end(req.method === 'HEAD' ? undefined : data);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${path}\n`);
  });

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolveListen());
  });
  const { port } = server.address() as AddressInfo;
  const host = `127.0.0.1:${port}`;
  let stopped = false;

  return {
    url: `http://${host}/simple/`,
    host,
    port,
    requests,
    add,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      server.closeAllConnections();
      await new Promise<void>((resolveClose) => server.close(() => resolveClose()));
    },
  };
}

// The benchmark's registry: the tests' verdaccio (tests/support/registry.ts) on
// loopback, serving from a package storage kept in bench/.cache/.
//
// The first run (or --refresh) starts it with an uplink to the public registry and
// installs the fixture once, which fills the storage: the only time the benchmark uses
// the internet. Every run then starts it without an uplink, so what is measured is
// npm, safe-package and loopback, never the internet.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRegistry, type TestRegistry } from '../../tests/support/registry.js';
import { readJson } from './report.js';
import { cleanPath } from './workspace.js';

export const UPLINK = 'https://registry.npmjs.org/';

/** What the scenarios need besides the fixture's lockfile. */
export interface Extras {
  /** `npm install` of one new package into the installed project. */
  readonly newPackage: string;
  /** A large tarball for the proxy's throughput. */
  readonly large: { readonly name: string; readonly version: string };
}

export const EXTRAS: Extras = {
  newPackage: 'axios@1.21.1',
  // About 35 MB: a prebuilt native binary, the biggest kind of tarball npm installs.
  large: { name: '@next/swc-linux-x64-gnu', version: '16.4.6' },
};

interface FillRecord {
  readonly key: string;
  readonly filledAt: string;
  readonly largeBytes: number;
}

export interface BenchRegistry {
  readonly registry: TestRegistry;
  readonly largeUrl: string;
  readonly largeBytes: number;
  /** 'cached': served from bench/.cache; 'fetched': filled from the internet this run. */
  readonly storage: 'cached' | 'fetched';
}

function fillKey(lockfile: string): string {
  return createHash('sha256').update(readFileSync(lockfile)).update(JSON.stringify(EXTRAS)).digest('hex');
}

function npmEnv(userconfig: string): Record<string, string> {
  const env: Record<string, string> = {
    PATH: cleanPath(process.env.PATH),
    HOME: process.env.HOME ?? '/',
    LANG: 'C.UTF-8',
    npm_config_userconfig: userconfig,
  };
  if (process.env.NODE_EXTRA_CA_CERTS) env.NODE_EXTRA_CA_CERTS = process.env.NODE_EXTRA_CA_CERTS;
  return env;
}

function npm(args: readonly string[], cwd: string, userconfig: string): void {
  const r = spawnSync('npm', args, { cwd, env: npmEnv(userconfig), encoding: 'utf8', timeout: 30 * 60_000 });
  if (r.status !== 0) {
    throw new Error(`filling the registry: npm ${args.join(' ')} failed (${r.error?.message ?? `status ${r.status}`}):\n${(r.stderr ?? '').slice(-3000)}`);
  }
}

async function tarballUrl(registry: TestRegistry, name: string, version: string): Promise<string> {
  const response = await fetch(new URL(name.replace('/', '%2f'), registry.url));
  if (!response.ok) throw new Error(`registry: GET ${name} answered ${response.status}`);
  const doc = (await response.json()) as { versions?: Record<string, { dist?: { tarball?: string } }> };
  const url = doc.versions?.[version]?.dist?.tarball;
  if (url === undefined) throw new Error(`registry: ${name}@${version} has no tarball (is the storage complete? try --refresh)`);
  return url;
}

/** Downloads a URL to nowhere and returns its size in bytes. */
async function drain(url: string): Promise<number> {
  const response = await fetch(url);
  if (!response.ok || response.body === null) throw new Error(`registry: GET ${url} answered ${response.status}`);
  let bytes = 0;
  for await (const chunk of response.body) bytes += (chunk as Uint8Array).byteLength;
  return bytes;
}

/** Fetches a package's metadata document through the mirror (which stores it), with retries. */
async function metadata(registry: TestRegistry, name: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      const response = await fetch(new URL(name.replace('/', '%2f'), registry.url));
      await response.arrayBuffer();
      if (response.ok) return;
      throw new Error(`HTTP ${response.status}`);
    } catch (err) {
      if (attempt === 3) {
        const cause = (err as { cause?: unknown }).cause;
        throw new Error(`registry: GET ${name} failed 3 times: ${(err as Error).message}${cause ? ` (${String(cause)})` : ''}`);
      }
      await new Promise((r) => setTimeout(r, 500 * attempt));
    }
  }
}

/** Every package name the lockfile installs (for their metadata documents). */
function lockedNames(lockfile: string): string[] {
  const lock = readJson(lockfile) as { packages?: Record<string, { name?: string }> } | undefined;
  const names = new Set<string>();
  for (const [path, entry] of Object.entries(lock?.packages ?? {})) {
    if (path === '') continue;
    names.add(entry.name ?? path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length));
  }
  return [...names];
}

async function fill(registry: TestRegistry, fixture: string, log: (s: string) => void): Promise<number> {
  const work = mkdtempSync(join(tmpdir(), 'sp-bench-fill-'));
  try {
    const project = join(work, 'project');
    cpSync(fixture, project, { recursive: true });
    const userconfig = await registry.writeNpmrc(join(work, 'npmrc'), { auth: false, cache: join(work, 'cache') });
    log(`  npm ci of ${lockedNames(join(fixture, 'package-lock.json')).length} packages through the mirror`);
    npm(['ci', '--ignore-scripts'], project, userconfig);
    log(`  metadata of every package (npm install reads it)`);
    const names = lockedNames(join(fixture, 'package-lock.json'));
    for (let i = 0; i < names.length; i += 4) await Promise.all(names.slice(i, i + 4).map((name) => metadata(registry, name)));
    log(`  npm install ${EXTRAS.newPackage}`);
    npm(['install', '--ignore-scripts', EXTRAS.newPackage], project, userconfig);
    log(`  ${EXTRAS.large.name}@${EXTRAS.large.version} (large tarball)`);
    return await drain(await tarballUrl(registry, EXTRAS.large.name, EXTRAS.large.version));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Starts the registry on loopback, offline. Fills bench/.cache/ first when it is empty,
 * was filled for another lockfile, or `refresh` is set.
 */
export async function startBenchRegistry(cacheDir: string, fixture: string, refresh: boolean, log: (s: string) => void): Promise<BenchRegistry> {
  const storageDir = join(cacheDir, 'storage');
  const recordFile = join(cacheDir, 'filled.json');
  const key = fillKey(join(fixture, 'package-lock.json'));
  const record = readJson(recordFile) as FillRecord | undefined;
  let storage: 'cached' | 'fetched' = 'cached';
  let largeBytes = record?.largeBytes ?? 0;

  if (refresh || record?.key !== key || !existsSync(storageDir)) {
    storage = 'fetched';
    log(`filling ${storageDir} from ${UPLINK} (once; later runs are offline)`);
    rmSync(storageDir, { recursive: true, force: true });
    mkdirSync(storageDir, { recursive: true });
    const mirror = await startRegistry({ uplink: UPLINK, storageDir, startTimeoutMs: 60_000 });
    try {
      largeBytes = await fill(mirror, fixture, log);
    } finally {
      await mirror.stop();
    }
    const filled: FillRecord = { key, filledAt: new Date().toISOString(), largeBytes };
    writeFileSync(recordFile, `${JSON.stringify(filled, null, 2)}\n`);
  }

  const registry = await startRegistry({ storageDir });
  try {
    const largeUrl = await tarballUrl(registry, EXTRAS.large.name, EXTRAS.large.version);
    return { registry, largeUrl, largeBytes, storage };
  } catch (err) {
    await registry.stop();
    throw err;
  }
}

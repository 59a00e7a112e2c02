// A real npm registry (verdaccio) on loopback for install tests, started and stopped by
// the tests themselves.
//
//   const registry = await startRegistry();           // offline, anonymous reads
//   after(() => registry.stop());
//   await registry.publishFixture({ name: 'dep', files: { 'index.js': '' } });
//   const npmrc = await registry.writeNpmrc(join(project, '.test-npmrc'));
//   await runNpm(['install', 'dep'], { cwd: project, userconfig: npmrc });
//
// The registry runs in its own process group (session), in a child process that exits
// when the test process goes away; stop() kills the group and checks that nothing of it
// is left. Its token is created through the registry's own user API and only ever
// written to mode-600 files, never put on a command line (/proc/*/cmdline is public).

import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  assertNpmSucceeded,
  runNpm,
  writeFixturePackage,
  type FixturePackage,
} from './fixture-packages.js';
import { renderVerdaccioConfig } from './verdaccio/config.js';
import type { LaunchMessage } from './verdaccio/launch.js';

export interface RegistryOptions {
  /** Refuse anonymous reads (`access: $authenticated`): installs work only with the token. */
  readonly auth?: boolean;
  /**
   * Upstream registry to mirror, e.g. 'https://registry.npmjs.org/'. Default: none, the
   * registry is fully offline and serves only what the test published.
   */
  readonly uplink?: string;
  /**
   * Package storage to use (and keep) instead of a fresh temporary one, e.g. to share a
   * mirror cache between runs. stop() never deletes it.
   */
  readonly storageDir?: string;
  /** How long to wait for the server to answer, in ms (default 30 s). */
  readonly startTimeoutMs?: number;
}

export interface NpmrcOptions {
  /** Include the test user's token (default true). */
  readonly auth?: boolean;
  /** Set `registry=` to this registry (default true). */
  readonly registry?: boolean;
  /** An npm cache directory for whoever uses this file. */
  readonly cache?: string;
}

export interface NpmrcFileOptions extends NpmrcOptions {
  /** Owner of the file, for npm run as a fixture user (the file stays mode 600). */
  readonly owner?: { readonly uid: number; readonly gid: number };
}

export interface TestRegistry {
  /** `http://127.0.0.1:PORT/` — what `--registry` takes. */
  readonly url: string;
  /** `127.0.0.1:PORT` — what a network allowlist takes. */
  readonly host: string;
  readonly port: number;
  /** A token for `username`, valid for reading and publishing. Keep it off command lines. */
  readonly token: string;
  readonly username: string;
  /** The registry process (leader of its own process group). */
  readonly pid: number;
  /** verdaccio's log (one line per HTTP request): read it when a test fails. */
  readonly logFile: string;
  /** Private temporary directory: config, htpasswd, log, npm cache, storage. */
  readonly dir: string;
  readonly storageDir: string;
  /** Time from startRegistry() being called to the token being ready, in ms. */
  readonly startupMs: number;
  /** The text of an npm user config for this registry. */
  npmrc(options?: NpmrcOptions): string;
  /**
   * Writes npmrc() to path (default: a new file in `dir`) with mode 600 and returns the
   * path. Pass a path in a world-readable directory for a fixture user; `dir` is root's.
   */
  writeNpmrc(path?: string, options?: NpmrcFileOptions): Promise<string>;
  /** `npm publish` of a package directory or tarball, as the test user, scripts ignored. */
  publish(dirOrTarball: string): Promise<void>;
  /** Writes the fixture to a temporary directory and publishes it. About 1 s. */
  publishFixture(spec: FixturePackage): Promise<void>;
  /**
   * Publishes many fixtures with one `npm publish --workspaces` run, about 0.4 s each
   * instead of 1 s: use it to set up a suite's packages in before().
   */
  publishFixtures(specs: readonly FixturePackage[]): Promise<void>;
  /**
   * Sets the publish time the registry's metadata gives one version (`time[version]`),
   * now and after every later publish. Every other version published to this registry
   * is dated FIXTURE_PUBLISH_TIME, long ago: safe-package's default minimum release age
   * (one day) lets fixtures through unless a test makes one young on purpose.
   */
  setPublishTime(name: string, version: string, when: Date): Promise<void>;
  /**
   * What the bulk advisory endpoint (`POST /-/npm/v1/security/advisories/bulk`, the one
   * npm audit uses) answers: advisories by package name. Default: none known.
   * `endpoint: false` makes it answer 404, as many private registries do.
   */
  setAdvisories(advisories: Readonly<Record<string, readonly Record<string, unknown>[]>>, options?: { readonly endpoint?: boolean }): Promise<void>;
  /** Kills the registry's process group and removes `dir`. Safe to call twice. */
  stop(): Promise<void>;
}

/** The publish time fixtures get (see setPublishTime). */
export const FIXTURE_PUBLISH_TIME = '2020-01-01T00:00:00.000Z';

const LAUNCHER = fileURLToPath(new URL('./verdaccio/launch.js', import.meta.url));

// Registries whose process group must die with this process, even when a test fails
// before calling stop(). The launcher also exits on its own when its IPC channel closes.
const live = new Set<number>();
let exitHookInstalled = false;

function killGroupsOnExit(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const pid of live) signalGroup(pid, 'SIGKILL');
  });
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

/** Pids of live processes in the given session or process group (from /proc). */
export function processesInGroup(pgid: number): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited while we looked
    }
    // Fields after the parenthesised command name: state ppid pgrp session ...
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const state = fields[0];
    if (state === 'Z' || state === 'X') continue;
    if (Number(fields[2]) === pgid || Number(fields[3]) === pgid) found.push(Number(entry));
  }
  return found;
}

async function tail(path: string, lines = 40): Promise<string> {
  try {
    return (await readFile(path, 'utf8')).split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

function waitForLaunch(child: ChildProcess, timeoutMs: number): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const timer = setTimeout(() => finish(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (message: unknown): void => {
      const m = message as Partial<LaunchMessage>;
      if (m.ready === true && typeof m.port === 'number') finish(undefined, m.port);
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void =>
      finish(new Error(`it exited before listening (status ${code ?? signal})`));
    const onError = (err: Error): void => finish(err);
    function finish(err: Error | undefined, port?: number): void {
      clearTimeout(timer);
      child.off('message', onMessage).off('exit', onExit).off('error', onError);
      if (err !== undefined) reject(err);
      else resolvePort(port!);
    }
    child.on('message', onMessage).on('exit', onExit).on('error', onError);
  });
}

async function waitForPing(url: string, deadline: number): Promise<void> {
  for (;;) {
    try {
      const response = await fetch(new URL('-/ping', url));
      await response.arrayBuffer();
      if (response.ok) return;
    } catch {
      // not accepting connections yet
    }
    if (Date.now() > deadline) throw new Error(`${url}-/ping did not answer 200 in time`);
    await sleep(25);
  }
}

/** Creates the test user through the registry's npm login API and returns its token. */
async function createUser(url: string, username: string): Promise<string> {
  const password = randomBytes(18).toString('base64url');
  const response = await fetch(new URL(`-/user/org.couchdb.user:${username}`, url), {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      _id: `org.couchdb.user:${username}`,
      name: username,
      password,
      type: 'user',
      roles: [],
      date: new Date().toISOString(),
    }),
  });
  const body = (await response.json().catch(() => ({}))) as { token?: unknown; error?: unknown };
  if (!response.ok || typeof body.token !== 'string') {
    throw new Error(
      `creating test user ${username} failed: HTTP ${response.status} ${JSON.stringify(body.error ?? body)}`,
    );
  }
  return body.token;
}

async function writePrivateFile(
  path: string,
  text: string,
  owner?: { readonly uid: number; readonly gid: number },
): Promise<void> {
  // Mode at creation and chmod for a file that already existed: the token must never
  // sit in a file other users can read, not even for a moment before a chmod.
  await writeFile(path, '', { mode: 0o600 });
  await chmod(path, 0o600);
  if (owner !== undefined) await chown(path, owner.uid, owner.gid);
  await writeFile(path, text);
}

export async function startRegistry(options: RegistryOptions = {}): Promise<TestRegistry> {
  const started = performance.now();
  const timeoutMs = options.startTimeoutMs ?? 30_000;
  const dir = await mkdtemp(join(tmpdir(), 'sp-registry-'));
  const storageDir = options.storageDir ?? join(dir, 'storage');
  const configFile = join(dir, 'config.yaml');
  const logFile = join(dir, 'verdaccio.log');
  await mkdir(storageDir, { recursive: true });
  await writeFile(
    configFile,
    renderVerdaccioConfig({
      storageDir,
      htpasswdFile: join(dir, 'htpasswd'),
      auth: options.auth ?? false,
      ...(options.uplink === undefined ? {} : { uplink: options.uplink }),
    }),
  );

  const log = openSync(logFile, 'a', 0o600);
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, [LAUNCHER, configFile, join(dir, 'advisories.json')], {
      cwd: dir,
      // Its own session and process group: stop() can kill everything it started.
      detached: true,
      stdio: ['ignore', log, log, 'ipc'],
      env: registryEnv(),
    });
  } finally {
    closeSync(log);
  }
  if (child.pid === undefined) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`could not start the test registry (${process.execPath} ${LAUNCHER})`);
  }
  const pid: number = child.pid;
  live.add(pid);
  killGroupsOnExit();
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));

  let stopped = false;
  async function stop(): Promise<void> {
    if (stopped) return;
    stopped = true;
    child.ref();
    signalGroup(pid, 'SIGTERM');
    const gone = await Promise.race([exited.then(() => true), sleep(3000, false, { ref: false })]);
    // Anything still in the group (a hung server, a child it started) gets SIGKILL.
    signalGroup(pid, 'SIGKILL');
    if (!gone) await exited;
    for (let i = 0; processesInGroup(pid).length > 0; i++) {
      if (i === 100) {
        throw new Error(
          `test registry process group ${pid} survived SIGKILL: ${processesInGroup(pid).join(', ')}`,
        );
      }
      await sleep(20);
    }
    live.delete(pid);
    await rm(dir, { recursive: true, force: true });
  }

  let port: number;
  let token: string;
  const username = 'sp-test-publisher';
  try {
    port = await waitForLaunch(child, timeoutMs);
    await waitForPing(`http://127.0.0.1:${port}/`, Date.now() + timeoutMs);
    token = await createUser(`http://127.0.0.1:${port}/`, username);
  } catch (err) {
    const detail = await tail(logFile);
    await stop().catch(() => undefined);
    throw new Error(
      `test registry did not start: ${(err as Error).message}\n--- its log ---\n${detail}`,
    );
  }
  // A registry a test forgot to stop must not keep the test process alive; the
  // launcher exits by itself when this process does.
  child.unref();
  (child.channel as { unref?: () => void } | undefined)?.unref?.();

  const host = `127.0.0.1:${port}`;
  const url = `http://${host}/`;
  let files = 0;

  const npmrc = (o: NpmrcOptions = {}): string => {
    const lines: string[] = [];
    if (o.registry ?? true) lines.push(`registry=${url}`);
    if (o.auth ?? true) lines.push(`//${host}/:_authToken=${token}`);
    if (o.cache !== undefined) lines.push(`cache=${o.cache}`);
    lines.push('audit=false', 'fund=false', 'update-notifier=false');
    return `${lines.join('\n')}\n`;
  };

  const writeNpmrc = async (path?: string, o?: NpmrcFileOptions): Promise<string> => {
    const target = path ?? join(dir, `npmrc-${++files}`);
    await writePrivateFile(target, npmrc(o), o?.owner);
    return target;
  };

  // Publish times: every version this registry received is dated long ago unless a test
  // chose its time; mirrored packages (published before the registry started) keep theirs.
  const chosenTimes = new Map<string, string>();
  const startedAt = Date.now() - 60_000;
  const redate = async (): Promise<void> => {
    const manifests: string[] = [];
    for (const entry of await readdir(storageDir).catch(() => [] as string[])) {
      if (entry.startsWith('.')) continue;
      if (entry.startsWith('@')) {
        for (const sub of await readdir(join(storageDir, entry)).catch(() => [] as string[])) manifests.push(join(storageDir, entry, sub, 'package.json'));
      } else manifests.push(join(storageDir, entry, 'package.json'));
    }
    for (const file of manifests) {
      let doc: { name?: string; versions?: Record<string, unknown>; time?: Record<string, string> };
      try {
        doc = JSON.parse(await readFile(file, 'utf8')) as typeof doc;
      } catch {
        continue;
      }
      if (!doc.name || !doc.versions) continue;
      const time = { ...(doc.time ?? {}) };
      let changed = false;
      for (const version of Object.keys(doc.versions)) {
        const chosen = chosenTimes.get(`${doc.name}@${version}`);
        const current = time[version];
        const want = chosen ?? (current === undefined || Date.parse(current) >= startedAt ? FIXTURE_PUBLISH_TIME : current);
        if (want !== current) {
          time[version] = want;
          changed = true;
        }
      }
      if (!changed) continue;
      if (time.created === undefined || Date.parse(time.created) >= startedAt) time.created = FIXTURE_PUBLISH_TIME;
      const tmp = `${file}.sp-${process.pid}.tmp`;
      await writeFile(tmp, JSON.stringify({ ...doc, time }, null, 2));
      await rename(tmp, file);
    }
  };

  const setPublishTime = async (name: string, version: string, when: Date): Promise<void> => {
    chosenTimes.set(`${name}@${version}`, when.toISOString());
    await redate();
  };

  const setAdvisories = async (advisories: Readonly<Record<string, readonly Record<string, unknown>[]>>, options: { readonly endpoint?: boolean } = {}): Promise<void> => {
    const file = join(dir, 'advisories.json');
    const tmp = `${file}.tmp`;
    await writeFile(tmp, JSON.stringify({ endpoint: options.endpoint ?? true, advisories }));
    await rename(tmp, file);
  };

  const publish = async (dirOrTarball: string): Promise<void> => {
    const userconfig = await writeNpmrc(undefined, { cache: join(dir, 'npm-cache') });
    try {
      const result = await runNpm(
        ['publish', resolve(dirOrTarball), '--ignore-scripts', '--access', 'public', '--registry', url],
        { cwd: dir, userconfig },
      );
      assertNpmSucceeded(result, `npm publish ${dirOrTarball} to ${url} (log: ${logFile})`);
    } finally {
      await rm(userconfig, { force: true });
    }
    await redate();
  };

  const publishFixture = async (spec: FixturePackage): Promise<void> => {
    const work = await mkdtemp(join(dir, 'fixture-'));
    try {
      await writeFixturePackage(work, spec);
      await publish(work);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  };

  const publishFixtures = async (specs: readonly FixturePackage[]): Promise<void> => {
    for (const batch of batchesWithUniqueNames(specs)) {
      if (batch.length === 1) {
        await publishFixture(batch[0]!);
        continue;
      }
      const work = await mkdtemp(join(dir, 'fixtures-'));
      try {
        const workspaces = batch.map((_, i) => `p${i}`);
        for (const [i, spec] of batch.entries()) await writeFixturePackage(join(work, `p${i}`), spec);
        await writeFile(
          join(work, 'package.json'),
          JSON.stringify({ name: 'fixtures', private: true, workspaces }),
        );
        const userconfig = await writeNpmrc(undefined, { cache: join(dir, 'npm-cache') });
        try {
          const result = await runNpm(
            ['publish', '--workspaces', '--ignore-scripts', '--access', 'public', '--registry', url],
            { cwd: work, userconfig },
          );
          const names = batch.map((s) => s.name).join(', ');
          assertNpmSucceeded(result, `npm publish of ${names} to ${url} (log: ${logFile})`);
        } finally {
          await rm(userconfig, { force: true });
        }
        await redate();
      } finally {
        await rm(work, { recursive: true, force: true });
      }
    }
  };

  return {
    url,
    host,
    port,
    token,
    username,
    pid,
    logFile,
    dir,
    storageDir,
    startupMs: Math.round(performance.now() - started),
    npmrc,
    writeNpmrc,
    publish,
    publishFixture,
    publishFixtures,
    setPublishTime,
    setAdvisories,
    stop,
  };
}

/** Splits specs into runs in which no package name repeats (npm workspaces need that). */
export function batchesWithUniqueNames(specs: readonly FixturePackage[]): FixturePackage[][] {
  const batches: FixturePackage[][] = [];
  let names = new Set<string>();
  for (const spec of specs) {
    if (batches.length === 0 || names.has(spec.name)) {
      batches.push([]);
      names = new Set();
    }
    batches[batches.length - 1]!.push(spec);
    names.add(spec.name);
  }
  return batches;
}

/** verdaccio's environment: the caller's, minus anything that could steer a Node child. */
function registryEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined) continue;
    if (key === 'NODE_OPTIONS' || key === 'NODE_TEST_CONTEXT' || /^npm_/i.test(key)) continue;
    env[key] = value;
  }
  return env;
}

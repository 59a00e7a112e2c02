// Running the real safe-package CLI from tests, as root or as an unprivileged fixture
// user. Root's home is mode 700 (see host-facts), so the built program is copied once
// per test process to a world-readable directory that any user can execute.

import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, chownSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (dist/tests/support → ../../..). */
export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export interface FixtureUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
}

/** A real unprivileged user created by scripts/test (and on the dev machine). Fails loudly when missing. */
export function fixtureUser(name: 'sp-test' | 'sp-other' = 'sp-test'): FixtureUser {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${name}:`));
  if (!line) throw new Error(`fixture user ${name} is missing: create it with \`useradd --create-home --shell /bin/bash ${name}\`, or run ./scripts/test, which does`);
  const f = line.split(':');
  return { name, uid: Number(f[2]), gid: Number(f[3]), home: f[5]! };
}

let installed: string | undefined;

/** Copies bin/, dist/src/ and package.json to a world-readable place; returns the launcher's path. */
export function installedCli(): string {
  if (installed) return installed;
  const dir = mkdtempSync(join(tmpdir(), 'sp-cli-'));
  chmodSync(dir, 0o755);
  // Timestamps kept: the launcher runs the bundle only when it is newer than the module tree.
  cpSync(join(REPO, 'bin'), join(dir, 'bin'), { recursive: true, preserveTimestamps: true });
  cpSync(join(REPO, 'dist', 'src'), join(dir, 'dist', 'src'), { recursive: true, preserveTimestamps: true });
  cpSync(join(REPO, 'dist', 'native'), join(dir, 'dist', 'native'), { recursive: true, preserveTimestamps: true });
  cpSync(join(REPO, 'data'), join(dir, 'data'), { recursive: true, preserveTimestamps: true });
  cpSync(join(REPO, 'package.json'), join(dir, 'package.json'));
  spawnSync('chmod', ['-R', 'a+rX', dir]);
  installed = join(dir, 'bin', 'safe-package');
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return installed;
}

export interface RunResult {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly cwd: string;
  /** Run as this fixture user (the test runs as root). */
  readonly user?: FixtureUser;
  /** Environment; HOME, USER, PATH default to the user's. */
  readonly env?: Record<string, string>;
  readonly input?: string;
  readonly timeoutMs?: number;
  /** Use this program name (e.g. a path to a `spm` symlink). */
  readonly program?: string;
}

export function baseEnv(user?: FixtureUser): Record<string, string> {
  return {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: user?.home ?? '/root',
    USER: user?.name ?? 'root',
    LANG: 'C.UTF-8',
    NODE_EXTRA_CA_CERTS: '/etc/ssl/certs/ca-certificates.crt',
  };
}

/** Runs a program (never through a shell), optionally as a fixture user, and collects its output. */
export function runProcess(
  file: string,
  args: readonly string[],
  opts: { cwd: string; env: Record<string, string>; user?: FixtureUser; input?: string; timeoutMs?: number },
): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(file, args, {
      cwd: opts.cwd,
      env: opts.env,
      ...(opts.user ? { uid: opts.user.uid, gid: opts.user.gid } : {}),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolvePromise({ status, signal, stdout, stderr });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
  });
}

/** Runs the CLI and collects its output. */
export function runCli(args: readonly string[], opts: RunOptions): Promise<RunResult> {
  return runProcess(opts.program ?? installedCli(), args, {
    cwd: opts.cwd,
    env: { ...baseEnv(opts.user), ...(opts.env ?? {}) },
    ...(opts.user ? { user: opts.user } : {}),
    ...(opts.input !== undefined ? { input: opts.input } : {}),
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
  });
}

/** A fresh project directory owned by `user` (or root), world-readable parents. */
export function makeProject(user?: FixtureUser, files: Record<string, string> = {}): string {
  const base = mkdtempSync(join(tmpdir(), 'sp-proj-'));
  chmodSync(base, 0o755);
  const dir = join(base, 'proj');
  mkdirSync(dir);
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), content);
  }
  if (user) spawnSync('chown', ['-R', `${user.uid}:${user.gid}`, dir]);
  process.on('exit', () => rmSync(base, { recursive: true, force: true }));
  return dir;
}

/** Writes a file owned by the user (for planting canaries in a fixture home). */
export function writeAs(user: FixtureUser, path: string, content: string, mode = 0o600): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content, { mode });
  chownSync(path, user.uid, user.gid);
  let d = dirname(path);
  while (d.startsWith(user.home) && d !== user.home) {
    chownSync(d, user.uid, user.gid);
    d = dirname(d);
  }
}

export function exists(p: string): boolean {
  return existsSync(p);
}

// Small npm packages built on the fly for install tests: attack packages (an install
// script that tries one thing from docs/attacks.md) and benign controls.
//
//   const evil = installScriptPackage(uniqueName('steal-env'), {
//     js: `require('fs').writeFileSync('/tmp/x', JSON.stringify(process.env))`,
//   });
//   await registry.publishFixture(evil);
//
// Packing and publishing always pass --ignore-scripts: npm runs `prepare`, `prepack`
// and `prepublishOnly` on pack/publish, and an attack fixture's scripts must only ever
// run inside the jail under test, never on the host that builds the fixture.

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { devNull, tmpdir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';

/** A file's bytes, or its bytes and Unix mode (e.g. 0o755 for a script run by path). */
export type FixtureFile = string | Buffer | { readonly content: string | Buffer; readonly mode: number };

/** Lifecycle events npm runs when a package is installed from a registry. */
export type InstallEvent = 'preinstall' | 'install' | 'postinstall';

export interface FixturePackage {
  /** Package name, scoped or not (`evil`, `@acme/evil`). Use uniqueName() on a shared registry. */
  readonly name: string;
  /** Defaults to 1.0.0. */
  readonly version?: string;
  readonly dependencies?: Readonly<Record<string, string>>;
  readonly optionalDependencies?: Readonly<Record<string, string>>;
  /** package.json `scripts`, e.g. `{ postinstall: 'node install.js' }`. */
  readonly scripts?: Readonly<Record<string, string>>;
  /** Files by relative '/'-separated path. A `package.json` here replaces the generated one. */
  readonly files?: Readonly<Record<string, FixtureFile>>;
  /** package.json `bin`: one command named after the package, or a map of them. */
  readonly bin?: string | Readonly<Record<string, string>>;
  /** package.json `gypfile`: true makes npm run `node-gyp rebuild` when binding.gyp exists. */
  readonly gypfile?: boolean;
  readonly main?: string;
  /** Any other package.json fields, merged last (they win over everything above). */
  readonly manifest?: Readonly<Record<string, unknown>>;
}

export const DEFAULT_FIXTURE_VERSION = '1.0.0';

/** A package name no other test run or test in this run will use: `${prefix}-<8 hex>`. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** The package.json that writeFixturePackage() writes for a spec (unless files has one). */
export function fixtureManifest(spec: FixturePackage): Record<string, unknown> {
  const manifest: Record<string, unknown> = {
    name: spec.name,
    version: spec.version ?? DEFAULT_FIXTURE_VERSION,
    description: `test fixture ${spec.name}`,
    license: 'MIT',
  };
  if (spec.main !== undefined) manifest['main'] = spec.main;
  if (spec.bin !== undefined) manifest['bin'] = spec.bin;
  if (spec.gypfile !== undefined) manifest['gypfile'] = spec.gypfile;
  if (spec.scripts !== undefined) manifest['scripts'] = { ...spec.scripts };
  if (spec.dependencies !== undefined) manifest['dependencies'] = { ...spec.dependencies };
  if (spec.optionalDependencies !== undefined) {
    manifest['optionalDependencies'] = { ...spec.optionalDependencies };
  }
  return { ...manifest, ...spec.manifest };
}

/**
 * A package whose install script is the given JavaScript (run as `node install.js`) or
 * shell script (run as `sh install.sh`), at `event` (default postinstall).
 */
export function installScriptPackage(
  name: string,
  script: { readonly js: string } | { readonly sh: string },
  options: Omit<FixturePackage, 'name' | 'scripts'> & { readonly event?: InstallEvent } = {},
): FixturePackage {
  const { event = 'postinstall', ...rest } = options;
  const [file, command, content] =
    'js' in script
      ? ['install.js', 'node install.js', script.js]
      : ['install.sh', 'sh install.sh', script.sh];
  return {
    ...rest,
    name,
    scripts: { [event]: command },
    files: { ...rest.files, [file]: content },
  };
}

/** Resolves a fixture's relative file path inside dir, refusing anything that leaves it. */
export function fixtureFilePath(dir: string, relPath: string): string {
  const segments = relPath.split('/');
  if (
    relPath === '' ||
    isAbsolute(relPath) ||
    segments.some((s) => s === '..' || s === '.' || s === '') ||
    relPath.includes('\\')
  ) {
    throw new Error(
      `fixture file path ${JSON.stringify(relPath)} must be relative, '/'-separated, ` +
        `without empty, '.' or '..' segments`,
    );
  }
  return join(dir, ...segments);
}

/** Writes the package (package.json and its files) into dir, which may already exist. */
export async function writeFixturePackage(dir: string, spec: FixturePackage): Promise<void> {
  await mkdir(dir, { recursive: true });
  const files: Record<string, FixtureFile> = {
    'package.json': `${JSON.stringify(fixtureManifest(spec), null, 2)}\n`,
    ...spec.files,
  };
  for (const [relPath, file] of Object.entries(files)) {
    const path = fixtureFilePath(dir, relPath);
    await mkdir(dirname(path), { recursive: true });
    if (typeof file === 'string' || Buffer.isBuffer(file)) {
      await writeFile(path, file);
    } else {
      await writeFile(path, file.content, { mode: file.mode });
    }
  }
}

/**
 * Packs the package with the real `npm pack` into outDir and returns the tarball's
 * absolute path (e.g. `outDir/acme-evil-1.0.0.tgz` for `@acme/evil`).
 */
export async function packFixture(spec: FixturePackage, outDir: string): Promise<string> {
  const work = await mkdtemp(join(tmpdir(), 'sp-fixture-'));
  try {
    const dir = join(work, 'package');
    await writeFixturePackage(dir, spec);
    await mkdir(outDir, { recursive: true });
    const result = await runNpm(
      ['pack', '--ignore-scripts', '--json', '--pack-destination', resolve(outDir), '--cache', join(work, 'cache')],
      { cwd: dir, userconfig: devNull },
    );
    assertNpmSucceeded(result, `npm pack of fixture ${spec.name}`);
    const packed = JSON.parse(result.stdout) as Array<{ filename: string }>;
    const filename = packed[0]?.filename;
    if (filename === undefined) throw new Error(`npm pack printed no filename: ${result.stdout}`);
    return join(resolve(outDir), filename);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------
// Running the real npm for tests.

export interface CommandResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface NpmRunOptions {
  readonly cwd: string;
  /**
   * The npm user config file for this run. Always set: root's own ~/.npmrc on a
   * developer machine (cache, registry, tokens) must not leak into a test.
   */
  readonly userconfig: string;
  /** Extra environment, on top of npmEnv(). */
  readonly env?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
  /** Run npm as this user and group (the tests run as root; fixture users are uid 1001+). */
  readonly uid?: number;
  readonly gid?: number;
}

/**
 * The environment for a test's npm: the caller's, without anything that configures npm
 * or carries a token (`npm_config_*` set by an enclosing `npm test`, `NPM_TOKEN`, ...)
 * and without proxies (tests talk to loopback only).
 */
export function npmEnv(base: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(base)) {
    if (value === undefined) continue;
    if (/^npm_/i.test(key) || /^(NPM_TOKEN|NODE_AUTH_TOKEN)$/i.test(key)) continue;
    if (/^(https?|all|no)_proxy$/i.test(key)) continue;
    if (key === 'NODE_OPTIONS' || key === 'NODE_TEST_CONTEXT') continue;
    env[key] = value;
  }
  env['npm_config_update_notifier'] = 'false';
  env['npm_config_fund'] = 'false';
  env['npm_config_audit'] = 'false';
  return env;
}

/** Runs `npm ARGS --userconfig FILE` (npm from PATH) and collects its output. */
export function runNpm(args: readonly string[], options: NpmRunOptions): Promise<CommandResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('npm', [...args, '--userconfig', options.userconfig], {
      cwd: options.cwd,
      env: { ...npmEnv(), ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: options.timeoutMs ?? 120_000,
      ...(options.uid === undefined ? {} : { uid: options.uid }),
      ...(options.gid === undefined ? {} : { gid: options.gid }),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
  });
}

/** Throws an error carrying npm's output when it did not exit 0. */
export function assertNpmSucceeded(result: CommandResult, what: string): void {
  if (result.code === 0) return;
  const status = result.signal === null ? `exit status ${result.code}` : `signal ${result.signal}`;
  throw new Error(
    `${what} failed (${status})\n--- stdout ---\n${result.stdout}\n--- stderr ---\n${result.stderr}`,
  );
}

// The packages under test: one per attack (its payload, the shared lib.js/pylib.py, and
// attack.json saying where the sinks are), the benign controls, and the dependency the
// trojan attack modifies. All are packed with the real `npm pack` in one call (with
// --ignore-scripts: nothing of theirs may run on the host that builds them).

import { copyFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { devNull } from 'node:os';
import { join } from 'node:path';
import { assertNpmSucceeded, runNpm, writeFixturePackage, type FixtureFile, type FixturePackage } from '../../support/fixture-packages.js';
import { REPO } from '../../support/cli.js';
import type { Attack, PackContext } from '../catalog.js';
import type { SinkAddresses } from './sinks.js';

export const PAYLOADS = join(REPO, 'tests', 'attacks', 'payloads');

export const CONTROL_BUILD = 'sp-control-build';
export const CONTROL_NATIVE = 'sp-control-native';
export const BENIGN_DEPENDENCY = 'sp-benign-lib';

export function packageName(attack: Attack): string {
  return `sp-attack-${attack.id}`;
}

function payload(name: string): string {
  return readFileSync(join(PAYLOADS, name), 'utf8');
}

function runnerFor(file: string): string {
  if (file.endsWith('.js')) return 'node';
  if (file.endsWith('.py')) return '/usr/bin/python3';
  if (file.endsWith('.sh')) return 'sh';
  throw new Error(`payload ${file}: unknown kind (expected .js, .py or .sh)`);
}

export interface RunConstants extends PackContext {
  readonly netMarker: string;
  readonly sinks: SinkAddresses;
}

export function attackPackage(attack: Attack, run: RunConstants): FixturePackage {
  const config = {
    attack: attack.id,
    runTag: run.runTag,
    netMarker: run.netMarker,
    sinks: { http: run.sinks.http, tcp: run.sinks.tcp, udp: run.sinks.udp, unixPath: run.sinks.unixPath, abstractName: run.sinks.abstractName },
    params: attack.params?.(run) ?? {},
  };
  const command = [runnerFor(attack.payload), attack.payload, ...(attack.args?.(run) ?? [])].join(' ');
  const files: Record<string, FixtureFile> = {
    [attack.payload]: payload(attack.payload),
    'lib.js': payload('lib.js'),
    'pylib.py': payload('pylib.py'),
    'attack.json': `${JSON.stringify(config, null, 2)}\n`,
  };
  return { name: packageName(attack), scripts: { postinstall: command }, files };
}

export function controlPackages(runTag: string): FixturePackage[] {
  const native: Record<string, FixtureFile> = {};
  for (const f of readdirSync(join(PAYLOADS, 'control-native'))) native[f] = payload(join('control-native', f));
  return [
    {
      name: CONTROL_BUILD,
      main: 'build/generated.js',
      scripts: { postinstall: `node build.js ${runTag}` },
      files: { 'build.js': payload('control-build.js') },
    },
    // No install script of its own: npm runs `node-gyp rebuild` because of binding.gyp.
    { name: CONTROL_NATIVE, main: 'index.js', gypfile: true, files: native },
    { name: BENIGN_DEPENDENCY, main: 'index.js', files: { 'index.js': "'use strict';\nmodule.exports = () => 'benign';\n" } },
  ];
}

/**
 * Writes every package under `workDir` and packs them all into `outDir` with one npm
 * call. Returns package name → tarball path.
 */
export async function packAll(specs: readonly FixturePackage[], workDir: string, outDir: string): Promise<Map<string, string>> {
  mkdirSync(outDir, { recursive: true });
  const dirs: string[] = [];
  for (const spec of specs) {
    const dir = join(workDir, spec.name);
    await writeFixturePackage(dir, spec);
    dirs.push(dir);
  }
  const result = await runNpm(['pack', '--ignore-scripts', '--json', '--pack-destination', outDir, '--cache', join(workDir, '.npm-cache'), ...dirs], {
    cwd: workDir,
    userconfig: devNull,
    timeoutMs: 120_000,
  });
  assertNpmSucceeded(result, 'npm pack of the attack packages');
  const packed = JSON.parse(result.stdout) as Array<{ name: string; filename: string }>;
  const out = new Map<string, string>();
  for (const p of packed) out.set(p.name, join(outDir, p.filename));
  for (const spec of specs) if (!out.has(spec.name)) throw new Error(`npm pack did not pack ${spec.name}: ${result.stdout.slice(0, 500)}`);
  return out;
}

/** Copies a tarball into the project's vendor/ folder; returns the path npm is given. */
export function vendor(tarball: string, project: string): string {
  mkdirSync(join(project, 'vendor'), { recursive: true });
  const name = tarball.split('/').pop()!;
  copyFileSync(tarball, join(project, 'vendor', name));
  return `./vendor/${name}`;
}

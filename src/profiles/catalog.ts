// The profiles of docs/promises.md#p8-profiles, and how one is chosen from the program's name.

import type { Profile, ProfileName } from './types.js';

const NODE_WRITE = ['node_modules/**', 'package.json'];

// Quiet the tools' own network chatter: update checks and funding prompts would only be
// refused by the proxy and show up as noise in the report.
const NPM_ENV = { npm_config_update_notifier: 'false', npm_config_fund: 'false' };

export const PROFILES: Readonly<Record<ProfileName, Profile>> = {
  npm: {
    name: 'npm',
    description: 'npm (node_modules, package.json, package-lock.json)',
    write: [...NODE_WRITE, 'package-lock.json', 'npm-shrinkwrap.json'],
    lockfiles: ['package-lock.json', 'npm-shrinkwrap.json'],
    manifest: 'package.json',
    caches: [{ env: 'npm_config_cache', dir: 'npm' }],
    env: NPM_ENV,
    registry: 'npm',
    twoPhase: true,
  },
  npx: {
    name: 'npx',
    description: 'npx (runs a package; nothing in the project is expected to change)',
    write: [],
    lockfiles: [],
    manifest: 'package.json',
    caches: [{ env: 'npm_config_cache', dir: 'npm' }],
    env: NPM_ENV,
    registry: 'npm',
    twoPhase: false,
  },
  pnpm: {
    name: 'pnpm',
    description: 'pnpm (node_modules, package.json, pnpm-lock.yaml)',
    write: [...NODE_WRITE, 'pnpm-lock.yaml'],
    lockfiles: ['pnpm-lock.yaml'],
    manifest: 'package.json',
    caches: [
      { env: 'npm_config_store_dir', dir: 'pnpm-store' },
      { env: 'pnpm_config_store_dir', dir: 'pnpm-store' },
      { env: 'XDG_CACHE_HOME', dir: 'pnpm-cache' },
    ],
    // pnpm 11 and later read pnpm_config_* instead of npm_config_*.
    env: { ...NPM_ENV, npm_config_package_import_method: 'copy', pnpm_config_package_import_method: 'copy' },
    registry: 'npm',
    twoPhase: true,
  },
  yarn: {
    name: 'yarn',
    description: 'yarn (node_modules or Plug\'n\'Play files, package.json, yarn.lock)',
    write: [...NODE_WRITE, 'yarn.lock', '.pnp.cjs', '.pnp.loader.mjs', '.yarn/cache/**', '.yarn/unplugged/**', '.yarn/install-state.gz'],
    lockfiles: ['yarn.lock'],
    manifest: 'package.json',
    caches: [
      { env: 'YARN_CACHE_FOLDER', dir: 'yarn' },
      { env: 'YARN_GLOBAL_FOLDER', dir: 'yarn-berry' },
    ],
    env: { ...NPM_ENV, YARN_ENABLE_TELEMETRY: '0' },
    registry: 'npm',
    twoPhase: true,
  },
  pip: {
    name: 'pip',
    description: 'pip (a virtual environment inside the project: .venv/, venv/)',
    write: ['.venv/**', 'venv/**'],
    lockfiles: [],
    caches: [{ env: 'PIP_CACHE_DIR', dir: 'pip' }],
    env: { PIP_DISABLE_PIP_VERSION_CHECK: '1', PIP_NO_INPUT: '1' },
    registry: 'pip',
    twoPhase: false,
  },
  generic: {
    name: 'generic',
    description: 'any other program (no registry; no project writes unless `write` allows them)',
    write: [],
    lockfiles: [],
    caches: [],
    env: {},
    registry: 'none',
    twoPhase: false,
  },
};

export const PROFILE_NAMES = Object.keys(PROFILES) as ProfileName[];

/**
 * The profile for a program name: `npm`, `/usr/bin/npm`, `npm-cli.js`, `pip3.11`, ...
 * Unknown programs get `generic`.
 */
export function profileForProgram(program: string): ProfileName {
  const base = program.split('/').pop() ?? program;
  const stem = base.replace(/\.(c?js|mjs)$/, '').replace(/-cli$/, '');
  if (stem === 'npm' || stem === 'npx' || stem === 'pnpm' || stem === 'yarn') return stem;
  if (stem === 'pnpx') return 'pnpm';
  if (/^pip(\d+(\.\d+)?)?$/.test(stem)) return 'pip';
  return 'generic';
}

// The scenarios of the benchmark (docs/promises.md#p11-quality-bars): what runs bare, what runs through
// safe-package, and the state each run starts from.

import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Command } from './proc.js';
import { runTimed, failureOf } from './proc.js';
import { findProgram } from '../../src/host/which.js';
import { readTopLevel } from '../../src/host/layout.js';
import { installScriptPackagesOf, minimalJailArgs, nodeRunning, stagedJailArgs } from './floors.js';
import type { BenchRegistry } from './registry.js';
import { EXTRAS } from './registry.js';
import { commitMsOf, committedCountOf, installedPackages, phaseOf, readJson, readRssKb, stagedOf } from './report.js';
import type { Scenario, Variant } from './runner.js';
import { benchEnv, type Workspace } from './workspace.js';

export interface ScenarioOptions {
  /** Repetitions of the slow scenarios (npm ci, npm install, download). */
  readonly reps: number;
  /** Repetitions of the sub-second ones. */
  readonly fastReps: number;
  /** Repetitions of the cold-cache npm ci (the slowest). */
  readonly coldReps: number;
}

function cpTree(from: string, to: string): void {
  // cp -a keeps ownership (the bench user's) and is much faster than a JS copy.
  const r = spawnSync('cp', ['-a', from, to], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cp -a ${from} ${to} failed: ${r.stderr}`);
}

export function buildScenarios(ws: Workspace, reg: BenchRegistry, fixture: string, o: ScenarioOptions): Scenario[] {
  const env = benchEnv(ws, reg.registry.url);
  const host = reg.registry.host;
  const empty = ws.ownedDir(join(ws.dir, 'empty-project'));
  const node = process.execPath;
  const sp = ws.safePackage;

  const cmd = (argv: string[], cwd = ws.project): Command => ({ argv, cwd, env });
  const hostCa = process.env.NODE_EXTRA_CA_CERTS;
  const caEnv = hostCa ? { ...env, NODE_EXTRA_CA_CERTS: hostCa } : undefined;
  /** safe-package under the RSS hook: `node --import rss-hook.mjs?out=FILE bin/safe-package ...`. */
  const spMeasured = (id: string, rep: number, args: string[], cwd = ws.project): Command => {
    const hook = pathToFileURL(ws.hooks.rss);
    hook.searchParams.set('out', join(ws.reports, `${id}-${rep}.rss`));
    return cmd([node, '--import', hook.href, sp, ...args], cwd);
  };
  const reportFile = (id: string, rep: number) => join(ws.reports, `${id}-${rep}.json`);
  /** What a wrapped run left: safe-package's peak RSS, the report's write summary. */
  const wrappedDetails = (id: string, rep: number) => {
    const report = readJson(reportFile(id, rep));
    const install = phaseOf(report, 'install');
    const scripts = phaseOf(report, 'scripts');
    return {
      rssKb: readRssKb(join(ws.reports, `${id}-${rep}.rss`)),
      installMs: install?.ms,
      scriptsMs: scripts?.ms,
      scriptJails: scripts?.jails,
      commitMs: commitMsOf(report),
      committed: committedCountOf(report),
      staged: stagedOf(report),
    };
  };

  const resetProject = (withNodeModules: string | undefined) => {
    const keep = new Set(['package.json', 'package-lock.json']);
    ws.ownedDir(ws.project);
    for (const f of keep) cpTree(join(fixture, f), join(ws.project, f));
    if (ws.as) spawnSync('chown', ['-R', `${ws.as.uid}:${ws.as.gid}`, ws.project]);
    if (withNodeModules) cpTree(withNodeModules, join(ws.project, 'node_modules'));
  };
  const removeNodeModules = () => rmSync(join(ws.project, 'node_modules'), { recursive: true, force: true });

  // Same flags for every wrapped npm: the registry on loopback must be allowed by an
  // exact host:port rule (the proxy refuses loopback otherwise).
  const npmThrough = (id: string, rep: number, npmArgs: string[]) =>
    spMeasured(id, rep, ['--allow-host', host, '--report', reportFile(id, rep), 'npm', ...npmArgs]);
  const bareNpm = (npmArgs: string[]) => cmd(['npm', ...npmArgs, '--cache', ws.bareCache]);

  // The floors (floors.ts): Node starting the cheapest jail, without and with the
  // staging overlay. Run as the bench user, like everything else.
  const tool = (name: string) => {
    const found = findProgram(name, env.PATH ?? '/usr/bin:/bin', empty);
    if (!found.found) throw new Error(`${name} is not on PATH`);
    return found.path;
  };
  const floorTools = { bwrap: tool('bwrap'), mount: tool('mount') };
  const topLevel = readTopLevel();
  const floorStage = ws.ownedDir(join(ws.dir, 'floor-stage'));
  for (const sub of ['lower', 'upper', 'work', 'merged']) ws.ownedDir(join(floorStage, sub));
  const trueProgram = [tool('true')];

  const overhead: Scenario = {
    id: 'overhead',
    title: 'fixed overhead on a trivial command',
    reps: o.fastReps,
    warmups: 2,
    variants: [
      { id: 'true', label: 'true', side: 'bare', command: () => cmd(['true'], empty) },
      { id: 'node', label: 'node -e 0', side: 'reference', command: () => cmd([node, '-e', '0'], empty) },
      { id: 'wrapped', label: 'safe-package -- true', side: 'wrapped', command: () => cmd([sp, '--', 'true'], empty) },
      {
        id: 'floor-jail',
        label: 'node running true in a minimal bwrap jail',
        side: 'reference',
        command: () => cmd(nodeRunning(node, [floorTools.bwrap, ...minimalJailArgs(topLevel, trueProgram)]), empty),
      },
      {
        id: 'floor-staged',
        label: 'the same behind a staging overlay',
        side: 'reference',
        command: () => cmd(nodeRunning(node, [floorTools.bwrap, ...stagedJailArgs(floorTools, topLevel, floorStage, trueProgram)]), empty),
      },
      // The same in a project with an installed node_modules: what the file-system
      // layout (hidden files, bind list) costs on a real tree.
      {
        id: 'wrapped-project',
        label: 'safe-package -- true (in the installed project)',
        side: 'wrapped',
        command: () => cmd([sp, '--', 'true'], ws.project),
      },
      // The landlock backend (for hosts without namespaces): sp-confine instead of bubblewrap.
      {
        id: 'wrapped-landlock',
        label: 'safe-package --backend landlock -- true',
        side: 'wrapped',
        command: () => cmd([sp, '--backend', 'landlock', '--', 'true'], empty),
      },
      // With a host to allow, the jail gets the proxy and its bridge (a second Node
      // process, in the jail's network namespace): what every npm run pays.
      {
        id: 'wrapped-proxied',
        label: `safe-package --allow-host ${host} -- true`,
        side: 'wrapped',
        command: () => cmd([sp, '--allow-host', host, '--', 'true'], empty),
      },
      // The host's own CA bundle variable, when it sets one (corporate TLS inspection,
      // these machines): Node parses the bundle at start-up, in every Node process.
      ...(caEnv === undefined
        ? []
        : ([
            { id: 'node-ca', label: 'node -e 0 (NODE_EXTRA_CA_CERTS set)', side: 'reference', command: () => ({ argv: [node, '-e', '0'], cwd: empty, env: caEnv }) },
            { id: 'wrapped-ca', label: 'safe-package -- true (NODE_EXTRA_CA_CERTS set)', side: 'wrapped', command: () => ({ argv: [sp, '--', 'true'], cwd: empty, env: caEnv }) },
            {
              id: 'wrapped-proxied-ca',
              label: `safe-package --allow-host ${host} -- true (NODE_EXTRA_CA_CERTS set)`,
              side: 'wrapped',
              command: () => ({ argv: [sp, '--allow-host', host, '--', 'true'], cwd: empty, env: caEnv }),
            },
          ] satisfies Variant[])),
    ],
    setup: async () => {
      resetProject(undefined);
      const r = await runTimed(bareNpm(['ci', '--ignore-scripts']), ws.as);
      const failure = failureOf(r);
      if (failure) throw new Error(`npm ci for the project variant failed: ${failure}`);
    },
  };

  const npmVersion: Scenario = {
    id: 'npm-version',
    title: 'npm --version',
    reps: o.fastReps,
    warmups: 2,
    variants: [
      { id: 'bare', label: 'npm --version', side: 'bare', command: () => cmd(['npm', '--version'], empty) },
      { id: 'wrapped', label: 'safe-package npm --version', side: 'wrapped', command: () => cmd([sp, '--allow-host', host, 'npm', '--version'], empty) },
    ],
  };

  const ciWarm: Scenario = {
    id: 'ci-warm',
    title: 'npm ci, warm cache',
    reps: o.reps,
    // The first run of each side fills its own cache; after that both are warm.
    warmups: 1,
    setup: () => resetProject(undefined),
    variants: [
      {
        id: 'bare',
        label: 'npm ci',
        side: 'bare',
        prepare: removeNodeModules,
        command: () => bareNpm(['ci']),
        inspect: () => ({ installed: installedPackages(ws.project) }),
      },
      // What safe-package's install phase runs: npm without install scripts.
      {
        id: 'bare-noscripts',
        label: 'npm ci --ignore-scripts',
        side: 'reference',
        prepare: removeNodeModules,
        command: () => bareNpm(['ci', '--ignore-scripts']),
        inspect: () => ({ installed: installedPackages(ws.project) }),
      },
      // the two phases of docs/promises.md#p7-two-phase-installs with no jail: the install without scripts, then npm's own
      // rebuild of the packages the lockfile says have install scripts.
      {
        id: 'bare-two-phase',
        label: 'npm ci --ignore-scripts && npm rebuild (packages with install scripts)',
        side: 'reference',
        prepare: removeNodeModules,
        command: () => {
          const withScripts = installScriptPackagesOf(join(fixture, 'package-lock.json'));
          return [bareNpm(['ci', '--ignore-scripts']), ...(withScripts.length ? [bareNpm(['rebuild', ...withScripts])] : [])];
        },
        inspect: (_rep, run) => ({ installed: installedPackages(ws.project), rebuildMs: run.partsMs?.[1] }),
      },
      {
        id: 'wrapped',
        label: 'safe-package npm ci',
        side: 'wrapped',
        prepare: removeNodeModules,
        command: (rep) => npmThrough('ci-warm', rep, ['ci']),
        inspect: (rep) => ({ installed: installedPackages(ws.project), ...wrappedDetails('ci-warm', rep) }),
      },
      // The landlock backend: the project staged in a shadow (npm ci starts from an empty
      // node_modules there), the proxy on a loopback TCP port.
      {
        id: 'wrapped-landlock',
        label: 'safe-package --backend landlock npm ci',
        side: 'wrapped',
        prepare: removeNodeModules,
        command: (rep) => spMeasured('ci-warm-landlock', rep, ['--backend', 'landlock', '--allow-host', host, '--report', reportFile('ci-warm-landlock', rep), 'npm', 'ci']),
        inspect: (rep) => ({ installed: installedPackages(ws.project), ...wrappedDetails('ci-warm-landlock', rep) }),
      },
    ],
  };

  // A project installed by a bare npm ci, copied before every run of `npm install X`
  // and of `npm ci` over an installed tree.
  const template = join(ws.dir, 'template-node_modules');
  const makeTemplate = async () => {
    resetProject(undefined);
    const r = await runTimed(bareNpm(['ci']), ws.as);
    const failure = failureOf(r);
    if (failure) throw new Error(`npm ci for the template failed: ${failure}`);
    rmSync(template, { recursive: true, force: true });
    cpTree(join(ws.project, 'node_modules'), template);
  };
  const installOne: Scenario = {
    id: 'install-one',
    title: `npm install ${EXTRAS.newPackage} into the installed project`,
    reps: o.reps,
    warmups: 1,
    setup: makeTemplate,
    variants: [
      {
        id: 'bare',
        label: `npm install ${EXTRAS.newPackage}`,
        side: 'bare',
        prepare: () => resetProject(template),
        command: () => bareNpm(['install', EXTRAS.newPackage]),
        inspect: () => ({ installed: installedPackages(ws.project) }),
      },
      {
        id: 'wrapped',
        label: `safe-package npm install ${EXTRAS.newPackage}`,
        side: 'wrapped',
        prepare: () => resetProject(template),
        command: (rep) => npmThrough('install-one', rep, ['install', EXTRAS.newPackage]),
        inspect: (rep) => ({ installed: installedPackages(ws.project), ...wrappedDetails('install-one', rep) }),
      },
    ],
  };

  // npm ci again in an installed project, as a developer reruns it: npm deletes the whole
  // node_modules first (bare: really; wrapped: the jail starts from an empty one, and
  // the commit moves the old tree aside and removes it).
  const ciAgain: Scenario = {
    id: 'ci-again',
    title: 'npm ci over an installed node_modules, warm cache',
    reps: o.reps,
    warmups: 1,
    setup: makeTemplate,
    variants: [
      {
        id: 'bare',
        label: 'npm ci (over node_modules)',
        side: 'bare',
        prepare: () => resetProject(template),
        command: () => bareNpm(['ci']),
        inspect: () => ({ installed: installedPackages(ws.project) }),
      },
      {
        id: 'wrapped',
        label: 'safe-package npm ci (over node_modules)',
        side: 'wrapped',
        prepare: () => resetProject(template),
        command: (rep) => npmThrough('ci-again', rep, ['ci']),
        inspect: (rep) => ({ installed: installedPackages(ws.project), ...wrappedDetails('ci-again', rep) }),
      },
    ],
  };

  const ciCold: Scenario = {
    id: 'ci-cold',
    title: 'npm ci, cold cache',
    reps: o.coldReps,
    warmups: 0,
    setup: () => resetProject(undefined),
    variants: [
      {
        id: 'bare',
        label: 'npm ci (empty cache)',
        side: 'bare',
        prepare: () => {
          removeNodeModules();
          ws.ownedDir(ws.bareCache);
        },
        command: () => bareNpm(['ci']),
        inspect: () => ({ installed: installedPackages(ws.project) }),
      },
      {
        id: 'wrapped',
        label: 'safe-package npm ci (empty cache)',
        side: 'wrapped',
        prepare: () => {
          removeNodeModules();
          // All of safe-package's cache for this user, not only npm's part of it.
          rmSync(ws.wrappedCache, { recursive: true, force: true });
        },
        command: (rep) => npmThrough('ci-cold', rep, ['ci']),
        inspect: (rep) => ({ installed: installedPackages(ws.project), ...wrappedDetails('ci-cold', rep) }),
      },
    ],
  };

  // One large tarball from the registry: curl straight to it, and curl in the jail
  // through the bridge and the proxy. A tiny request on each side measures the fixed
  // part, so the transfer itself can be told apart from start-up.
  const curl = (url: string) => ['curl', '--silent', '--show-error', '--fail', '--output', '/dev/null', '--write-out', '%{size_download}', url];
  const ping = new URL('-/ping', reg.registry.url).href;
  const download: Scenario = {
    id: 'download',
    title: `download of a ${(reg.largeBytes / 1e6).toFixed(0)} MB tarball`,
    reps: o.reps,
    warmups: 1,
    variants: [
      { id: 'bare', label: 'curl (large tarball)', side: 'bare', command: () => cmd([...curl(reg.largeUrl), '--noproxy', '*'], empty), inspect: (_, r) => ({ bytes: Number(r.stdout) }) },
      {
        id: 'wrapped',
        label: 'safe-package curl (large tarball)',
        side: 'wrapped',
        command: (rep) => spMeasured('download', rep, ['--allow-host', host, '--', ...curl(reg.largeUrl)], empty),
        inspect: (rep, r) => ({ bytes: Number(r.stdout), rssKb: readRssKb(join(ws.reports, `download-${rep}.rss`)) }),
      },
      { id: 'bare-ping', label: 'curl (ping)', side: 'bare', command: () => cmd([...curl(ping), '--noproxy', '*'], empty) },
      { id: 'wrapped-ping', label: 'safe-package curl (ping)', side: 'wrapped', command: () => cmd([sp, '--allow-host', host, '--', ...curl(ping)], empty) },
    ],
  };

  // Peak RSS of safe-package on a trivial command (the timed runs above carry no hook).
  const rssTrue: Scenario = {
    id: 'rss-true',
    title: 'peak RSS of safe-package -- true',
    reps: 3,
    warmups: 0,
    variants: [
      {
        id: 'wrapped',
        label: 'safe-package -- true (RSS hook)',
        side: 'wrapped',
        command: (rep) => spMeasured('rss-true', rep, ['--', 'true'], empty),
        inspect: (rep) => ({ rssKb: readRssKb(join(ws.reports, `rss-true-${rep}.rss`)) }),
      },
    ],
  };

  return [overhead, npmVersion, rssTrue, download, ciWarm, installOne, ciAgain, ciCold];
}

export type { Variant };

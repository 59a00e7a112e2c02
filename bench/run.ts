// `npm run bench`: what protection costs, measured against the bare package manager in
// the same run (docs/promises.md#p11-quality-bars). See bench/README.md.
//
//   node dist/bench/run.js [--reps N] [--fast-reps N] [--cold-reps N] [--quick]
//                          [--only id,id] [--user NAME] [--refresh] [--keep] [--program DIR]

import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeMachine, machineLines, type Machine } from './lib/machine.js';
import { startBenchRegistry, EXTRAS, type BenchRegistry } from './lib/registry.js';
import { runScenario, type ScenarioResult } from './lib/runner.js';
import { buildScenarios } from './lib/scenarios.js';
import { breakdownOf, PHASES, startupScenario, type StartupBreakdown } from './lib/startup.js';
import { formatKb, formatMarkdown, formatMs, formatRate, formatRatio, formatRatioWithRange, formatTable, median, pairedRatios, ratio } from './lib/stats.js';
import { BenchSetupError, benchEnv, createWorkspace } from './lib/workspace.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const FIXTURE = join(REPO, 'bench', 'fixtures', 'express-ts');
const CACHE = join(REPO, 'bench', '.cache');
const RESULTS = join(REPO, 'bench', 'results');

const SCENARIO_IDS = ['overhead', 'npm-version', 'startup', 'rss-true', 'download', 'ci-warm', 'install-one', 'ci-again', 'ci-cold'] as const;

interface Options {
  reps: number;
  fastReps: number;
  coldReps: number;
  only: Set<string>;
  user: string | undefined;
  refresh: boolean;
  keep: boolean;
  program: string | undefined;
}

const USAGE = `usage: npm run bench -- [--reps N] [--fast-reps N] [--cold-reps N] [--quick] [--only ${SCENARIO_IDS.join(',')}] [--user NAME] [--refresh] [--keep] [--program DIR]`;

function parseOptions(argv: readonly string[]): Options {
  const o: Options = { reps: 5, fastReps: 21, coldReps: 3, only: new Set(SCENARIO_IDS), user: undefined, refresh: false, keep: false, program: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new BenchSetupError(`${a} needs a value\n${USAGE}`);
      return v;
    };
    const count = (): number => {
      const n = Number(value());
      if (!Number.isInteger(n) || n < 1) throw new BenchSetupError(`${a} takes a positive whole number\n${USAGE}`);
      return n;
    };
    if (a === '--reps') o.reps = count();
    else if (a === '--fast-reps') o.fastReps = count();
    else if (a === '--cold-reps') o.coldReps = count();
    else if (a === '--quick') Object.assign(o, { reps: 3, fastReps: 11, coldReps: 1 });
    else if (a === '--only') {
      const ids = value().split(',');
      const unknown = ids.filter((id) => !(SCENARIO_IDS as readonly string[]).includes(id));
      if (unknown.length) throw new BenchSetupError(`unknown scenario ${unknown.join(', ')}; scenarios: ${SCENARIO_IDS.join(', ')}`);
      o.only = new Set(ids);
    } else if (a === '--user') o.user = value();
    else if (a === '--refresh') o.refresh = true;
    else if (a === '--keep') o.keep = true;
    else if (a === '--program') o.program = resolve(value());
    else if (a === '--help' || a === '-h') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else throw new BenchSetupError(`unknown option ${a}\n${USAGE}`);
  }
  return o;
}

function gitDescribe(): string {
  const rev = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO, encoding: 'utf8' });
  const dirty = spawnSync('git', ['status', '--porcelain', '--', 'src', 'bin', 'package.json'], { cwd: REPO, encoding: 'utf8' });
  if (rev.status !== 0) return 'unknown';
  return `${rev.stdout.trim()}${dirty.stdout.trim() ? ' (with uncommitted changes)' : ''}`;
}

type Row = [string, string, string, string, string];

function med(results: Map<string, ScenarioResult>, scenario: string, variant: string): number | undefined {
  return results.get(scenario)?.variants[variant]?.medianMs;
}

function failed(results: Map<string, ScenarioResult>, scenario: string, variant: string): string | undefined {
  const s = results.get(scenario);
  if (s === undefined) return undefined;
  if (s.error) return 'n/a (setup failed)';
  return s.variants[variant]?.failures.length ? 'n/a (failed)' : undefined;
}

function detailMedian(results: Map<string, ScenarioResult>, scenario: string, variant: string, key: string): number | undefined {
  const values = (results.get(scenario)?.variants[variant]?.details ?? [])
    .map((d) => d[key])
    .filter((v): v is number => typeof v === 'number');
  return median(values);
}

function budget(r: number | undefined, limit: number): string {
  if (r === undefined) return `≤ ${limit.toFixed(2)}×`;
  return `≤ ${limit.toFixed(2)}× ${r <= limit ? 'met' : 'MISSED'}`;
}

function buildTable(results: Map<string, ScenarioResult>, reg: BenchRegistry | undefined): Row[] {
  const rows: Row[] = [];
  const pair = (what: string, scenario: string, bare: string, wrapped: string, limit?: number) => {
    if (!results.has(scenario)) return;
    const b = med(results, scenario, bare);
    const w = med(results, scenario, wrapped);
    const r = ratio(w, b);
    const s = results.get(scenario)!;
    const paired = pairedRatios(s.variants[wrapped]?.samplesMs ?? [], s.variants[bare]?.samplesMs ?? [], s.reps);
    rows.push([
      what,
      failed(results, scenario, bare) ?? formatMs(b),
      failed(results, scenario, wrapped) ?? formatMs(w),
      formatRatioWithRange(r, paired),
      limit === undefined ? '' : budget(r, limit),
    ]);
  };
  /** A reference run shown in the bare column, with its ratio to another reference. Floors (floors.ts). */
  const reference = (what: string, scenario: string, variant: string, against: string) => {
    if (!results.get(scenario)?.variants[variant]) return;
    const v = med(results, scenario, variant);
    rows.push([what, failed(results, scenario, variant) ?? formatMs(v), '', formatRatio(ratio(v, med(results, scenario, against))), '']);
  };
  pair('`safe-package -- true` vs `true`', 'overhead', 'true', 'wrapped');
  pair('`safe-package -- true` vs `node -e 0`', 'overhead', 'node', 'wrapped', 1.5);
  reference('  floor: Node runs `true` in a minimal bwrap jail (÷ node -e 0)', 'overhead', 'floor-jail', 'node');
  reference('  floor: the same behind a staging overlay (÷ node -e 0)', 'overhead', 'floor-staged', 'node');
  if (results.get('overhead')?.variants['floor-staged']) {
    // What 1.5× of `node -e 0` leaves for everything safe-package does beyond that floor.
    const node = med(results, 'overhead', 'node');
    const floor = med(results, 'overhead', 'floor-staged');
    const wrapped = med(results, 'overhead', 'wrapped');
    const left = node !== undefined && floor !== undefined ? 1.5 * node - floor : undefined;
    const used = wrapped !== undefined && floor !== undefined ? wrapped - floor : undefined;
    rows.push(['  what 1.5× leaves beyond that floor; what safe-package adds', '', `${left === undefined ? '?' : formatMs(left)}; ${used === undefined ? '?' : formatMs(used)}`, '', '']);
  }
  pair('  same, cwd = installed project', 'overhead', 'node', 'wrapped-project', 1.5);
  pair('  same, with a host allowed (proxy + bridge)', 'overhead', 'node', 'wrapped-proxied');
  pair('  the landlock backend (no namespaces)', 'overhead', 'node', 'wrapped-landlock', 1.5);
  if (results.get('overhead')?.variants['node-ca']) {
    pair('  host env: NODE_EXTRA_CA_CERTS set', 'overhead', 'node-ca', 'wrapped-ca', 1.5);
    pair('  host env, with a host allowed', 'overhead', 'node-ca', 'wrapped-proxied-ca');
  }
  pair('`npm --version`', 'npm-version', 'bare', 'wrapped');
  const installed = detailMedian(results, 'ci-warm', 'bare', 'installed');
  pair(`\`npm ci\`, warm cache${installed ? ` (${installed} packages)` : ''}`, 'ci-warm', 'bare', 'wrapped', 1.1);
  pair('  the landlock backend (no namespaces)', 'ci-warm', 'bare', 'wrapped-landlock', 1.1);
  if (results.has('ci-warm')) {
    // Where the wrapped run's time goes, from the reports' per-jail times.
    const part = (what: string, key: string, bareVariant?: string) => {
      const w = detailMedian(results, 'ci-warm', 'wrapped', key);
      const b = bareVariant ? med(results, 'ci-warm', bareVariant) : undefined;
      rows.push([what, b === undefined ? '' : formatMs(b), w === undefined ? 'n/a (not in the report)' : formatMs(w), formatRatio(ratio(w, b)), '']);
    };
    reference('  P7 2 phases, no jail: --ignore-scripts, then npm rebuild (÷ bare)', 'ci-warm', 'bare-two-phase', 'bare');
    if (results.get('ci-warm')?.variants['bare-two-phase']) {
      // The second npm on its own: what docs/promises.md#p7-two-phase-installs costs before any jail, against what 1.10× allows.
      const rebuild = detailMedian(results, 'ci-warm', 'bare-two-phase', 'rebuildMs');
      const bare = med(results, 'ci-warm', 'bare');
      rows.push(['    of it, the bare `npm rebuild` alone', formatMs(rebuild), '', '', '']);
      rows.push(['  what 1.10× lets safe-package add to a bare `npm ci`', '', bare === undefined ? '' : formatMs(0.1 * bare), '', '']);
      pair('  safe-package vs those two phases with no jail', 'ci-warm', 'bare-two-phase', 'wrapped');
    }
    part('  install phase: npm, scripts off (bare: --ignore-scripts)', 'installMs', 'bare-noscripts');
    const jails = detailMedian(results, 'ci-warm', 'wrapped', 'scriptJails');
    part(`  scripts phase: ${jails ?? '?'} package(s), a jail each`, 'scriptsMs');
    part('  review and commit of the staged writes', 'commitMs');
  }
  pair(`\`npm install ${EXTRAS.newPackage}\` into it`, 'install-one', 'bare', 'wrapped');
  pair('`npm ci` over the installed node_modules', 'ci-again', 'bare', 'wrapped');
  pair('`npm ci`, cold cache', 'ci-cold', 'bare', 'wrapped');
  if (results.has('download') && reg) {
    const mb = (reg.largeBytes / 1e6).toFixed(0);
    pair(`${mb} MB tarball from the registry (curl)`, 'download', 'bare', 'wrapped');
    const b = med(results, 'download', 'bare');
    const w = med(results, 'download', 'wrapped');
    const bp = med(results, 'download', 'bare-ping');
    const wp = med(results, 'download', 'wrapped-ping');
    const bt = b !== undefined && bp !== undefined ? b - bp : undefined;
    const wt = w !== undefined && wp !== undefined ? w - wp : undefined;
    rows.push([
      '  throughput, start-up subtracted',
      failed(results, 'download', 'bare') ?? formatRate(reg.largeBytes, bt),
      failed(results, 'download', 'wrapped') ?? formatRate(reg.largeBytes, wt),
      formatRatio(ratio(bt !== undefined && bt > 0 ? 1 / bt : undefined, wt !== undefined && wt > 0 ? 1 / wt : undefined)),
      '',
    ]);
  }
  const commitRows: [string, string][] = [
    ['commit of staged writes: fresh node_modules', 'ci-warm'],
    [`  \`npm install ${EXTRAS.newPackage}\``, 'install-one'],
    ['  node_modules replaced (npm ci over an installed one)', 'ci-again'],
    ['  fresh node_modules, cold-cache run', 'ci-cold'],
  ];
  for (const [what, scenario] of commitRows) {
    if (!results.has(scenario)) continue;
    const commit = detailMedian(results, scenario, 'wrapped', 'commitMs');
    const entries = detailMedian(results, scenario, 'wrapped', 'committed');
    const shown = commit !== undefined ? `${formatMs(commit)}${entries !== undefined ? ` (${entries} entries)` : ''}` : 'n/a (not in the report)';
    rows.push([what, '', failed(results, scenario, 'wrapped') ?? shown, '', '']);
  }
  const rssRows: [string, string, string][] = [
    ['peak RSS of safe-package: `-- true`', 'rss-true', 'wrapped'],
    ['  `npm ci`, warm cache', 'ci-warm', 'wrapped'],
    ['  `npm ci`, cold cache', 'ci-cold', 'wrapped'],
    ['  large tarball download', 'download', 'wrapped'],
  ];
  for (const [what, scenario, variant] of rssRows) {
    if (!results.has(scenario)) continue;
    const kb = detailMedian(results, scenario, variant, 'rssKb');
    rows.push([what, '', failed(results, scenario, variant) ?? formatKb(kb), '', '']);
  }
  return rows;
}

function breakdownTable(b: StartupBreakdown[], results: Map<string, ScenarioResult>): { header: string[]; rows: string[][] } {
  const header = ['phase of `safe-package -- true`', ...b.map((x) => x.entry)];
  const rows: string[][] = PHASES.map(([id, label]) => [label, ...b.map((x) => formatMs(x.phases[id]))]);
  rows.push(['total (hooked runs)', ...b.map((x) => formatMs(x.wallMs))]);
  const s = results.get('startup');
  if (s) {
    rows.push(['total, plain runs', ...b.map((x) => formatMs(s.variants[`true-${x.entry}`]?.medianMs))]);
    rows.push(['`--version` (boot + load + parse)', ...b.map((x) => formatMs(s.variants[`version-${x.entry}`]?.medianMs))]);
    rows.push(['for reference: `node -e 0`', ...b.map(() => formatMs(s.variants['node']?.medianMs))]);
    rows.push(['for reference: `node empty.mjs`', ...b.map(() => formatMs(s.variants['node-esm']?.medianMs))]);
  }
  return { header, rows };
}

async function main(): Promise<number> {
  const o = parseOptions(process.argv.slice(2));
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const startedAt = new Date();
  const ws = createWorkspace(REPO, o.user, o.program);
  let reg: BenchRegistry | undefined;
  const results = new Map<string, ScenarioResult>();
  let machine: Machine | undefined;
  try {
    machine = describeMachine(benchEnv(ws, undefined));
    const version = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;
    const build = gitDescribe();
    log(`safe-package benchmark — ${startedAt.toISOString()}`);
    for (const line of machineLines(machine)) log(line);
    log(`program  safe-package ${version}, ${o.program ?? build}, launcher entry: ${ws.entry}`);
    log(`runs as  ${ws.user.name} (uid ${ws.user.uid}); scratch ${ws.dir}`);

    const needsRegistry = [...o.only].some((id) => id !== 'startup');
    if (needsRegistry) {
      reg = await startBenchRegistry(CACHE, FIXTURE, o.refresh, log);
      log(`registry ${reg.registry.url} (verdaccio, offline, storage ${reg.storage === 'cached' ? 'from bench/.cache' : 'just filled'})`);
      ws.ownedFile(ws.npmrc, reg.registry.npmrc({ auth: false, registry: true }));
    }

    if (o.only.has('startup')) {
      log(`\n== startup: ${o.fastReps} runs per variant, in rotation`);
      results.set('startup', await runScenario(startupScenario(ws, o.fastReps), ws.as, log));
    }
    if (reg) {
      for (const s of buildScenarios(ws, reg, FIXTURE, o)) {
        if (!o.only.has(s.id)) continue;
        log(`\n== ${s.id}: ${s.title} (${s.warmups} warm-up, ${s.reps} timed per variant, alternating)`);
        results.set(s.id, await runScenario(s, ws.as, log));
      }
    }

    const finishedAt = new Date();
    const header = ['what', 'bare', 'safe-package', 'ratio (paired: min–max)', 'budget (promise P11)'];
    const rows = buildTable(results, reg);
    const breakdowns = results.has('startup') ? (['bundle', 'modules'] as const).map((e) => breakdownOf(ws, results.get('startup')!, e)) : [];
    const bt = breakdowns.length ? breakdownTable(breakdowns, results) : undefined;

    const out = process.stdout;
    out.write(`\nsafe-package benchmark, ${startedAt.toISOString()}\n${machineLines(machine).join('\n')}\n\n`);
    if (rows.length) out.write(`${formatTable(header, rows)}\n\n`);
    if (bt) out.write(`${formatTable(bt.header, bt.rows)}\n\n`);

    mkdirSync(RESULTS, { recursive: true });
    const stamp = startedAt.toISOString().slice(0, 16).replace(/:/g, '');
    const file = join(RESULTS, `${stamp}.json`);
    const json = {
      schema: 'safe-package/bench@1',
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      machine,
      safePackage: { version, build: o.program ?? build, entry: ws.entry },
      user: ws.user.name,
      registry: reg ? { storage: reg.storage, largeTarball: { ...EXTRAS.large, bytes: reg.largeBytes } } : undefined,
      options: { reps: o.reps, fastReps: o.fastReps, coldReps: o.coldReps, only: [...o.only] },
      table: { header, rows, markdown: formatMarkdown(header, rows) },
      startup: bt ? { breakdowns, header: bt.header, rows: bt.rows, markdown: formatMarkdown(bt.header, bt.rows) } : undefined,
      scenarios: [...results.values()],
    };
    writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);
    out.write(`results: ${file}\n`);
    return 0;
  } finally {
    await reg?.registry.stop();
    if (o.keep) log(`kept ${ws.dir}`);
    else ws.cleanup();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof BenchSetupError) {
      process.stderr.write(`bench: ${err.message}\n`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);

// The attack suite's world, and one attack run in one mode.
//
// setup() plants canaries (environment, the fixture user's real $HOME, every project,
// a neighbour project, another user's home, the kernel keyring), starts the sinks, puts
// a setuid binary of another user where the jail can see it, and packs every package.
// run() installs one package into a fresh project, as the fixture user, either with bare
// npm or through safe-package with its default policy, in the same environment; then
// looks on the host for what got out, reads what the script recorded inside, puts the
// home and the workspace back, and returns the verdict. teardown() restores everything
// as it was before setup().

import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { baseEnv, fixtureUser, installedCli, writeAs, REPO, type FixtureUser } from '../../support/cli.js';
import { buildDockerHarness } from '../../support/docker-default.js';
import { DEFAULT_LIMITS } from '../../../src/config/layer.js';
import { SYSTEM_CONFIG } from '../../../src/config/load.js';
import { ATTACKS, cacheMarkers, type Attack, type EvidenceContext } from '../catalog.js';
import { hashesOf, makeCanaries, newNonce, type CanarySet } from './canaries.js';
import { attackPackage, BENIGN_DEPENDENCY, CONTROL_BUILD, CONTROL_NATIVE, controlPackages, packAll, packageName, vendor, type RunConstants } from './fixtures.js';
import { runInstall, type InstallResult } from './install.js';
import { endVictim, PeakCounter, processesTagged, startVictim, victimFate, type Victim } from './processes.js';
import { Sinks, sightings } from './sinks.js';
import { diffTrees, restoreTree, snapshot, type SnapshotOptions, type Tree } from './tree.js';
import { insideEvidence, verdictOf, type AttackRecord, type Evidence, type Verdict } from './verdict.js';

export type Mode = 'bare' | 'safe';

export interface RunRecord {
  readonly attack: string;
  readonly mode: Mode;
  readonly verdict: Verdict;
  readonly evidence: Evidence;
  readonly status: number | null;
  readonly durationMs: number;
  /** The attack script's own remarks (canaries masked). */
  readonly notes: readonly string[];
  /** The end of what the install printed, for diagnosing INVALID runs. */
  readonly outputTail: string;
}

export interface ControlRecord {
  readonly control: string;
  readonly mode: Mode;
  readonly status: number | null;
  readonly works: boolean;
  readonly check: string;
  readonly durationMs: number;
  readonly outputTail: string;
}

// npm's own cache, safe-package's cache and safe-package's commit journal change with
// every install: they are not attack evidence (the cache attack checks its own marker
// there). At the very end they are removed if they were not there before the suite.
const NPM_CACHES = (rel: string) => rel === '.npm' || rel === '.cache/safe-package' || rel === '.safe-package/state';
// Other package managers' stores, which other test suites fill as the same fixture user:
// neither evidence nor ours to put back.
const OTHER_CACHES = (rel: string) => ['.local/share/pnpm', '.cache/pnpm', '.cache/yarn', '.yarn', '.cache/pip', '.cache/node-gyp'].includes(rel);
const HOME_WATCH: SnapshotOptions = { skip: (rel) => NPM_CACHES(rel) || OTHER_CACHES(rel) };
const HOME_ORIGINAL: SnapshotOptions = { opaque: NPM_CACHES, skip: OTHER_CACHES };
const WORKSPACE_WATCH: SnapshotOptions = { skip: (rel) => rel.startsWith('proj-') };
const INSTALL_TIMEOUT_SECONDS = 120;

function hex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

function chownTree(path: string, user: FixtureUser): void {
  const r = spawnSync('chown', ['-R', `${user.uid}:${user.gid}`, path]);
  if (r.status !== 0) throw new Error(`chown -R ${path} failed: ${r.stderr}`);
}

/** The end of an install's output, without colours and with any canary masked. */
function tail(text: string, lines = 15): string {
  return text
    // eslint-disable-next-line no-control-regex
    .replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '')
    .replace(/spc-[a-z0-9]+-[0-9a-f]{16}/g, '<canary>')
    .split('\n')
    .slice(-lines)
    .join('\n');
}

const KEYRING_ADD = `
import ctypes, platform, sys
nr = {'x86_64': 248, 'aarch64': 217}[platform.machine()]
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
value = sys.stdin.buffer.read()
r = libc.syscall(nr, b'user', b'sp-attacks-deploy-token', value, len(value), ctypes.c_long(-4))
print(r if r >= 0 else -ctypes.get_errno())
`;
const KEYRING_INVALIDATE = `
import ctypes, platform, sys
nr = {'x86_64': 250, 'aarch64': 219}[platform.machine()]
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
libc.syscall(nr, ctypes.c_long(21), ctypes.c_long(int(sys.argv[1])))
`;

export class AttackSuite {
  readonly user = fixtureUser('sp-test');
  readonly other = fixtureUser('sp-other');
  readonly runTag = `r${hex(4)}`;
  readonly canaries: CanarySet = makeCanaries(newNonce());
  readonly netMarker = hex(8);
  readonly stage2Marker = `stage2-${hex(8)}`;
  readonly ttyMarker = `sp-tty-${hex(8)}`;
  readonly ttyWriteMarker = `sp-osc-${hex(8)}`;
  readonly processLimit = DEFAULT_LIMITS.processes;
  readonly records: RunRecord[] = [];
  readonly controls: ControlRecord[] = [];
  readonly startedAt = Date.now();

  private root = '';
  private workspace = '';
  private runner = '';
  private setuidDir = '';
  private otherSecret = '';
  private otherHomeTimes?: { atime: Date; mtime: Date };
  private keyId?: number;
  private sinks?: Sinks;
  private tarballs = new Map<string, string>();
  private homeOriginal?: Tree;
  private homeBaseline?: Tree;
  private workspaceBaseline?: Tree;
  private canaryInodes = new Set<string>();
  private env: Record<string, string> = {};
  private cli = '';
  private liveVictims = new Set<Victim>();
  private restored = false;

  /** The program safe-package runs under, when `dockerDefault` (tests/support/docker-default.ts). */
  private wrap: string[] = [];

  /**
   * `safeArgs`: options given to safe-package before the command (`--backend landlock`).
   * `dockerDefault`: safe-package itself runs under Docker's default refusals (no new
   * namespaces, no mounts), as in a CI container; auto must then find a jail that works.
   */
  constructor(
    readonly safeArgs: readonly string[] = [],
    readonly dockerDefault = false,
  ) {}

  async setup(): Promise<void> {
    // The fixture user runs npm, node and python3 from the system PATH, as a user would.
    const path = baseEnv(this.user).PATH!.split(':');
    for (const tool of ['python3', 'npm', 'node']) {
      if (!path.some((dir) => existsSync(join(dir, tool)))) throw new Error(`the attack suite needs ${tool} on the PATH of ${this.user.name} (${path.join(':')})`);
    }
    if (!existsSync('/usr/bin/python3')) throw new Error('the attack suite needs /usr/bin/python3 (its terminal runner and Python payloads use it)');
    // The verdicts are about safe-package's default policy: no configuration file may
    // change it (the user's own is set aside below and put back at the end).
    if (existsSync(SYSTEM_CONFIG)) throw new Error(`${SYSTEM_CONFIG} exists: the attack suite judges the default policy; move it away to run the suite`);
    this.cli = installedCli();
    this.root = mkdtempSync(join(tmpdir(), 'sp-attacks-'));
    chmodSync(this.root, 0o755);
    if (this.dockerDefault) this.wrap = [buildDockerHarness(this.root)];
    process.on('exit', () => this.emergencyRestore());

    // The home as it was, to put back at the end; then the canaries.
    this.homeOriginal = snapshot(this.user.home, HOME_ORIGINAL);
    rmSync(join(this.user.home, '.safe-package'), { recursive: true, force: true });
    // The folders safe-package keeps its own state in (outside the jail's reach) exist
    // from the start, so that their appearance is not mistaken for an attack's doing.
    for (const dir of ['.cache', '.safe-package']) {
      if (existsSync(join(this.user.home, dir))) continue;
      mkdirSync(join(this.user.home, dir), { mode: 0o700 });
      chownSync(join(this.user.home, dir), this.user.uid, this.user.gid);
    }
    for (const f of this.canaries.home) writeAs(this.user, join(this.user.home, f.rel), f.content, f.mode);
    for (const f of this.canaries.home) {
      if (!f.kind) continue;
      const st = statSync(join(this.user.home, f.rel));
      this.canaryInodes.add(`${st.dev}:${st.ino}`);
    }
    this.homeBaseline = snapshot(this.user.home, HOME_WATCH);

    // The workspace holding the projects (~/code): a neighbour project and a note.
    this.workspace = join(this.root, 'ws');
    mkdirSync(this.workspace, { mode: 0o755 });
    for (const f of this.canaries.workspace) {
      mkdirSync(dirname(join(this.workspace, f.rel)), { recursive: true });
      writeFileSync(join(this.workspace, f.rel), f.content, { mode: f.mode });
    }
    chownTree(this.workspace, this.user);
    this.workspaceBaseline = snapshot(this.workspace, WORKSPACE_WATCH);

    // Another user's secret and that user's setuid binary, where the jail can see it.
    const otherHome = statSync(this.other.home);
    this.otherHomeTimes = { atime: otherHome.atime, mtime: otherHome.mtime };
    this.otherSecret = join(this.other.home, `.sp-attacks-${this.runTag}-secret`);
    writeFileSync(this.otherSecret, `${this.canaries.values.get('otheruser')}\n`, { mode: 0o600 });
    chownSync(this.otherSecret, this.other.uid, this.other.gid);
    this.setuidDir = `/usr/local/lib/sp-attacks-${this.runTag}`;
    mkdirSync(this.setuidDir, { recursive: true, mode: 0o755 });
    const setuidCat = join(this.setuidDir, 'cat');
    copyFileSync('/usr/bin/cat', setuidCat);
    chownSync(setuidCat, this.other.uid, this.other.gid);
    chmodSync(setuidCat, 0o4755);

    // A key in the user's kernel keyring.
    const added = spawnSync('/usr/bin/python3', ['-c', KEYRING_ADD], {
      input: this.canaries.values.get('keyring'),
      uid: this.user.uid,
      gid: this.user.gid,
      encoding: 'utf8',
    });
    const keyId = Number(added.stdout.trim());
    if (!(keyId > 0)) throw new Error(`could not add a key to ${this.user.name}'s keyring: ${added.stdout}${added.stderr}`);
    this.keyId = keyId;

    this.sinks = await Sinks.start({ user: this.user, id: this.runTag, stage2Marker: this.stage2Marker, agentKeyComment: this.canaries.values.get('agent')! });

    // pty-run.py where the fixture user can read it.
    mkdirSync(join(this.root, 'bin'), { mode: 0o755 });
    this.runner = join(this.root, 'bin', 'pty-run.py');
    copyFileSync(join(REPO, 'tests', 'attacks', 'harness', 'pty-run.py'), this.runner);
    chmodSync(this.runner, 0o644);

    const constants: RunConstants = {
      runTag: this.runTag,
      processLimit: this.processLimit,
      ttyMarker: this.ttyMarker,
      ttyWriteMarker: this.ttyWriteMarker,
      setuidBinary: setuidCat,
      otherUserSecret: this.otherSecret,
      dependency: BENIGN_DEPENDENCY,
      netMarker: this.netMarker,
      sinks: this.sinks.addresses,
    };
    const specs = [...ATTACKS.map((a) => attackPackage(a, constants)), ...controlPackages(this.runTag)];
    this.tarballs = await packAll(specs, join(this.root, 'packages'), join(this.root, 'tarballs'));
    spawnSync('chmod', ['-R', 'a+rX', join(this.root, 'tarballs')]);

    // One environment for both modes: what the user's shell would have.
    this.env = {
      ...baseEnv(this.user),
      LOGNAME: this.user.name,
      TERM: 'xterm-256color',
      SSH_AUTH_SOCK: this.sinks.addresses.agentSocket,
      npm_config_update_notifier: 'false',
      ...this.canaries.env,
    };
  }

  private makeProject(name: string, extra: { dependency?: boolean; git?: boolean } = {}): string {
    const project = join(this.workspace, name);
    rmSync(project, { recursive: true, force: true });
    mkdirSync(project, { mode: 0o755 });
    const manifest: Record<string, unknown> = { name: 'victim-project', version: '1.0.0', private: true };
    if (extra.dependency) {
      const spec = vendor(this.tarballs.get(BENIGN_DEPENDENCY)!, project);
      manifest.dependencies = { [BENIGN_DEPENDENCY]: `file:${spec.slice(2)}` };
    }
    writeFileSync(join(project, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    for (const f of this.canaries.project) writeFileSync(join(project, f.rel), f.content, { mode: f.mode });
    chownTree(project, this.user);
    if (extra.git) {
      const r = spawnSync('git', ['init', '-q', project], { uid: this.user.uid, gid: this.user.gid, env: { ...baseEnv(this.user), HOME: this.user.home } });
      if (r.status !== 0) throw new Error(`git init failed: ${r.stderr}`);
    }
    return project;
  }

  private install(mode: Mode, project: string, spec: string, bareExtra: readonly string[] = []): Promise<InstallResult> {
    const npmArgs = ['npm', 'install', spec, '--no-audit', '--no-fund'];
    const argv = mode === 'bare' ? [...npmArgs, ...bareExtra] : [...this.wrap, this.cli, ...this.safeArgs, ...npmArgs];
    return runInstall(argv, { runner: this.runner, user: this.user, cwd: project, env: this.env, fdDir: this.user.home, timeoutSeconds: INSTALL_TIMEOUT_SECONDS });
  }

  async run(attack: Attack, mode: Mode): Promise<RunRecord> {
    const project = this.makeProject(`proj-${mode}-${attack.id}`, { dependency: attack.project === 'with-dependency', git: attack.project === 'git' });
    const spec = vendor(this.tarballs.get(packageName(attack))!, project);
    chownTree(project, this.user);

    const victims: Victim[] = [];
    for (const kind of attack.victims ?? []) {
      const v = await startVictim(kind, this.runTag, this.user, {
        procenv: this.canaries.values.get('procenv')!,
        proccmd: this.canaries.values.get('proccmd')!,
        procmem: this.canaries.values.get('procmem')!,
        ptrace: this.canaries.values.get('ptrace')!,
      });
      victims.push(v);
      this.liveVictims.add(v);
    }

    const bombTag = `sp-bomb-${this.runTag}`;
    const counter = new PeakCounter(bombTag).start();
    const started = Date.now();
    let result: InstallResult;
    try {
      result = await this.install(mode, project, spec);
      await new Promise((r) => setTimeout(r, attack.settleMs ?? 100)); // late packets, detached writers
    } finally {
      counter.stop();
    }

    // --- What got out, seen on the host.
    const escaped: string[] = [];
    const sinks = this.sinks!;
    const events = sinks.since(started);
    for (const s of sightings(events, [this.canaries.nonce, this.netMarker, this.stage2Marker])) escaped.push(`data reached the host's ${s} sink`);
    if (events.some((e) => e.sink === 'ssh-agent' && e.chunks.length > 0)) escaped.push("the user's ssh-agent answered a request");
    for (const c of diffTrees(this.homeBaseline!, snapshot(this.user.home, HOME_WATCH))) escaped.push(`~/${c.path} ${c.change} on the host`);
    for (const c of diffTrees(this.workspaceBaseline!, snapshot(this.workspace, WORKSPACE_WATCH))) {
      escaped.push(`${c.path === '' ? 'the folder' : c.path} above the project ${c.change} on the host`);
    }
    const survivors = processesTagged(`sp-survivor-${this.runTag}`);
    for (const p of survivors) escaped.push(`pid ${p.pid} outlived the install: ${p.cmdline.slice(0, 80)}`);
    for (const v of victims) escaped.push(...victimFate(v));
    if (result.output.includes(this.ttyMarker) || result.pending.includes(this.ttyMarker)) {
      escaped.push(`keystrokes were pushed into the user's terminal (${JSON.stringify(result.pending.slice(0, 60))} waiting as input)`);
    }
    const ctx: EvidenceContext = {
      mode,
      project,
      home: this.user.home,
      runTag: this.runTag,
      processLimit: this.processLimit,
      bombPeak: counter.peak,
      terminalOutput: result.output,
      ttyWriteMarker: this.ttyWriteMarker,
      canaryInodes: this.canaryInodes,
    };
    escaped.push(...(attack.evidence?.(ctx) ?? []));

    // --- What the script managed where it ran.
    const invalid: string[] = [];
    let record: AttackRecord | undefined;
    const recordPath = join(project, 'node_modules', packageName(attack), 'attack-result.json');
    try {
      record = JSON.parse(readFileSync(recordPath, 'utf8')) as AttackRecord;
    } catch {
      invalid.push(`no attack-result.json: the install script did not run (install exit ${result.status})`);
    }
    if (result.timedOut) invalid.push(`the install timed out after ${INSTALL_TIMEOUT_SECONDS}s`);
    const inside = record ? insideEvidence(record, hashesOf(this.canaries, attack.reads ?? []), attack.does ?? []) : [];

    // --- Put the host back for the next run.
    for (const p of [...survivors, ...processesTagged(bombTag)]) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    for (const v of victims) {
      endVictim(v);
      this.liveVictims.delete(v);
    }
    for (const m of cacheMarkers(this.user.home, this.runTag)) rmSync(dirname(m), { recursive: true, force: true });
    restoreTree(this.user.home, this.homeBaseline!, HOME_WATCH);
    restoreTree(this.workspace, this.workspaceBaseline!, WORKSPACE_WATCH);
    rmSync(project, { recursive: true, force: true });

    const evidence: Evidence = { escaped, inside, invalid };
    const rec: RunRecord = {
      attack: attack.id,
      mode,
      verdict: verdictOf(evidence),
      evidence,
      status: result.status,
      durationMs: result.durationMs,
      notes: record?.notes ?? [],
      outputTail: tail(result.output),
    };
    this.records.push(rec);
    return rec;
  }

  /** Installs a benign control package and checks that what it built works. */
  async control(name: typeof CONTROL_BUILD | typeof CONTROL_NATIVE, mode: Mode): Promise<ControlRecord> {
    const project = this.makeProject(`proj-${mode}-${name}`);
    const spec = vendor(this.tarballs.get(name)!, project);
    chownTree(project, this.user);
    // node-gyp must build against the installed headers, offline. safe-package's npm
    // profile finds them by itself (docs/promises.md#p8-profiles); bare npm has to be told.
    const result = await this.install(mode, project, spec, name === CONTROL_NATIVE ? ['--nodedir=/usr'] : []);
    const [code, expected] =
      name === CONTROL_BUILD
        ? [`process.stdout.write(require('${CONTROL_BUILD}')())`, `generated at install: ${this.runTag}`]
        : [`process.stdout.write(String(require('${CONTROL_NATIVE}').add(2, 3)))`, '5'];
    const check = spawnSync('node', ['-e', code], { cwd: project, uid: this.user.uid, gid: this.user.gid, encoding: 'utf8', env: baseEnv(this.user) });
    rmSync(project, { recursive: true, force: true });
    const rec: ControlRecord = {
      control: name,
      mode,
      status: result.status,
      works: result.status === 0 && check.status === 0 && check.stdout === expected,
      check: check.status === 0 ? `printed ${JSON.stringify(check.stdout)}, expected ${JSON.stringify(expected)}` : `failed: ${check.stderr.trim().split('\n').slice(0, 3).join(' | ')}`,
      durationMs: result.durationMs,
      outputTail: tail(result.output, 25),
    };
    this.controls.push(rec);
    return rec;
  }

  async teardown(): Promise<void> {
    await this.sinks?.close();
    this.emergencyRestore();
  }

  /** Synchronous, idempotent: also runs on process exit if the tests die half-way. */
  private emergencyRestore(): void {
    if (this.restored) return;
    this.restored = true;
    for (const v of this.liveVictims) endVictim(v);
    for (const tag of [`sp-survivor-${this.runTag}`, `sp-bomb-${this.runTag}`]) {
      for (const p of processesTagged(tag)) {
        try {
          process.kill(p.pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    }
    if (this.keyId !== undefined) {
      spawnSync('/usr/bin/python3', ['-c', KEYRING_INVALIDATE, String(this.keyId)], { uid: this.user.uid, gid: this.user.gid });
    }
    if (this.setuidDir) rmSync(this.setuidDir, { recursive: true, force: true });
    if (this.otherSecret) rmSync(this.otherSecret, { force: true });
    if (this.otherHomeTimes) utimesSync(this.other.home, this.otherHomeTimes.atime, this.otherHomeTimes.mtime);
    if (this.homeOriginal) restoreTree(this.user.home, this.homeOriginal, HOME_ORIGINAL);
    if (this.root) rmSync(this.root, { recursive: true, force: true });
  }

  get elapsedMs(): number {
    return Date.now() - this.startedAt;
  }
}

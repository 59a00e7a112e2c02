// `jail create DIR --with EXE...`: a chroot jail holding each executable with everything it
// needs to start — its program interpreter and shared libraries (found the way the dynamic
// loader finds them), the interpreters its shebang names, the npm package it belongs to,
// Python's library directories — plus certificates, a minimal /etc, /tmp, /dev and /proc.
//
// The order of a run: refuse unsafe places, mark the directory as ours, lay out the base,
// add each executable (recursively), record it, then check the result with the same rules
// the chroot backend applies before every run.

import { existsSync, lstatSync, readdirSync, readFileSync, realpathSync, statSync, mkdirSync, chownSync, chmodSync, renameSync, rmSync } from 'node:fs';
import { posix, resolve } from 'node:path';
import { elfCompatible, hasElfMagic, type ElfInfo } from './elf.js';
import { lookupLdCache } from './ld-cache.js';
import { librarySearchCandidates, type LoadingObject } from './loader-search.js';
import { envProgram, parseShebang, SHEBANG_MAX } from '../host/shebang.js';
import { isNodeBinary, isPythonInterpreter, looksLikeSharedObject, nodePackageRoot, npmGlobalConfigFor } from './exe-roles.js';
import { baseAccounts, type JailAccount, npmrcCafile, renderGroup, renderNsswitch, renderPasswd, stripNpmrcAuth } from './etc-files.js';
import { findOnPath, onlyRootCanChange, pythonSysPath, readElf, readHead, readLdCache, tryReadElf } from './host-files.js';
import { JailError, JailWriter, treeBytes } from './jail-writer.js';
import { ancestorChain, scanJail } from './check.js';
import { judgeAncestors, judgeJail } from './check-rules.js';
import { hostGroupName, resolveHostUser } from './accounts.js';
import { shellQuote } from '../util/shell-quote.js';
import { JAIL_MARKER, JAIL_PATH, type ExecutableReport, type JailCreateOptions, type JailCreateResult, type JailProblem } from './types.js';

export { JailError } from './jail-writer.js';

/** Contents of the marker file: what was asked for, so a re-run can rebuild /etc/passwd. */
interface Marker {
  format: 1;
  executables: string[];
  users: JailAccount[];
}

/** The standard character devices (major, minor). */
const DEVICES: readonly [string, number, number][] = [
  ['null', 1, 3],
  ['zero', 1, 5],
  ['random', 1, 8],
  ['urandom', 1, 9],
  ['tty', 5, 0],
];

/** Trust stores, where the host has them: Debian/Ubuntu, then Fedora/RHEL layouts. Trees are copied whole. */
const CERT_TREES = ['/etc/ssl/certs', '/etc/pki/ca-trust/extracted', '/etc/pki/tls/certs'];
const CERT_PATHS = ['/usr/lib/ssl/cert.pem', '/usr/lib/ssl/certs', '/usr/lib/ssl/openssl.cnf', '/etc/ssl/openssl.cnf', '/etc/pki/tls/cert.pem', '/etc/pki/tls/openssl.cnf'];
/** Variables that name trust stores (docs/promises.md#p4-environment); the files they name must exist in the jail too. */
const CA_VARIABLES = ['NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE', 'SSL_CERT_DIR', 'REQUESTS_CA_BUNDLE', 'PIP_CERT'];

function problemsText(ps: readonly JailProblem[]): string {
  return ps.map((p) => `  ${shellQuote(p.path)}: ${p.problem}\n    fix: ${p.fix}`).join('\n');
}

function readMarker(root: string): Marker | undefined {
  const p = posix.join(root, JAIL_MARKER);
  try {
    const st = lstatSync(p);
    if (!st.isFile() || st.uid !== 0) return undefined;
    const m = JSON.parse(readFileSync(p, 'utf8')) as Partial<Marker>;
    if (m.format !== 1 || !Array.isArray(m.executables) || !Array.isArray(m.users)) return undefined;
    const users = m.users.filter(
      (u): u is JailAccount =>
        typeof u === 'object' && u !== null && typeof u.name === 'string' && Number.isInteger(u.uid) && Number.isInteger(u.gid) && typeof u.group === 'string' && typeof u.home === 'string',
    );
    return { format: 1, executables: m.executables.filter((e) => typeof e === 'string' && e.startsWith('/')), users };
  } catch {
    return undefined;
  }
}

/** Makes `abs` (and missing parents) after checking that the deepest existing ancestor is safe. */
function prepareDirectory(abs: string): { root: string; existing: Marker | undefined; fresh?: boolean } {
  let st;
  try {
    st = statSync(abs);
  } catch {
    st = undefined;
  }
  if (st === undefined) {
    let existingAncestor = posix.dirname(abs);
    while (!existsSync(existingAncestor)) existingAncestor = posix.dirname(existingAncestor);
    const real = realpathSync(existingAncestor);
    const problems = judgeAncestors([ancestorChain(existingAncestor), ancestorChain(real)].filter((c) => c.length > 0));
    if (problems.length > 0) throw new JailError(`refusing to create a jail under ${shellQuote(existingAncestor)}:\n${problemsText(problems)}`);
    mkdirSync(posix.dirname(abs), { recursive: true, mode: 0o755 });
    return { root: realpathSync(posix.dirname(abs)) + '/' + posix.basename(abs), existing: undefined, fresh: true };
  }
  if (!st.isDirectory()) throw new JailError(`${shellQuote(abs)} exists and is not a directory`);
  const root = realpathSync(abs);
  const names = readdirSync(root);
  const marker = readMarker(root);
  if (names.length > 0 && marker === undefined) {
    throw new JailError(
      `refusing to write into ${shellQuote(abs)}: it is not empty and was not made by \`safe-package jail create\` (no ${JAIL_MARKER} owned by root). ` +
        'Give an empty or new directory.',
    );
  }
  // An existing jail is checked with the same rules as before a run: a jail someone else
  // can write into is not one root should keep writing into.
  const problems = names.length > 0 ? judgeJail(scanJail(abs), { uid: 65534, gid: 65534 }) : judgeAncestors([ancestorChain(abs), ancestorChain(root)]);
  if (problems.length > 0) throw new JailError(`refusing to add to ${shellQuote(abs)}; fix these first:\n${problemsText(problems)}`);
  return { root, existing: marker, ...(names.length === 0 ? { fresh: true } : {}) };
}

class JailBuilder {
  private readonly cache = readLdCache();
  private readonly programsDone = new Set<string>();
  private readonly librariesDone = new Set<string>();
  private readonly pythonDone = new Set<string>();
  private readonly npmrcDone = new Set<string>();

  constructor(
    private readonly w: JailWriter,
    private readonly jailPath: string,
    private readonly log: (line: string) => void,
  ) {
    if (this.cache.error) this.w.warnings.push(`ld.so.cache not used: ${this.cache.error}`);
  }

  private cacheLookup = (name: string): string[] => lookupLdCache(this.cache.entries, name);

  /** Adds one program and everything it needs; `report` collects what it brought. */
  addProgram(hostPath: string, report: Mutable<ExecutableReport>, depth = 0): void {
    if (depth > 8) {
      this.w.warnings.push(`${hostPath}: interpreter chain deeper than 8; stopped (the kernel stops at 4)`);
      return;
    }
    const m = this.w.mirror(hostPath);
    if (m.type !== 'file') throw new JailError(`${hostPath} is a directory, not a program`);
    const real = m.real;
    if (depth > 0 && !report.programs.includes(hostPath)) report.programs.push(hostPath);
    if (this.programsDone.has(real)) return;
    this.programsDone.add(real);

    const pkg = nodePackageRoot(real);
    if (pkg !== undefined && !this.w.isTreeCopied(pkg)) {
      this.log(`  npm package ${pkg}`);
      const t = this.w.copyTree(pkg);
      report.trees.push(t.real);
      this.addSharedObjectsOf(t.files, report);
    }

    const st = statSync(real);
    if ((st.mode & 0o111) === 0) this.w.warnings.push(`${real} is not executable (mode ${(st.mode & 0o777).toString(8)})`);
    const head = readHead(real, SHEBANG_MAX);
    if (hasElfMagic(head)) {
      const elf = readElf(real);
      if (depth === 0) report.kind = 'elf';
      this.addElfNeeds(real, elf, undefined, report);
      if (isPythonInterpreter(real)) this.addPythonLibrary(real, report);
      if (isNodeBinary(real)) this.addNpmGlobalConfig(real);
      return;
    }
    const sb = parseShebang(head);
    if (sb === undefined) {
      if (depth === 0) report.kind = 'other';
      this.w.warnings.push(`${real} is neither ELF nor a #! script; copied as it is`);
      return;
    }
    if (depth === 0) report.kind = 'script';
    if (!sb.interpreter.startsWith('/')) {
      this.w.warnings.push(`${real}: interpreter ${sb.interpreter} is a relative path; it depends on the working directory and was not added`);
      return;
    }
    this.addProgram(sb.interpreter, report, depth + 1);
    const prog = envProgram(sb);
    if (prog !== undefined) {
      if (prog.includes('/')) {
        if (prog.startsWith('/')) this.addProgram(prog, report, depth + 1);
        else this.w.warnings.push(`${real}: env runs ${prog}, a relative path; not added`);
      } else {
        const found = findOnPath(prog, this.jailPath);
        if (found === undefined) this.w.warnings.push(`${real}: env runs ${prog}, which is not on the jail's PATH (${this.jailPath}) on this host`);
        else this.addProgram(found, report, depth + 1);
      }
    }
  }

  /** PT_INTERP and DT_NEEDED of one ELF object, recursively. */
  private addElfNeeds(path: string, elf: ElfInfo, loader: LoadingObject | undefined, report: Mutable<ExecutableReport>): void {
    const self: LoadingObject = { elf, origin: posix.dirname(path), ...(loader ? { loader } : {}) };
    if (elf.interpreter !== undefined) this.addLibrary(elf.interpreter, undefined, report, path);
    for (const name of elf.needed) {
      const found: string[] = [];
      for (const c of librarySearchCandidates(name, self, this.cacheLookup)) {
        if (found.length > 0 && c.source !== 'cache') break;
        const cand = tryReadElf(c.path);
        if (cand === undefined || !elfCompatible(elf, cand)) continue;
        found.push(c.path);
        if (c.source !== 'cache') break;
      }
      if (found.length === 0) {
        this.w.warnings.push(`${name}, needed by ${path}, was not found on this host; the program will not start in the jail`);
        continue;
      }
      for (const f of found) this.addLibrary(f, self, report, path);
    }
  }

  private addLibrary(hostPath: string, loader: LoadingObject | undefined, report: Mutable<ExecutableReport>, neededBy: string): void {
    let m;
    try {
      m = this.w.mirror(hostPath);
    } catch (e) {
      if (e instanceof JailError && /does not exist/.test(e.message)) {
        this.w.warnings.push(`${hostPath}, needed by ${neededBy}, does not exist`);
        return;
      }
      throw e;
    }
    if (!report.libraries.includes(hostPath)) report.libraries.push(hostPath);
    if (this.librariesDone.has(m.real)) return;
    this.librariesDone.add(m.real);
    const elf = tryReadElf(m.real);
    if (elf === undefined) {
      this.w.warnings.push(`${hostPath}, needed by ${neededBy}, is not a readable ELF file`);
      return;
    }
    // $ORIGIN of a library is the directory it was found in, as the loader records it.
    this.addElfNeeds(hostPath, elf, loader, report);
  }

  /** Python extension modules and Node.js addons in a copied tree need their libraries too. */
  private addSharedObjectsOf(files: readonly string[], report: Mutable<ExecutableReport>): void {
    for (const f of files) {
      if (!looksLikeSharedObject(posix.basename(f))) continue;
      if (this.librariesDone.has(f)) continue;
      this.librariesDone.add(f);
      const elf = tryReadElf(f);
      if (elf !== undefined) this.addElfNeeds(f, elf, undefined, report);
    }
  }

  private addPythonLibrary(interpreter: string, report: Mutable<ExecutableReport>): void {
    if (this.pythonDone.has(interpreter)) return;
    this.pythonDone.add(interpreter);
    // We run the interpreter as root to ask it for sys.path: only if nobody but root could
    // have replaced it.
    if (!onlyRootCanChange(interpreter)) {
      this.w.warnings.push(`${interpreter}: not asked for its library directories because a non-root user can change it; add them yourself (--with is for programs)`);
      return;
    }
    const sp = pythonSysPath(interpreter);
    if (sp.error !== undefined) {
      this.w.warnings.push(`Python library directories not added: ${sp.error}`);
      return;
    }
    for (const p of sp.paths) {
      let st;
      try {
        st = statSync(p);
      } catch {
        continue; // sys.path lists directories that may not exist (python311.zip)
      }
      if (this.w.isTreeCopied(realpathSync(p))) continue;
      if (st.isDirectory()) {
        this.log(`  Python library ${p}`);
        const t = this.w.copyTree(p);
        report.trees.push(t.real);
        this.addSharedObjectsOf(t.files, report);
      } else if (st.isFile()) {
        this.w.mirror(p);
      }
    }
  }

  private addNpmGlobalConfig(nodeReal: string): void {
    const npmrc = npmGlobalConfigFor(nodeReal);
    if (this.npmrcDone.has(npmrc)) return;
    this.npmrcDone.add(npmrc);
    let text: string;
    try {
      if (!statSync(npmrc).isFile()) return;
      text = readFileSync(npmrc, 'utf8');
    } catch {
      return;
    }
    const stripped = stripNpmrcAuth(text);
    const dir = this.w.mirror(posix.dirname(npmrc));
    this.w.writeFile(posix.join(dir.real, 'npmrc'), stripped.text, 0o644);
    this.log(`  npm global config ${npmrc}${stripped.removed > 0 ? ` (${stripped.removed} credential line(s) removed)` : ''}`);
    const cafile = npmrcCafile(stripped.text);
    if (cafile !== undefined && cafile.startsWith('/') && existsSync(cafile)) this.w.mirror(cafile);
  }

  /**
   * glibc before 2.34 loads the `files` and `dns` NSS sources from libnss_files.so.2 and
   * libnss_dns.so.2 with dlopen, which no DT_NEEDED reveals; later glibc has them built in
   * and ships stubs. Either way the jail gets what the cache lists for them.
   */
  addNssModules(): void {
    const none: Mutable<ExecutableReport> = { requested: '', path: '', kind: 'other', programs: [], libraries: [], trees: [] };
    for (const name of ['libnss_files.so.2', 'libnss_dns.so.2']) {
      for (const p of this.cacheLookup(name)) if (tryReadElf(p) !== undefined) this.addLibrary(p, undefined, none, 'glibc (NSS)');
    }
  }

  /** Certificates, /etc, /tmp, /proc, /dev. */
  addBase(accounts: readonly JailAccount[]): void {
    const w = this.w;
    w.ensureDir('/tmp', 0o1777, true);
    w.ensureDir('/proc', 0o555, true);
    w.ensureDir('/dev', 0o755, true);
    for (const [name, major, minor] of DEVICES) w.ensureCharDevice(`/dev/${name}`, major, minor);
    w.ensureSymlink('/dev/fd', '/proc/self/fd');
    w.ensureSymlink('/dev/stdin', '/proc/self/fd/0');
    w.ensureSymlink('/dev/stdout', '/proc/self/fd/1');
    w.ensureSymlink('/dev/stderr', '/proc/self/fd/2');

    const etc = w.mirror('/etc');
    const etcFile = (name: string) => posix.join(etc.real, name);
    w.writeFile(etcFile('passwd'), renderPasswd(accounts));
    w.writeFile(etcFile('group'), renderGroup(accounts));
    w.writeFile(etcFile('nsswitch.conf'), renderNsswitch());
    for (const name of ['hosts', 'resolv.conf']) {
      // Content only: resolv.conf is often a symlink into /run, which the jail does not have.
      try {
        w.writeFile(etcFile(name), readFileSync(`/etc/${name}`));
      } catch {
        w.warnings.push(`/etc/${name} could not be read on the host; the jail has none`);
      }
    }
    if (existsSync('/etc/ld.so.cache')) w.mirror('/etc/ld.so.cache');

    for (const t of CERT_TREES) if (existsSync(t)) w.copyTree(t);
    for (const p of CERT_PATHS) if (existsLink(p)) tryMirror(w, p);
    for (const v of CA_VARIABLES) {
      const p = process.env[v];
      if (p !== undefined && p.startsWith('/') && existsSync(p)) {
        if (statSync(p).isDirectory()) w.copyTree(p);
        else w.mirror(p);
      }
    }
  }
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] extends readonly (infer U)[] ? U[] : T[K] };

function existsLink(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

function tryMirror(w: JailWriter, p: string): void {
  try {
    w.mirror(p);
  } catch (e) {
    if (e instanceof JailError && /does not exist/.test(e.message)) return; // a dangling optional link
    throw e;
  }
}

/** Finds an EXE: a name without '/' on `searchPath`, anything else relative to the cwd. */
function locate(exe: string, searchPath: string): string {
  if (exe.includes('/')) {
    const p = resolve(exe);
    if (/^\/(proc|sys|dev)(\/|$)/.test(p)) throw new JailError(`${exe}: refusing to copy from ${p.split('/')[1]}; give the program's real path`);
    if (!existsLink(p)) throw new JailError(`${exe}: no such file`);
    return p;
  }
  const found = findOnPath(exe, searchPath);
  if (found === undefined) throw new JailError(`${exe}: not found on PATH (${searchPath}); give its full path`);
  return found;
}

/**
 * Builds or extends a chroot jail at `dir` with the executables `exes` (paths, or names
 * looked up on PATH). Must run as root. Refuses a non-empty directory it did not make and a
 * directory that someone other than root could change.
 */
export async function createJail(dir: string, exes: string[], opts: JailCreateOptions = {}): Promise<JailCreateResult> {
  const started = Date.now();
  const log = opts.log ?? (() => {});
  if (typeof process.geteuid === 'function' && process.geteuid() !== 0) {
    throw new JailError('jail create must run as root: the jail has to be owned by root and its /dev nodes need mknod. Run it with sudo.');
  }
  const abs = resolve(dir);
  const extraUsers = (opts.users ?? []).map(resolveHostUser);
  const searchPath = opts.searchPath ?? process.env['PATH'] ?? JAIL_PATH;
  const jailPath = opts.jailPath ?? JAIL_PATH;
  const located = exes.map((e) => ({ requested: e, path: locate(e, searchPath) }));

  const prepared = prepareDirectory(abs);
  const { existing } = prepared;
  // A new jail is built aside, under a name no run uses, and renamed into place only when
  // it is complete and passes the check: a failure (no mknod capability, a program that
  // cannot be copied) leaves nothing half-built that could later pass for a jail.
  const building = prepared.fresh ? `${posix.dirname(prepared.root)}/.${posix.basename(prepared.root)}.building-${process.pid}-${Date.now()}` : undefined;
  if (building) {
    mkdirSync(building, { mode: 0o700 });
    chownSync(building, 0, 0);
  }
  try {
    const result = await buildJail(building ?? prepared.root, { ...opts, log }, existing, located, extraUsers, jailPath, started);
    if (!building) return result;
    const blocking = result.warnings.filter((w) => w.startsWith('jail check:'));
    if (blocking.length > 0) throw new JailError(`the new jail would not be safe to use, so it was not made:\n${blocking.map((b) => `  ${b}`).join('\n')}`);
    chmodSync(building, 0o755);
    // rename(2) replaces an empty directory (one the caller made for the jail).
    renameSync(building, prepared.root);
    return { ...result, dir: prepared.root };
  } catch (err) {
    if (building) rmSync(building, { recursive: true, force: true });
    throw err;
  }
}

async function buildJail(
  root: string,
  opts: JailCreateOptions & { log: (line: string) => void },
  existing: Marker | undefined,
  located: { requested: string; path: string }[],
  extraUsers: JailAccount[],
  jailPath: string,
  started: number,
): Promise<JailCreateResult> {
  const log = opts.log;
  const w = new JailWriter(root);
  const accounts = mergeUsers([...baseAccounts(hostGroupName(65534) ?? 'nogroup'), ...(existing?.users ?? []), ...extraUsers]);
  const marker: Marker = { format: 1, executables: [...new Set([...(existing?.executables ?? []), ...located.map((l) => l.path)])], users: accounts.filter((a) => a.uid !== 0 && a.uid !== 65534) };
  // The marker goes first: a run interrupted half-way leaves a directory a re-run accepts.
  w.writeFile(`/${JAIL_MARKER}`, `${JSON.stringify(marker, null, 2)}\n`, 0o644);

  const b = new JailBuilder(w, jailPath, log);
  log(`base: /etc, certificates, /dev, /tmp, /proc`);
  b.addBase(accounts);
  b.addNssModules();

  const reports: ExecutableReport[] = [];
  for (const { requested, path } of located) {
    const jailDirs = jailPath.split(':');
    if (!requested.includes('/') && !jailDirs.includes(posix.dirname(path))) {
      w.warnings.push(`${requested} was found at ${path}, whose directory is not on the jail's PATH (${jailPath}); inside the jail, run it by that full path`);
    }
    const report: Mutable<ExecutableReport> = { requested, path, kind: 'other', programs: [], libraries: [], trees: [] };
    log(`${requested}: ${path}`);
    b.addProgram(path, report);
    reports.push(report);
  }
  // Re-adding what earlier runs added keeps /etc/passwd and the libraries of updated
  // programs current without the caller repeating every --with.
  for (const p of existing?.executables ?? []) {
    if (located.some((l) => l.path === p)) continue;
    if (!existsLink(p)) {
      w.warnings.push(`${p} (added by an earlier run) no longer exists on the host; its copy in the jail was left as it is`);
      continue;
    }
    b.addProgram(p, { requested: p, path: p, kind: 'other', programs: [], libraries: [], trees: [] });
  }

  const after = judgeJail(scanJail(root), { uid: 65534, gid: 65534 });
  for (const p of after) w.warnings.push(`jail check: ${p.path}: ${p.problem} (fix: ${p.fix})`);
  const size = treeBytes(root);
  return {
    dir: root,
    executables: reports,
    added: [...w.added].sort((a, b2) => (a.rel < b2.rel ? -1 : a.rel > b2.rel ? 1 : 0)),
    updated: [...w.updated].sort(),
    unchanged: w.unchanged,
    warnings: [...new Set(w.warnings)],
    totalBytes: size.bytes,
    elapsedMs: Date.now() - started,
  };
}

function mergeUsers(accounts: readonly JailAccount[]): JailAccount[] {
  const byUid = new Map<number, JailAccount>();
  for (const a of accounts) if (!byUid.has(a.uid)) byUid.set(a.uid, a);
  return [...byUid.values()];
}

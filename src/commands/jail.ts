// `safe-package jail create|check` (docs/promises.md#p10-commands): the command-line face of src/jail/.
// Exit statuses: 0 done / no problems, 1 failed / problems found, 2 usage error.

import { EXIT_SAFE_PACKAGE_FAILED } from '../exit-codes.js';
import { createJail, checkJail, JailError, resolveHostUser, type JailCreateResult, type JailProblem } from '../jail/index.js';
import { posix } from 'node:path';
import { shellQuote } from '../util/shell-quote.js';
import type { Io } from '../cli/io.js';

/** The jail command writes where every command does (src/cli/io.ts). */
export type JailCommandIo = Io;

export const JAIL_HELP = `Usage:
  safe-package jail create DIR [--with EXE]... [--user USER]...
  safe-package jail check DIR [--user USER] [--json]

create  Builds a chroot jail for the chroot backend (run as root). Each EXE (a path, or a
        name looked up on PATH) is copied with its program interpreter and shared libraries
        (read from its ELF headers, resolved as the dynamic loader does, never by running
        ldd), the interpreters its #! line names (#!/usr/bin/env node brings env and node),
        the whole npm package it belongs to, and for Python the interpreter's library
        directories. The jail also gets certificates, npm's global config without
        credentials, a minimal /etc (passwd and group holding root, nobody and each
        --user), /tmp (1777), /dev (null zero random urandom tty), an empty /proc.
        Everything is owned by root, nothing is writable by others, setuid/setgid bits are
        stripped. Re-running adds executables (and refreshes the ones already there); a
        non-empty directory not made by jail create is refused.

check   Verifies DIR is safe to run an untrusted program in as USER (default nobody): DIR
        and every directory above it owned by root and not writable by group/others;
        nothing inside owned by another user or writable by group/others (except /tmp);
        no setuid/setgid files and no file capabilities (read with getfattr, package
        attr); no device nodes but null, zero, full, random, urandom, tty; no FIFOs or
        sockets outside /tmp; nothing mounted inside; /proc, /dev, /tmp, /sys, /run not
        symlinks. Prints each problem with its fix; exit status 1 if any.

Options:
  --with EXE    add a program (repeatable)
  --user USER   a user name, uid, or UID:GID (create: add to /etc/passwd; check: the target)
  --json        check: print the problems as JSON
  -h, --help    this help
`;

interface Parsed {
  sub: 'create' | 'check' | 'help';
  dir?: string;
  with: string[];
  users: string[];
  json: boolean;
}

class UsageError extends Error {}

function parse(args: readonly string[]): Parsed {
  const out: Parsed = { sub: 'help', with: [], users: [], json: false };
  if (args.length === 0 || args[0] === '-h' || args[0] === '--help' || args[0] === 'help') return out;
  const sub = args[0];
  if (sub !== 'create' && sub !== 'check') throw new UsageError(`unknown jail command ${JSON.stringify(sub)}: expected create or check`);
  out.sub = sub;
  const rest = args.slice(1);
  const positional: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    const value = (name: string): string => {
      if (a.startsWith(`${name}=`)) return a.slice(name.length + 1);
      const v = rest[++i];
      if (v === undefined) throw new UsageError(`${name} needs a value`);
      return v;
    };
    if (a === '-h' || a === '--help') return { ...out, sub: 'help' };
    else if (a === '--with' || a.startsWith('--with=')) {
      if (sub !== 'create') throw new UsageError('--with is for jail create');
      out.with.push(value('--with'));
    } else if (a === '--user' || a.startsWith('--user=')) out.users.push(value('--user'));
    else if (a === '--json') {
      if (sub !== 'check') throw new UsageError('--json is for jail check');
      out.json = true;
    } else if (a === '--') positional.push(...rest.slice(i + 1)), (i = rest.length);
    else if (a.startsWith('-')) throw new UsageError(`unknown option ${JSON.stringify(a)}`);
    else positional.push(a);
  }
  if (positional.length !== 1) throw new UsageError(`jail ${sub} takes exactly one DIR (got ${positional.length})`);
  out.dir = positional[0]!;
  if (sub === 'check' && out.users.length > 1) throw new UsageError('jail check takes one --user');
  return out;
}

function fmtBytes(n: number): string {
  return n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : `${(n / 1024).toFixed(1)} KiB`;
}

/** What `jail create` prints: each executable, then the new paths (a copied tree as one line). */
export function renderCreateResult(r: JailCreateResult): string {
  const lines: string[] = [`jail ${shellQuote(r.dir)}:`];
  for (const e of r.executables) {
    const parts = [`${e.kind === 'elf' ? 'ELF' : e.kind}`];
    if (e.libraries.length > 0) parts.push(`${e.libraries.length} shared librar${e.libraries.length === 1 ? 'y' : 'ies'}`);
    if (e.programs.length > 0) parts.push(`runs ${e.programs.join(', ')}`);
    if (e.trees.length > 0) parts.push(`with ${e.trees.join(', ')}`);
    lines.push(`  ${e.requested}: ${shellQuote(e.path)} (${parts.join('; ')})`);
  }
  const trees = [...new Set(r.executables.flatMap((e) => e.trees))].sort();
  const underTree = (rel: string) => trees.find((t) => rel.startsWith(`${t}/`));
  const perTree = new Map<string, number>();
  const loose: JailCreateResult['added'][number][] = [];
  for (const a of r.added) {
    const t = underTree(a.rel);
    if (t !== undefined) perTree.set(t, (perTree.get(t) ?? 0) + 1);
    else loose.push(a);
  }
  // A directory that gained many entries (the certificate store) is one line, not hundreds.
  const perDir = new Map<string, number>();
  for (const a of loose) perDir.set(posix.dirname(a.rel), (perDir.get(posix.dirname(a.rel)) ?? 0) + 1);
  const shown: string[] = [];
  for (const a of loose) {
    const d = posix.dirname(a.rel);
    if ((perDir.get(d) ?? 0) > 8) {
      if (!perTree.has(d)) perTree.set(d, perDir.get(d)!);
      continue;
    }
    shown.push(`  + ${shellQuote(a.rel)}${a.kind === 'symlink' ? ' (symlink)' : a.kind === 'dir' ? '/' : a.kind === 'device' ? ' (device)' : ''}`);
  }
  if (shown.length > 0 || perTree.size > 0) lines.push('added:');
  lines.push(...shown);
  for (const [t, n] of [...perTree].sort()) lines.push(`  + ${shellQuote(t)}/… (${n} entries)`);
  for (const u of r.updated) lines.push(`  ~ ${shellQuote(u)} (updated from the host)`);
  const count = (k: string) => r.added.filter((a) => a.kind === k).length;
  lines.push(
    `${r.added.length} new (${count('file')} files, ${count('dir')} directories, ${count('symlink')} symlinks, ${count('device')} devices), ` +
      `${r.updated.length} updated, ${r.unchanged} unchanged; jail size ${fmtBytes(r.totalBytes)}; ${(r.elapsedMs / 1000).toFixed(1)} s`,
  );
  if (r.warnings.length > 0) {
    lines.push('warnings:');
    for (const w of r.warnings) lines.push(`  ${w.replace(/[\x00-\x1f\x7f]/g, '?')}`);
  }
  return `${lines.join('\n')}\n`;
}

export function renderProblems(dir: string, ps: readonly JailProblem[], who: string): string {
  if (ps.length === 0) return `jail check: ${shellQuote(dir)} is safe to use as ${who}\n`;
  const lines = [`jail check: ${ps.length} problem${ps.length === 1 ? '' : 's'} in ${shellQuote(dir)} (target ${who}):`];
  for (const p of ps) lines.push(`  ${shellQuote(p.path)}: ${p.problem}`, `    fix: ${p.fix}`);
  return `${lines.join('\n')}\n`;
}

/** Runs `safe-package jail ARGS...`; returns the exit status. */
export async function runJailCommand(args: string[], io: JailCommandIo): Promise<number> {
  let parsed: Parsed;
  try {
    parsed = parse(args);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr.write(`safe-package jail: ${e.message}\n${JAIL_HELP.split('\n\n')[0]}\n(safe-package jail --help for more)\n`);
      return 2;
    }
    throw e;
  }
  if (parsed.sub === 'help') {
    io.stdout.write(JAIL_HELP);
    return 0;
  }
  const dir = parsed.dir!;
  try {
    if (parsed.sub === 'create') {
      const result = await createJail(dir, parsed.with, { users: parsed.users, log: (l) => io.stderr.write(`${l}\n`) });
      io.stdout.write(renderCreateResult(result));
      // An extended jail that fails its own check is a failed create, like a new one.
      return result.warnings.some((w) => w.startsWith('jail check:')) ? EXIT_SAFE_PACKAGE_FAILED : 0;
    }
    const target = resolveHostUser(parsed.users[0] ?? 'nobody');
    const problems = await checkJail(dir, target);
    if (parsed.json) io.stdout.write(`${JSON.stringify({ dir, target: { uid: target.uid, gid: target.gid }, problems }, null, 2)}\n`);
    else io.stdout.write(renderProblems(dir, problems, `${target.name} (uid ${target.uid}, gid ${target.gid})`));
    return problems.length === 0 ? 0 : 1;
  } catch (e) {
    if (e instanceof JailError) {
      io.stderr.write(`safe-package jail ${parsed.sub}: ${e.message}\n`);
      // The command could not do its work (not a verdict on a jail): 125, as every setup failure.
      return EXIT_SAFE_PACKAGE_FAILED;
    }
    throw e;
  }
}

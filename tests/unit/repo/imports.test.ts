// The layout's rules, checked on the source (ARCHITECTURE.md):
//   - no import cycle between modules of src/ (static, dynamic and type imports alike);
//   - the policy is free of the CLI and of the run: it is plain data resolved from
//     configuration and host facts, so src/policy/ imports nothing from src/cli/,
//     src/commands/ or src/run/;
//   - file code that changes the file system lives in src/stage/, where root works in trees
//     another user can write with directory-pinned operations, or in a module listed below
//     with the reason its writes only ever touch a tree that is ours.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { REPO } from '../../support/cli.js';

const SRC = join(REPO, 'src');

function sources(dir = SRC, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) sources(path, out);
    else if (name.endsWith('.ts')) out.push(path);
  }
  return out;
}

/** Every relative module a source file imports, by path (static, type, dynamic, re-export). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [
    ...[...text.matchAll(/^\s*(?:import|export)\b[^'"`;]*?\bfrom\s+'(\.{1,2}\/[^']+)'/gm)].map((m) => m[1]!),
    ...[...text.matchAll(/^\s*import\s+'(\.{1,2}\/[^']+)'/gm)].map((m) => m[1]!),
    ...[...text.matchAll(/\bimport\(\s*'(\.{1,2}\/[^']+)'\s*\)/g)].map((m) => m[1]!),
  ];
  return specs.map((s) => resolve(dirname(file), s.replace(/\.js$/, '.ts')));
}

const files = sources();
const rel = (f: string) => relative(SRC, f);

test('the import walk finds the modules it checks (a walk that found nothing would pass anything)', () => {
  assert.ok(files.length > 100, `only ${files.length} modules`);
  const main = importsOf(join(SRC, 'cli', 'main.ts')).map(rel);
  assert.ok(main.includes('commands/run.ts') && main.includes('cli/args.ts'), main.join(' '));
});

test('no import cycles in src/', () => {
  const graph = new Map(files.map((f) => [f, importsOf(f).filter((d) => files.includes(d))]));
  const cycles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (f: string): void => {
    state.set(f, 'open');
    path.push(f);
    for (const d of graph.get(f)!) {
      if (state.get(d) === 'open') cycles.push([...path.slice(path.indexOf(d)), d].map(rel).join(' → '));
      else if (!state.has(d)) visit(d);
    }
    path.pop();
    state.set(f, 'done');
  };
  for (const f of files) if (!state.has(f)) visit(f);
  assert.deepEqual(cycles, []);
});

test('the policy imports nothing from the CLI, the commands or the run', () => {
  const offending = files
    .filter((f) => rel(f).startsWith('policy/'))
    .flatMap((f) => importsOf(f).filter((d) => /^(cli|commands|run)\//.test(rel(d))).map((d) => `${rel(f)} imports ${rel(d)}`));
  assert.deepEqual(offending, []);
});

/** Modules outside src/stage/ that change the file system, and why what they change is ours. */
const OWN_TREES: Record<string, string> = {
  'net/proxy.ts': "the proxy's socket, in the run directory (ours, 0700) or a private directory of ours",
  'run/network.ts': 'a private 0700 directory of ours in /tmp for a short socket path',
  'config/trust.ts': "the invoking user's own trust file, written as that user",
  'jail/create.ts': 'a new jail, built in a 0700 directory of root beside its place and renamed into it',
  'jail/jail-writer.ts': 'the files of a jail being built (root-owned, not yet reachable by its user)',
  'report/report.ts': 'the report: created O_EXCL (never through a link) and renamed over the named path',
  'backends/chroot/project.ts': "the project's mount point inside a checked, root-owned jail root, never through a link",
  'backends/landlock/shadow-run.ts': "the landlock run's directories, made by us in the run directory (ours, 0711) before the jail user gets them",
  'judge/metadata.ts': "the judgement's metadata cache: root's own (/var/cache/safe-package/judge) or the invoking user's",
  'judge/pip-times.ts': "the judgement's upload-time cache beside the metadata cache (judge/pypi/): root's own or the invoking user's",
  'judge/check-report.ts': "the file the user named with `check --report`, written by the invoking user's own process (check runs no jail)",
  'commands/doctor.ts': 'throw-away probe directories of its own (mkdtemp) in the staging directory',
};

const WRITES = /^(unlink|rm|rmdir|rename|chown|lchown|fchown|chmod|fchmod|lchmod|mkdir|mkdtemp|writeFile|appendFile|symlink|link|copyFile|cp|truncate|ftruncate|utimes|lutimes|write|createWriteStream)(Sync)?$/;

test('file system changes happen in src/stage/ or in a tree that is ours (the list above says why)', () => {
  const writers = files.flatMap((f) => {
    const text = readFileSync(f, 'utf8');
    const names = [...text.matchAll(/import\s*\{([^}]*)\}\s*from\s*'node:fs(?:\/promises)?'/g)].flatMap((m) => m[1]!.split(',').map((n) => n.trim().split(/\s+as\s+/)[0]!));
    const used = names.filter((n) => WRITES.test(n));
    return used.length ? [{ module: rel(f), used }] : [];
  });
  // The rule must see the writers that exist (src/stage/ is full of them).
  assert.ok(writers.some((w) => w.module === 'stage/fs-at.ts'), 'the walk found no writer in src/stage/');
  const unexplained = writers.filter((w) => !w.module.startsWith('stage/') && OWN_TREES[w.module] === undefined).map((w) => `${w.module}: ${w.used.join(', ')}`);
  assert.deepEqual(unexplained, [], 'move this file code into src/stage/, or say in OWN_TREES why the tree it changes is ours');
  const stale = Object.keys(OWN_TREES).filter((m) => !writers.some((w) => w.module === m));
  assert.deepEqual(stale, [], 'listed as writing but no longer does: take it off the list');
});

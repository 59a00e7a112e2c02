// The end-of-run summary on stderr: short, readable, and safe to print. Anything that
// came from the jail (file names, host names, package names) is neutralised first, so
// escape sequences cannot rewrite the user's terminal.

import type { Report } from './report.js';
import { judgementLines } from '../judge/summary.js';

export { neutralise } from '../util/untrusted-text.js';
import { neutralise } from '../util/untrusted-text.js';
export { chooseStyle, COLOUR, PLAIN, type Style } from './style.js';
import type { Style } from './style.js';

function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)}s` : `${Math.round(ms / 1000)}s`;
}

const MAX_LISTED = 8;

function listed<T>(items: readonly T[], show: (t: T) => string): string[] {
  const lines = items.slice(0, MAX_LISTED).map((t) => `    ${show(t)}`);
  if (items.length > MAX_LISTED) lines.push(`    … and ${items.length - MAX_LISTED} more (see --report)`);
  return lines;
}

/**
 * Each package whose scripts ran, once: a git dependency has a fetch in the download
 * phase and, in the scripts phase, its build and the linking of its bins; the status
 * shown is the first that was not 0. Pure.
 */
export function scriptedPackages(steps: Report['steps']): { name: string; git?: 'built' | 'fetch failed'; status: number }[] {
  const out = new Map<string, { name: string; git?: 'built' | 'fetch failed'; status: number }>();
  const fetched = new Set(steps.filter((st) => st.phase === 'install' && st.package !== undefined).map((st) => st.package!));
  for (const st of steps) {
    if (st.package === undefined || st.phase !== 'scripts') continue;
    const seen = out.get(st.package);
    if (!seen) out.set(st.package, { name: st.package, ...(fetched.has(st.package) ? { git: 'built' as const } : {}), status: st.status });
    else if (seen.status === 0) seen.status = st.status;
  }
  // A fetch that failed ends the run before the scripts phase: its package is named with its status.
  for (const st of steps) if (st.phase === 'install' && st.package !== undefined && st.status !== 0 && !out.has(st.package)) out.set(st.package, { name: st.package, git: 'fetch failed', status: st.status });
  return [...out.values()];
}

/** The summary lines. `quiet` keeps only problems. Pure. */
export function summaryLines(r: Report, style: Style, quiet: boolean): string[] {
  const n = neutralise;
  const out: string[] = [];
  const ok = r.exit.status === 0 && !r.exit.setup_failed;
  const judged = r.judgement !== undefined && (r.judgement.verdict === 'refused' || r.judgement.warnings.length > 0);
  const problems = r.network.blocked.length > 0 || r.writes.discarded.length > 0 || r.limits_hit.length > 0 || !ok || judged;
  if (quiet && !problems && r.strict.violations.length === 0) return [];

  const status = r.exit.signal ? `killed by ${r.exit.signal} (${r.exit.status})` : `exit ${r.exit.status}`;
  const program = r.command.exe.split('/').pop() || r.command.exe;
  const head = `safe-package: ${n(program)} ${ok ? style.green(status) : style.red(status)} in ${seconds(r.duration_ms)}`;
  out.push(`${head} ${style.dim(`[${r.backend}, ${r.user.name}${r.phases.join() !== 'run' ? `, ${r.phases.join(' + ')}` : ''}]`)}`);

  // pip has one phase: an sdist's build ran (in the jail) before the judgement could.
  if (r.judgement) out.push(...judgementLines(r.judgement, style, quiet, r.command.profile === 'pip' ? 'nothing was installed: nothing reached the project or its venv' : undefined));
  // Whose install scripts ran, each in its own jail (npm decides which, under your allowScripts).
  const scripted = scriptedPackages(r.steps);
  if (!quiet && scripted.length) {
    out.push(`  install scripts: ${scripted.map((st) => n(st.name) + (st.git === 'built' ? ' (git dependency: fetched, then built with its prepare)' : st.git === 'fetch failed' ? ' (git dependency: fetching it failed)' : '') + (st.status === 0 ? '' : style.red(` (exit ${st.status})`))).join(', ')} — each in its own jail; approve or deny with \`npm install-scripts approve|deny <pkg>\``);
  }
  if (!quiet && r.network.contacted.length) {
    out.push(`  network: ${r.network.contacted.map((c) => n(`${c.host}:${c.port}`)).join(', ')}`);
  }
  if (r.network.blocked.length) {
    out.push(style.yellow(`  blocked ${r.network.blocked.length} connection(s):`));
    out.push(
      ...listed(r.network.blocked, (b) =>
        n(`${b.method ? `${b.method} ` : ''}${b.host}:${b.port}${b.package ? ` (from ${b.package})` : b.phase === 'scripts' ? ' (from an install script)' : ''} — ${b.reason}`),
      ),
    );
  }
  if (r.writes.staged) {
    if (!quiet) out.push(`  writes: ${r.writes.committed.length} committed, ${r.writes.discarded.length} discarded`);
    if (ok && r.writes.committed.length === 0 && r.writes.discarded.length > 0) {
      out.push(style.yellow(`  nothing ${n(program)} wrote to the project was kept:`));
    }
    if (r.writes.discarded.length) {
      out.push(style.yellow(`  discarded ${r.writes.discarded.length} write(s):`));
      out.push(...listed(r.writes.discarded, (w) => n(`${w.path} — ${w.reason}`)));
      // One hint per distinct suggestion: a hundred files under dist/ need one line.
      const hints = [...new Set(r.writes.discarded.map((w) => w.suggestion).filter((h): h is string => h !== undefined))];
      for (const h of hints.slice(0, 3)) out.push(style.dim(`    hint: ${n(h)}`));
    }
  }
  if (!quiet && r.environment.withheld.length) {
    out.push(`  withheld ${r.environment.withheld.length} variable(s): ${r.environment.withheld.slice(0, 12).map(n).join(' ')}${r.environment.withheld.length > 12 ? ' …' : ''}`);
  }
  for (const l of r.limits_hit) out.push(style.red(`  limit hit: ${n(l)}`));
  if (r.strict.violations.length) out.push(style.red(`  --strict: ${r.strict.violations.join('; ')}`));
  return out;
}

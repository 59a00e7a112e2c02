// Runs a scenario: its variants (the bare command, the same command through
// safe-package, sometimes a reference such as `node -e 0`) in rotation, several times
// each, after untimed warm-up runs, and keeps every sample.

import { spawnSync } from 'node:child_process';
import { describe, failureOf, runTimedSequence, type Command, type Identity, type Timed } from './proc.js';
import { median, rotation, spread } from './stats.js';

export interface Variant {
  readonly id: string;
  /** What ran, for the table and the JSON: `npm ci`, `safe-package npm ci`. */
  readonly label: string;
  readonly side: 'bare' | 'wrapped' | 'reference';
  /** Untimed: puts the project and caches in the state this variant starts from. */
  readonly prepare?: (rep: number) => void;
  /** One command, or several run one after the other and timed as one. */
  readonly command: (rep: number) => Command | readonly Command[];
  /** Untimed: reads what the run left (installed packages, report, peak RSS). */
  readonly inspect?: (rep: number, run: Timed) => Record<string, number | boolean | string | undefined>;
}

export interface Scenario {
  readonly id: string;
  readonly title: string;
  readonly reps: number;
  /** Untimed runs of every variant first (fills caches: "warm" means warm for both sides). */
  readonly warmups: number;
  readonly variants: readonly Variant[];
  /** Once, untimed, before anything else. */
  readonly setup?: () => Promise<void> | void;
}

export interface VariantResult {
  readonly id: string;
  readonly label: string;
  readonly side: Variant['side'];
  readonly argv: string;
  readonly samplesMs: number[];
  readonly medianMs: number | undefined;
  readonly minMs: number | undefined;
  readonly maxMs: number | undefined;
  /** What inspect() read, one object per timed run. */
  readonly details: Record<string, number | boolean | string | undefined>[];
  /** Why runs failed twice in a row; a variant with failures has no median. */
  readonly failures: string[];
  /** Runs that failed once and passed when repeated (the repeat is the sample). */
  readonly retries: string[];
}

export interface ScenarioResult {
  readonly id: string;
  readonly title: string;
  readonly reps: number;
  readonly warmups: number;
  readonly variants: Record<string, VariantResult>;
  /** Set when setup itself failed. */
  readonly error?: string;
}

export async function runScenario(s: Scenario, as: Identity | undefined, log: (line: string) => void): Promise<ScenarioResult> {
  const results = new Map<string, { samples: number[]; details: VariantResult['details']; failures: string[]; retries: string[]; argv: string }>();
  for (const v of s.variants) results.set(v.id, { samples: [], details: [], failures: [], retries: [], argv: commandsOf(v, 0).map((c) => describe(c.argv)).join(' && ') });
  const finish = (error?: string): ScenarioResult => {
    const variants: Record<string, VariantResult> = {};
    for (const v of s.variants) {
      const r = results.get(v.id)!;
      const ok = r.failures.length === 0;
      const range = spread(r.samples);
      variants[v.id] = {
        id: v.id,
        label: v.label,
        side: v.side,
        argv: r.argv,
        samplesMs: r.samples.map((x) => Math.round(x * 100) / 100),
        medianMs: ok ? median(r.samples) : undefined,
        minMs: ok ? range?.min : undefined,
        maxMs: ok ? range?.max : undefined,
        details: r.details,
        failures: r.failures,
        retries: r.retries,
      };
    }
    return { id: s.id, title: s.title, reps: s.reps, warmups: s.warmups, variants, ...(error ? { error } : {}) };
  };

  try {
    await s.setup?.();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    log(`  setup failed: ${message}`);
    return finish(message);
  }

  const broken = new Set<string>();
  const once = async (v: Variant, rep: number, timed: boolean): Promise<void> => {
    if (broken.has(v.id)) return;
    const r = results.get(v.id)!;
    v.prepare?.(rep);
    settle();
    let run = await runTimedSequence(commandsOf(v, rep), as);
    let failure = failureOf(run);
    if (failure !== undefined) {
      // Once more before giving up: on a shared machine a run can fail for reasons of
      // its own (another user's processes exhausting a per-user limit). Kept in the JSON.
      r.retries.push(`${timed ? `run ${rep + 1}` : 'warm-up'}: ${failure}`);
      log(`  ${v.label}: failed once, retrying (${failure.slice(0, 200)})`);
      v.prepare?.(rep);
      settle();
      run = await runTimedSequence(commandsOf(v, rep), as);
      failure = failureOf(run);
    }
    if (failure !== undefined) {
      // One failure says the variant does not work here: record why and stop running it
      // rather than time a fast failure as if it were the command.
      r.failures.push(`${timed ? `run ${rep + 1}` : 'warm-up'}: ${failure}`);
      broken.add(v.id);
      log(`  ${v.label}: FAILED (${failure.slice(0, 300)})`);
      return;
    }
    if (!timed) return;
    r.samples.push(run.ms);
    r.details.push(v.inspect?.(rep, run) ?? {});
  };

  for (let w = 0; w < s.warmups; w++) for (const v of s.variants) await once(v, -1 - w, false);
  for (let rep = 0; rep < s.reps; rep++) {
    for (const v of rotation(s.variants, rep)) await once(v, rep, true);
  }
  for (const v of s.variants) {
    const r = results.get(v.id)!;
    if (r.failures.length === 0) log(`  ${v.label.padEnd(44)} median ${(median(r.samples) ?? 0).toFixed(1)} ms over ${r.samples.length}`);
  }
  return finish();
}

function commandsOf(v: Variant, rep: number): readonly Command[] {
  const c = v.command(rep);
  return 'argv' in c ? [c] : c;
}

/**
 * Untimed, before every run: writes data still in the page cache to disk. A run that
 * flushes the file system (safe-package's commit does, to be crash-safe) would otherwise
 * also pay for the previous run's 100 MB of node_modules, and the kernel's own writeback
 * (after 30 s) would land in whichever run happens to be going.
 */
function settle(): void {
  spawnSync('sync', [], { stdio: 'ignore' });
}

// Numbers for the benchmark table: pure functions over plain data.

/** The median of the samples, or undefined when there are none. */
export function median(samples: readonly number[]): number | undefined {
  if (samples.length === 0) return undefined;
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Lowest and highest sample: how far a median can be trusted on a noisy machine. */
export function spread(samples: readonly number[]): { min: number; max: number } | undefined {
  if (samples.length === 0) return undefined;
  return { min: Math.min(...samples), max: Math.max(...samples) };
}

export function ratio(numerator: number | undefined, denominator: number | undefined): number | undefined {
  if (numerator === undefined || denominator === undefined || denominator <= 0) return undefined;
  return numerator / denominator;
}

/**
 * wrapped/bare of each repetition: the two ran next to each other (rotation), so a
 * machine that drifts during the run moves both sides of a pair together, where it
 * moves the medians apart. Only when both sides have one sample per repetition (a
 * variant that failed stops running, and its samples no longer line up).
 */
export function pairedRatios(wrapped: readonly number[], bare: readonly number[], reps: number): number[] | undefined {
  if (reps < 2 || wrapped.length !== reps || bare.length !== reps) return undefined;
  if (bare.some((b) => b <= 0)) return undefined;
  return wrapped.map((w, i) => w / bare[i]!);
}

/** "1.15× (1.03–1.31)": the ratio of medians, and the range of the paired ratios. */
export function formatRatioWithRange(r: number | undefined, paired: readonly number[] | undefined): string {
  const range = paired && paired.length > 0 ? spread(paired) : undefined;
  if (r === undefined || range === undefined) return formatRatio(r);
  return `${formatRatio(r)} (${range.min.toFixed(2)}–${range.max.toFixed(2)})`;
}

/**
 * The order of the variants in repetition `rep`: rotated by one each time, so that no
 * variant always runs first (a cold page cache, a CPU that just woke up) or always runs
 * right after the same neighbour. With two variants this alternates A B, B A, A B, ...
 */
export function rotation<T>(items: readonly T[], rep: number): T[] {
  if (items.length === 0) return [];
  const k = rep % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

export function formatMs(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
}

export function formatRatio(r: number | undefined): string {
  return r === undefined ? '—' : `${r.toFixed(2)}×`;
}

/** Megabytes (10^6 bytes) per second. */
export function formatRate(bytes: number | undefined, ms: number | undefined): string {
  if (bytes === undefined || ms === undefined || ms <= 0) return '—';
  return `${(bytes / 1e6 / (ms / 1000)).toFixed(0)} MB/s`;
}

export function formatKb(kb: number | undefined): string {
  return kb === undefined ? '—' : `${(kb / 1024).toFixed(0)} MiB`;
}

/** Left-aligned text columns, right-aligned columns whose cells look numeric. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((r) => (r[c] ?? '').length)));
  const numeric = header.map((_, c) => rows.every((r) => /^(—|[-\d.,]+ ?(ms|s|×|MB\/s|MiB|%)?|n\/a.*)$/.test(r[c] ?? '')));
  const line = (r: readonly string[]) =>
    r
      .map((cell, c) => (numeric[c] && c > 0 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** A Markdown table with the same cells (bench/README.md, the main README). */
export function formatMarkdown(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  return [
    `| ${header.map(esc).join(' | ')} |`,
    `|${header.map((_, c) => (c === 0 ? '---' : '---:')).join('|')}|`,
    // Indented rows (sub-items) keep their indentation visible in Markdown.
    ...rows.map((r) => `| ${r.map((c, i) => esc(i === 0 ? c.replace(/^ {2}/, '↳ ') : c)).join(' | ')} |`),
  ].join('\n');
}

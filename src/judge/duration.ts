// Release ages: how `min_release_age` is written, and how an age is shown. Pure.
//
// A number is minutes (pnpm's `minimumReleaseAge` unit); a string is minutes or a
// number with a unit: "90m", "12h", "1d", "2w". "0" (or 0) turns the check off.

const UNIT_MINUTES: Record<string, number> = { m: 1, h: 60, d: 1440, w: 10080 };

/** Minutes from `1440`, `"1440"`, `"1d"`, `"12h"`; undefined when malformed. */
export function parseAgeMinutes(value: number | string): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  const m = /^(\d+(?:\.\d+)?)\s*(m|h|d|w)?$/i.exec(value.trim());
  if (!m) return undefined;
  const n = Number(m[1]) * UNIT_MINUTES[(m[2] ?? 'm').toLowerCase()]!;
  if (!Number.isFinite(n) || n < 0 || n > 100 * 525_600) return undefined;
  return Math.round(n);
}

/** npm's `min-release-age` is in days (a fractional number is allowed). */
export function npmDaysToMinutes(text: string): number | undefined {
  const t = text.trim();
  if (t === '' || t === 'null') return undefined;
  if (!/^\d+(\.\d+)?$/.test(t)) return undefined;
  const n = Math.round(Number(t) * 1440);
  return Number.isFinite(n) ? n : undefined;
}

/** The value npm takes for `min-release-age` (days). */
export function minutesToNpmDays(minutes: number): string {
  const days = minutes / 1440;
  return Number.isInteger(days) ? String(days) : days.toFixed(6).replace(/0+$/, '').replace(/\.$/, '');
}

/** "1d", "12h", "90m", "1d 6h": the shortest exact form of a number of minutes. */
export function formatMinutes(minutes: number): string {
  if (minutes <= 0) return '0m';
  const parts: string[] = [];
  let rest = Math.round(minutes);
  for (const [unit, size] of [['d', 1440], ['h', 60], ['m', 1]] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  return parts.slice(0, 2).join(' ');
}

/** An age in milliseconds as people say it: "3m", "2h 5m", "1d 2h"; "just now" under a minute. */
export function formatAge(ms: number): string {
  if (ms < 60_000) return ms < 0 ? 'in the future' : 'under a minute';
  return formatMinutes(Math.floor(ms / 60_000));
}

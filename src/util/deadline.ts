// A timer for any wall-clock limit. setTimeout takes at most 2^31-1 ms (about 24.8 days)
// and turns anything longer into 1 ms: a `limits.timeout` of about 597 hours would kill
// the jail at once. Long deadlines are reached in steps.

export const MAX_TIMER_MS = 2 ** 31 - 1;

export interface Deadline {
  clear(): void;
}

/** Calls `fire` once, `ms` from now (unref'd: it never keeps the process alive by itself). */
export function armDeadline(ms: number, fire: () => void, now: () => number = Date.now): Deadline {
  const at = now() + Math.max(0, ms);
  let timer: NodeJS.Timeout | undefined;
  const step = () => {
    const left = at - now();
    if (left <= 0) {
      timer = undefined;
      fire();
      return;
    }
    timer = setTimeout(step, Math.min(left, MAX_TIMER_MS));
    timer.unref();
  };
  step();
  return {
    clear: () => {
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
  };
}

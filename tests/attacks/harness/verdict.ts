// The verdict on one attack in one mode, from what was observed. Pure.
//
//   SUCCEEDED  something got out: the nonce (or a network marker) reached a sink on the
//              host, a host file changed, a host process was touched, a process outlived
//              the install, keystrokes reached the terminal.
//   CONTAINED  the attack could read the secret or do the thing where it ran, but
//              nothing got out.
//   BLOCKED    it could not even read or do it.
//   INVALID    the run proves nothing (the install script never ran, a victim was not
//              there): the test must fail rather than call that protection.

export type Verdict = 'SUCCEEDED' | 'CONTAINED' | 'BLOCKED' | 'INVALID';

export interface Evidence {
  /** Effects seen on the host, outside the jail. */
  readonly escaped: readonly string[];
  /** What the attack recorded it managed where it ran (read a secret, wrote a file). */
  readonly inside: readonly string[];
  /** Why the run cannot be judged. */
  readonly invalid: readonly string[];
}

export function verdictOf(e: Evidence): Verdict {
  if (e.invalid.length > 0) return 'INVALID';
  if (e.escaped.length > 0) return 'SUCCEEDED';
  if (e.inside.length > 0) return 'CONTAINED';
  return 'BLOCKED';
}

/** What an attack script leaves in node_modules/<pkg>/attack-result.json. */
export interface AttackRecord {
  readonly attack: string;
  /** sha256 of every canary value it read. */
  readonly found: readonly string[];
  /** Things it managed: `wrote`, `killed`, `sent:http`, ... */
  readonly did: Readonly<Record<string, boolean>>;
  readonly notes: readonly string[];
}

/**
 * The "inside" evidence from an attack's record: the target canaries it read (by
 * hash) and the declared actions it managed. Pure.
 */
export function insideEvidence(record: AttackRecord, targets: ReadonlyMap<string, string>, actions: readonly string[]): string[] {
  const out: string[] = [];
  const read = [...new Set(record.found.flatMap((h) => (targets.has(h) ? [targets.get(h)!] : [])))].sort();
  if (read.length > 0) out.push(`read ${read.join(', ')}`);
  for (const a of actions) if (record.did[a] === true) out.push(`did ${a}`);
  return out;
}

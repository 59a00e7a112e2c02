// The proxy's decisions, as pure functions over plain data. The order is the defence:
//
//   1. the host name is checked against the rules (no DNS yet: a refused name is never
//      looked up, so a secret spelled into `secret.attacker.example` goes nowhere);
//   2. the allowed name is resolved (by the proxy, outside this module);
//   3. each address is classified; internal ones are dropped unless an exact host:port
//      rule allowed this host;
//   4. the proxy connects to an address that passed 3, never resolving again (a second
//      lookup could answer differently: DNS rebinding).
//
// IP literals skip 2: the literal is the address, and only an exact rule can allow it.

import { isIP } from 'node:net';
import { classifyAddress } from './address.js';
import { formatAuthority, formatHost, type Host } from './host.js';
import { allowHint, matchRules, type HostRule } from './host-rule.js';

export interface NetPolicy {
  /** Hosts the jail may reach: the profile's registries plus `allow_hosts`. */
  readonly allow: readonly HostRule[];
}

export type HostDecision =
  | {
      readonly allowed: true;
      readonly rule: HostRule;
      /** The rule names this host and port exactly: it may resolve to an internal address. */
      readonly mayReachInternal: boolean;
    }
  | { readonly allowed: false; readonly reason: string };

/** Step 1: may the jail ask for host:port at all? */
export function decideHost(policy: NetPolicy, host: Host, port: number): HostDecision {
  const where = formatAuthority(host, port);
  const match = matchRules(policy.allow, host, port);
  if (!match.matched) {
    if (match.portRules.length > 0) {
      const allowed = [...new Set(match.portRules.flatMap((r) => r.ports))].join(', ');
      return { allowed: false, reason: `port ${port} is not allowed for ${formatHost(host)} (allowed: ${allowed}); to allow it: ${allowHint(host, port)}` };
    }
    return { allowed: false, reason: `${where} is not in the allowlist; to allow it: ${allowHint(host, port)}` };
  }
  const rule = match.rule;
  return { allowed: true, rule, mayReachInternal: !rule.wildcard && rule.explicitPort };
}

export type AddressDecision =
  | { readonly allowed: true; readonly addresses: readonly string[] }
  | { readonly allowed: false; readonly reason: string };

/**
 * Step 3: which of the addresses host resolved to (or its literal) the proxy may connect
 * to, in the resolver's order. Refused when none is left.
 */
export function decideAddresses(host: Host, port: number, decision: HostDecision & { allowed: true }, addresses: readonly string[]): AddressDecision {
  if (addresses.length === 0) return { allowed: false, reason: `${formatHost(host)} has no address` };
  if (decision.mayReachInternal) return { allowed: true, addresses };
  const usable: string[] = [];
  let firstRefused: { address: string; range: string } | undefined;
  for (const address of addresses) {
    const c = isIP(address.split('%')[0]!) ? classifyAddress(address) : { class: 'invalid', range: 'not an IP address' };
    if (c.class === 'public') usable.push(address);
    else firstRefused ??= { address, range: c.range };
  }
  if (usable.length > 0) return { allowed: true, addresses: usable };
  const refused = firstRefused!;
  const subject = host.kind === 'ip' ? `${formatHost(host)} is` : `${formatHost(host)} resolves to ${refused.address}, which is`;
  const hint = `only an exact rule with a port reaches such an address: ${allowHint(host, port)}`;
  return { allowed: false, reason: `${subject} an internal address (${refused.range}); ${hint}` };
}

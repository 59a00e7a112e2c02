// `--allow-host` rules: which hosts and ports the proxy lets the jail reach.
//
//   registry.npmjs.org         this name, ports 443 and 80
//   registry.npmjs.org:443     this name, port 443 only
//   *.example.com              any name below example.com (a.example.com, a.b.example.com),
//                              never example.com itself; ports 443 and 80
//   *.example.com:8443         the same, port 8443 only
//   127.0.0.1:4873, [::1]:4873 an IP address (only ever matched by an exact rule)
//
// A rule without a port allows 443 and 80: what a registry URL without a port means for
// https and http. Names are compared case-insensitively, with the trailing dot removed and
// IDN in punycode (host.ts normalises rules and requests the same way).
//
// Rules are also what decides whether a name may resolve to an internal address
// (loopback, LAN, metadata): only a rule that names the host exactly *and* names the port
// grants that (policy.ts). `registry.npmjs.org` never lets DNS point the jail at
// 127.0.0.1; `127.0.0.1:4873` lets a local test registry in.

import { formatAuthority, formatHost, parseAuthority, type Host } from './host.js';

export const DEFAULT_PORTS: readonly number[] = [443, 80];

export interface HostRule {
  /** The rule as the user wrote it (for messages). */
  readonly text: string;
  /** The host, normalised; for a wildcard rule, the domain the `*.` stands in front of. */
  readonly host: Host;
  /** `*.suffix`: matches names strictly below the suffix, never the suffix itself. */
  readonly wildcard: boolean;
  /** The ports this rule allows: the one written, or DEFAULT_PORTS. */
  readonly ports: readonly number[];
  /** True when the rule names its port (`host:port`). */
  readonly explicitPort: boolean;
}

export class HostRuleError extends Error {
  constructor(
    readonly rule: string,
    readonly problem: string,
  ) {
    super(`invalid allowed host "${rule}": ${problem}`);
    this.name = 'HostRuleError';
  }
}

const EXAMPLES = 'write a host, host:port or *.domain, e.g. "registry.npmjs.org", "127.0.0.1:4873" or "*.example.com"';

/** Parses one rule; throws HostRuleError with what is wrong and how to write it. */
export function parseHostRule(text: string): HostRule {
  const rule = text.trim();
  function bad(problem: string): never {
    throw new HostRuleError(text, problem);
  }
  if (rule === '') bad(`it is empty; ${EXAMPLES}`);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(rule)) {
    const suggestion = suggestFromUrl(rule);
    bad(`it is a URL, not a host${suggestion ? `; write "${suggestion}"` : ''}`);
  }
  if (rule.includes('/')) bad(`a host cannot contain "/"; ${EXAMPLES}`);
  if (rule.includes('@')) bad('a host cannot contain user information ("user@")');

  let wildcard = false;
  let rest = rule;
  if (rule.startsWith('*')) {
    if (rule === '*' || rule.startsWith('*:')) bad('"*" alone would allow every host on the Internet; name the hosts the install needs');
    if (!rule.startsWith('*.')) bad('a wildcard must be a whole label: "*.example.com"');
    wildcard = true;
    rest = rule.slice(2);
  }
  if (rest.includes('*')) bad('"*" is only allowed as the first label: "*.example.com"');

  const authority = parseAuthority(rest, 0);
  if (!authority.ok) bad(authority.error);
  const { host, port } = authority.value;
  if (wildcard) {
    if (host.kind === 'ip') bad('a wildcard cannot stand in front of an IP address; name each address');
    if (host.name.split('.').length < 2) bad(`"*.${host.name}" would allow a whole top-level domain; name a domain below it`);
  }
  const explicitPort = port !== 0;
  return { text: rule, host, wildcard, ports: explicitPort ? [port] : DEFAULT_PORTS, explicitPort };
}

/** Parses every rule; the first bad one throws. Duplicates are harmless and kept. */
export function parseHostRules(texts: readonly string[]): HostRule[] {
  return texts.map(parseHostRule);
}

/**
 * The rule for a registry URL (`https://registry.npmjs.org/`): its host with the port the
 * URL means, so a registry on a LAN or loopback address works (an exact host:port rule).
 */
export function ruleFromUrl(url: string): HostRule {
  const hostPort = suggestFromUrl(url);
  if (hostPort === undefined) throw new HostRuleError(url, 'not an http:// or https:// URL with a host');
  return parseHostRule(hostPort);
}

function suggestFromUrl(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  if ((u.protocol !== 'http:' && u.protocol !== 'https:') || u.hostname === '') return undefined;
  return `${u.hostname}:${u.port || (u.protocol === 'https:' ? '443' : '80')}`;
}

/** How a host and port fared against the rules (pure; no DNS). */
export type RuleMatch =
  | { readonly matched: true; readonly rule: HostRule }
  /** portRules: rules that name this host but not this port (for a precise message). */
  | { readonly matched: false; readonly portRules: readonly HostRule[] };

/**
 * Finds the rule that allows host:port. An exact rule is preferred over a wildcard, and an
 * exact rule with an explicit port over one without, because only that kind lets the name
 * reach an internal address.
 */
export function matchRules(rules: readonly HostRule[], host: Host, port: number): RuleMatch {
  let best: HostRule | undefined;
  const portRules: HostRule[] = [];
  for (const rule of rules) {
    if (!hostMatches(rule, host)) continue;
    if (!rule.ports.includes(port)) {
      portRules.push(rule);
      continue;
    }
    if (best === undefined || rank(rule) > rank(best)) best = rule;
  }
  return best ? { matched: true, rule: best } : { matched: false, portRules };
}

function rank(rule: HostRule): number {
  return (rule.wildcard ? 0 : 2) + (rule.explicitPort ? 1 : 0);
}

export function hostMatches(rule: HostRule, host: Host): boolean {
  if (!rule.wildcard) return formatHost(rule.host) === formatHost(host);
  // A wildcard never matches an IP literal, nor the bare domain: `*.example.com` is not
  // `example.com`, and the suffix must start at a label boundary (not `evilexample.com`).
  if (host.kind !== 'name' || rule.host.kind !== 'name') return false;
  return host.name.endsWith(`.${rule.host.name}`);
}

/** The exact option that would allow host:port: the narrowest rule, always with the port. */
export function allowHint(host: Host, port: number): string {
  return `--allow-host ${formatAuthority(host, port)}`;
}

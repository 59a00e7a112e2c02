// pip configuration (pip.conf / pip.ini and PIP_* variables): registry discovery and
// credential removal. Pure functions over text.

import { stripUrlCredentials } from './npmrc.js';

export interface PipSettings {
  readonly indexUrl?: string;
  readonly extraIndexUrls: string[];
  readonly findLinks: string[];
  /** Local files the configuration names (constraint, cert): bound read-only in the jail. */
  readonly files?: string[];
}

/** Reads the [global] and [install] sections (later files and sections win for index-url). */
export function parsePipConf(text: string): PipSettings {
  let section = '';
  let indexUrl: string | undefined;
  const extra: string[] = [];
  const links: string[] = [];
  const files: string[] = [];
  let lastKey = '';
  for (const raw of text.split(/\r?\n/)) {
    if (/^\s*[#;]/.test(raw) || raw.trim() === '') continue;
    const sec = /^\s*\[([^\]]+)\]\s*$/.exec(raw);
    if (sec) {
      section = sec[1]!.trim().toLowerCase();
      lastKey = '';
      continue;
    }
    if (section !== 'global' && section !== 'install' && section !== 'download') continue;
    // Continuation lines (indented) extend a multi-value key.
    if (/^\s+\S/.test(raw) && lastKey) {
      addValue(lastKey, raw.trim());
      continue;
    }
    const m = /^\s*([A-Za-z0-9_-]+)\s*[=:]\s*(.*)$/.exec(raw);
    if (!m) continue;
    lastKey = m[1]!.toLowerCase().replace(/_/g, '-');
    for (const v of m[2]!.trim().split(/\s+/).filter(Boolean)) addValue(lastKey, v);
  }
  function addValue(key: string, v: string) {
    if (key === 'index-url' || key === 'i') indexUrl = v;
    else if (key === 'extra-index-url') extra.push(v);
    else if (key === 'find-links' || key === 'f') links.push(v);
    // client-cert is a credential: it stays out, like any other.
    else if (key === 'constraint' || key === 'c' || key === 'cert') files.push(v);
  }
  return { ...(indexUrl !== undefined ? { indexUrl } : {}), extraIndexUrls: extra, findLinks: links, files };
}

/** Index settings the user typed on pip's own command line (`-i URL`, `--extra-index-url=URL`, ...). Pure. */
export function pipArgsSettings(args: readonly string[]): PipSettings {
  let indexUrl: string | undefined;
  const extra: string[] = [];
  const links: string[] = [];
  const files: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const m = /^(--index-url|--extra-index-url|--find-links|--constraint|--cert)=(.*)$/.exec(a);
    const [flag, value] = m ? [m[1]!, m[2]!] : [a, args[i + 1]];
    const known = ['-i', '--index-url', '--extra-index-url', '-f', '--find-links', '-c', '--constraint', '--cert'];
    if (!known.includes(flag) || value === undefined) continue;
    if (!m) i++;
    if (flag === '-i' || flag === '--index-url') indexUrl = value;
    else if (flag === '--extra-index-url') extra.push(value);
    else if (flag === '-f' || flag === '--find-links') links.push(value);
    else files.push(value);
  }
  return { ...(indexUrl !== undefined ? { indexUrl } : {}), extraIndexUrls: extra, findLinks: links, files };
}

export function pipSettingsFromEnv(env: Readonly<Record<string, string | undefined>>): PipSettings {
  const split = (v: string | undefined) => (v ?? '').split(/\s+/).filter(Boolean);
  return {
    ...(env.PIP_INDEX_URL ? { indexUrl: env.PIP_INDEX_URL } : {}),
    extraIndexUrls: split(env.PIP_EXTRA_INDEX_URL),
    findLinks: split(env.PIP_FIND_LINKS),
  };
}

export function mergePipSettings(a: PipSettings, b: PipSettings): PipSettings {
  const indexUrl = b.indexUrl ?? a.indexUrl;
  return {
    ...(indexUrl !== undefined ? { indexUrl } : {}),
    extraIndexUrls: [...a.extraIndexUrls, ...b.extraIndexUrls],
    findLinks: [...a.findLinks, ...b.findLinks],
    files: [...(a.files ?? []), ...(b.files ?? [])],
  };
}

export const PYPI_HOSTS = ['pypi.org', 'files.pythonhosted.org'];

/** Credential-free copy of a pip.conf: user:password@ removed from every URL. */
export function sanitizePipConf(text: string): { text: string; removed: string[] } {
  const removed: string[] = [];
  const out = text
    .split(/\r?\n/)
    .map((line) =>
      line.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/gi, (_m, scheme: string) => {
        removed.push('credentials in URL');
        return scheme;
      }),
    )
    .join('\n');
  return { text: out, removed };
}

export { stripUrlCredentials };

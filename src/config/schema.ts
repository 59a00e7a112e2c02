// Validation of one configuration source. Every error names the source and the exact
// place, and nothing runs when any source is wrong: a half-understood security policy is
// worse than none.

import type { JsonNode } from '../util/json.js';
import type { BackendChoice, ConfigKey, ConfigValues, LimitsConfig, NetworkMode } from './types.js';
import { closest } from '../util/did-you-mean.js';
import { parseAgeMinutes } from '../judge/duration.js';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
  }
}

export const CONFIG_KEYS: readonly ConfigKey[] = [
  'exe',
  'root_dir',
  'keep_env',
  'user',
  'backend',
  'network',
  'allow_hosts',
  'profile',
  'write',
  'hide',
  'limits',
  'report',
  'strict',
  'min_release_age',
  'min_release_age_exclude',
  'malware_db',
  'allow_names',
];

export const BACKENDS: readonly BackendChoice[] = ['auto', 'sandbox', 'landlock', 'chroot', 'none'];
export const NETWORK_MODES: readonly NetworkMode[] = ['registry', 'none', 'host'];
const LIMIT_KEYS: readonly (keyof LimitsConfig)[] = ['processes', 'file_size', 'open_files', 'timeout'];

type Where = (node: { pos: { line: number; column: number } }) => string;

export interface ValidatedSource {
  values: ConfigValues;
  where: Partial<Record<ConfigKey, string>>;
}

export function validateConfigDocument(root: JsonNode, source: string): ValidatedSource {
  const at: Where = (n) => `${source}:${n.pos.line}:${n.pos.column}`;
  if (root.kind !== 'object') throw new ConfigError(`${at(root)}: the configuration must be a JSON object ({ ... })`);
  const values: ConfigValues = {};
  const where: Partial<Record<ConfigKey, string>> = {};
  for (const entry of root.entries) {
    const keyAt = `${source}:${entry.keyPos.line}:${entry.keyPos.column}`;
    if (!(CONFIG_KEYS as readonly string[]).includes(entry.key)) {
      const hint = closest(entry.key, CONFIG_KEYS);
      throw new ConfigError(
        `${keyAt}: unknown key "${entry.key}"${hint ? ` (did you mean "${hint}"?)` : ''}; known keys: ${CONFIG_KEYS.join(', ')}`,
      );
    }
    const key = entry.key as ConfigKey;
    setValue(values, key, entry.value, keyAt, at);
    where[key] = keyAt;
  }
  return { values, where };
}

function setValue(values: ConfigValues, key: ConfigKey, node: JsonNode, keyAt: string, at: Where): void {
  switch (key) {
    case 'exe':
    case 'root_dir':
    case 'profile':
    case 'report':
    case 'malware_db':
      values[key] = nonEmptyString(node, key, at);
      return;
    case 'user':
      values.user = userValue(node, at);
      return;
    case 'keep_env':
    case 'allow_hosts':
    case 'write':
    case 'hide':
    case 'min_release_age_exclude':
    case 'allow_names':
      values[key] = stringList(node, key, at);
      return;
    case 'backend':
      values.backend = oneOf(node, key, BACKENDS, at);
      return;
    case 'network':
      values.network = oneOf(node, key, NETWORK_MODES, at);
      return;
    case 'strict':
      if (node.kind !== 'boolean') throw new ConfigError(`${at(node)}: "strict" must be true or false`);
      values.strict = node.value;
      return;
    case 'limits':
      values.limits = limitsValue(node, at);
      return;
    case 'min_release_age': {
      const m = node.kind === 'number' || node.kind === 'string' ? parseAgeMinutes(node.value) : undefined;
      if (m === undefined) throw new ConfigError(`${at(node)}: "min_release_age" must be minutes (1440) or a duration ("90m", "12h", "1d", "2w"); 0 turns the check off`);
      values.min_release_age = m;
      return;
    }
    default: {
      const unreachable: never = key;
      throw new ConfigError(`${keyAt}: unhandled key ${String(unreachable)}`);
    }
  }
}

function nonEmptyString(node: JsonNode, key: string, at: Where): string {
  if (node.kind !== 'string' || node.value === '') throw new ConfigError(`${at(node)}: "${key}" must be a non-empty string`);
  if (node.value.includes('\0')) throw new ConfigError(`${at(node)}: "${key}" contains a NUL character`);
  return node.value;
}

function userValue(node: JsonNode, at: Where): string {
  if (node.kind === 'number' && Number.isInteger(node.value) && node.value >= 0) return String(node.value);
  if (node.kind === 'string' && node.value !== '') return node.value;
  throw new ConfigError(`${at(node)}: "user" must be a user name or a numeric uid`);
}

function stringList(node: JsonNode, key: string, at: Where): string[] {
  if (node.kind !== 'array') {
    const hint = node.kind === 'string' ? ` (write ["${node.value}"])` : '';
    throw new ConfigError(`${at(node)}: "${key}" must be a list of strings${hint}`);
  }
  return node.items.map((item) => {
    if (item.kind !== 'string' || item.value === '') throw new ConfigError(`${at(item)}: every entry of "${key}" must be a non-empty string`);
    if (item.value.includes('\0')) throw new ConfigError(`${at(item)}: an entry of "${key}" contains a NUL character`);
    return item.value;
  });
}

function oneOf<T extends string>(node: JsonNode, key: string, allowed: readonly T[], at: Where): T {
  if (node.kind === 'string' && (allowed as readonly string[]).includes(node.value)) return node.value as T;
  const got = node.kind === 'string' ? `"${node.value}"` : node.kind;
  const hint = node.kind === 'string' ? closest(node.value, allowed) : undefined;
  throw new ConfigError(
    `${at(node)}: "${key}" must be one of ${allowed.map((a) => `"${a}"`).join(', ')}, not ${got}${hint ? ` (did you mean "${hint}"?)` : ''}`,
  );
}

function limitsValue(node: JsonNode, at: Where): LimitsConfig {
  if (node.kind !== 'object') throw new ConfigError(`${at(node)}: "limits" must be an object such as {"timeout": "30m"}`);
  const out: LimitsConfig = {};
  for (const e of node.entries) {
    if (!(LIMIT_KEYS as readonly string[]).includes(e.key)) {
      const hint = closest(e.key, LIMIT_KEYS);
      throw new ConfigError(
        `${at({ pos: e.keyPos })}: unknown key "limits.${e.key}"${hint ? ` (did you mean "${hint}"?)` : ''}; known: ${LIMIT_KEYS.join(', ')}`,
      );
    }
    const k = e.key as keyof LimitsConfig;
    const parsed = k === 'file_size' ? parseSize(e.value) : k === 'timeout' ? parseDuration(e.value) : parseCount(e.value);
    if (parsed === undefined) {
      const expect =
        k === 'file_size' ? 'a size in bytes or with a unit ("512M", "2G")' : k === 'timeout' ? 'seconds or a duration ("90s", "30m", "2h")' : 'a positive integer';
      throw new ConfigError(`${at(e.value)}: "limits.${k}" must be ${expect}`);
    }
    out[k] = parsed;
  }
  return out;
}

function parseCount(node: JsonNode): number | undefined {
  return node.kind === 'number' && Number.isSafeInteger(node.value) && node.value > 0 ? node.value : undefined;
}

/** Sizes: a byte count, or a number with K, M, G or T (powers of 1024). */
export function parseSizeText(text: string): number | undefined {
  const m = /^(\d+)\s*([KMGT]i?B?|B)?$/i.exec(text.trim());
  if (!m) return undefined;
  const unit = (m[2] ?? 'B').toUpperCase()[0]!;
  const mult = { B: 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 }[unit as 'B' | 'K' | 'M' | 'G' | 'T'];
  const n = Number(m[1]) * mult;
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

function parseSize(node: JsonNode): number | undefined {
  if (node.kind === 'number') return parseCount(node);
  if (node.kind === 'string') return parseSizeText(node.value);
  return undefined;
}

/** Durations: seconds, or a number with s, m or h. */
export function parseDurationText(text: string): number | undefined {
  const m = /^(\d+)\s*(s|m|h)?$/i.exec(text.trim());
  if (!m) return undefined;
  const mult = { s: 1, m: 60, h: 3600 }[(m[2] ?? 's').toLowerCase() as 's' | 'm' | 'h'];
  const n = Number(m[1]) * mult;
  return n > 0 ? n : undefined;
}

function parseDuration(node: JsonNode): number | undefined {
  if (node.kind === 'number') return parseCount(node);
  if (node.kind === 'string') return parseDurationText(node.value);
  return undefined;
}

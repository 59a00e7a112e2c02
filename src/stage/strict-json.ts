// A strict JSON reader for files written in the jail (package.json, lockfiles): the
// shared reader of src/util/json.ts (duplicate keys refused, nesting bounded, objects
// without a prototype), with its result as plain values.

import { JsonSyntaxError, parseJson, toPlain } from '../util/json.js';

export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

export type StrictParse = { ok: true; value: JsonValue } | { ok: false; error: string };

export function parseStrictJson(text: string): StrictParse {
  try {
    return { ok: true, value: toPlain(parseJson(text)) as JsonValue };
  } catch (e) {
    if (e instanceof JsonSyntaxError) return { ok: false, error: `${e.message} (line ${e.pos.line}, column ${e.pos.column})` };
    throw e;
  }
}

export function isJsonObject(v: JsonValue | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Structural equality; object key order does not matter. */
export function jsonEqual(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a === null || b === null) return false;
  if (typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((v, i) => jsonEqual(v, b[i]));
  }
  const ao = a as JsonObject;
  const bo = b as JsonObject;
  const ak = Object.keys(ao);
  if (ak.length !== Object.keys(bo).length) return false;
  return ak.every((k) => Object.hasOwn(bo, k) && jsonEqual(ao[k], bo[k]));
}

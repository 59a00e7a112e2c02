// A validator for the subset of JSON Schema (2020-12) that schema/*.json uses: type,
// const, enum, properties, required, additionalProperties: false, items, minimum,
// maximum, $ref to #/$defs. Returns every violation with its JSON path; unknown
// keywords are an error, so the schema cannot silently use something this ignores.

type Schema = Record<string, unknown>;

const KNOWN = new Set(['$schema', '$id', 'title', 'description', 'type', 'const', 'enum', 'properties', 'required', 'additionalProperties', 'items', 'minimum', 'maximum', '$ref', '$defs']);

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

export function validate(root: Schema, value: unknown): string[] {
  const errors: string[] = [];
  const check = (schema: Schema, v: unknown, path: string): void => {
    for (const k of Object.keys(schema)) if (!KNOWN.has(k)) errors.push(`${path}: schema keyword ${k} is not supported by this validator`);
    if (typeof schema.$ref === 'string') {
      const m = /^#\/\$defs\/(.+)$/.exec(schema.$ref);
      const target = m ? (root.$defs as Record<string, Schema> | undefined)?.[m[1]!] : undefined;
      if (!target) errors.push(`${path}: unresolvable $ref ${schema.$ref}`);
      else check(target, v, path);
      return;
    }
    if (schema.type !== undefined) {
      const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
      const t = typeOf(v);
      if (!types.includes(t) && !(t === 'integer' && types.includes('number'))) {
        errors.push(`${path}: expected ${types.join('|')}, got ${t}`);
        return;
      }
    }
    if ('const' in schema && v !== schema.const) errors.push(`${path}: expected ${JSON.stringify(schema.const)}`);
    if (Array.isArray(schema.enum) && !schema.enum.includes(v)) errors.push(`${path}: ${JSON.stringify(v)} is not one of ${JSON.stringify(schema.enum)}`);
    if (typeof v === 'number') {
      if (typeof schema.minimum === 'number' && v < schema.minimum) errors.push(`${path}: below ${schema.minimum}`);
      if (typeof schema.maximum === 'number' && v > schema.maximum) errors.push(`${path}: above ${schema.maximum}`);
    }
    if (Array.isArray(v) && schema.items) v.forEach((item, i) => check(schema.items as Schema, item, `${path}[${i}]`));
    if (typeOf(v) === 'object') {
      const obj = v as Record<string, unknown>;
      const props = (schema.properties ?? {}) as Record<string, Schema>;
      for (const r of (schema.required as string[] | undefined) ?? []) if (!(r in obj)) errors.push(`${path}: missing ${r}`);
      for (const [k, val] of Object.entries(obj)) {
        if (props[k]) check(props[k]!, val, `${path}.${k}`);
        else if (schema.additionalProperties === false) errors.push(`${path}: unexpected property ${k}`);
      }
    }
  };
  check(root, value, '$');
  return errors;
}

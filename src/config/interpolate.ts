/**
 * `${VAR}` and `${VAR:-default}` in string values, replaced from the environment. Done on parsed values,
 * not on the raw text, so a variable's content can never change the YAML structure.
 */
export interface MissingVariable {
  path: string;
  variable: string;
}

const pattern = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export function interpolate(
  value: unknown,
  env: Record<string, string | undefined>,
  missing: MissingVariable[],
  path = '',
): unknown {
  if (typeof value === 'string') {
    return value.replace(pattern, (whole, name: string, fallback: string | undefined) => {
      const v = env[name];
      if (v !== undefined && v !== '') return v;
      if (fallback !== undefined) return fallback;
      missing.push({ path, variable: name });
      return whole;
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, env, missing, `${path}[${i}]`));
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, interpolate(v, env, missing, path ? `${path}.${k}` : k)]),
    );
  }
  return value;
}

/** Whether any string in `value` holds a `${VAR}`: what it gives depends on the environment. */
export function mentionsVariable(value: unknown): boolean {
  if (typeof value === 'string') return new RegExp(pattern.source).test(value);
  if (Array.isArray(value)) return value.some(mentionsVariable);
  if (value && typeof value === 'object' && !(value instanceof Date)) return Object.values(value).some(mentionsVariable);
  return false;
}

/** Conversions between the store's columns (epoch ms, JSON text, 0/1) and domain values. */
export function toMs(d: Date | null | undefined): number | null {
  return d ? d.getTime() : null;
}

export function toDate(v: unknown): Date | null {
  if (v === null || v === undefined) return null;
  return new Date(Number(v));
}

export function toNumber(v: unknown): number {
  return v === null || v === undefined ? 0 : Number(v);
}

export function toBool(v: unknown): boolean {
  return v === true || v === 1 || v === '1' || v === 't';
}

export function parseJson<T>(v: unknown): T | null {
  return typeof v === 'string' && v !== '' ? (JSON.parse(v) as T) : null;
}

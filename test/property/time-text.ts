/**
 * The ways a generated instant is written as ISO-8601 text, in stored rows and in job values:
 * 'T' or space, minutes / seconds / milliseconds or a bare date, no offset (UTC), Z, or an offset.
 */
export interface IsoStyle {
  separator: 'T' | ' ';
  /** `micros`: milliseconds then `250`, finer than Sweeper compares a job value (refused). */
  precision: 'date' | 'minutes' | 'seconds' | 'millis' | 'micros';
  /** Minutes east of UTC, or `none` (no designator: UTC, the job's zone) or `Z`. */
  zone: 'none' | 'Z' | number;
}

const two = (n: number): string => String(n).padStart(2, '0');

export function formatIso(ms: number, style: IsoStyle): string {
  const offset = typeof style.zone === 'number' ? style.zone : 0;
  const wall = new Date(ms + offset * 60_000);
  const date = `${String(wall.getUTCFullYear()).padStart(4, '0')}-${two(wall.getUTCMonth() + 1)}-${two(wall.getUTCDate())}`;
  if (style.precision === 'date') return date;
  let time = `${two(wall.getUTCHours())}:${two(wall.getUTCMinutes())}`;
  if (style.precision !== 'minutes') time += `:${two(wall.getUTCSeconds())}`;
  if (style.precision === 'millis' || style.precision === 'micros') time += `.${String(wall.getUTCMilliseconds()).padStart(3, '0')}`;
  if (style.precision === 'micros') time += '250';
  let zone = '';
  if (style.zone === 'Z') zone = 'Z';
  else if (typeof style.zone === 'number') {
    const sign = style.zone < 0 ? '-' : '+';
    const abs = Math.abs(style.zone);
    zone = `${sign}${two(Math.floor(abs / 60))}:${two(abs % 60)}`;
  }
  return `${date}${style.separator}${time}${zone}`;
}

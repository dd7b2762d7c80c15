/** The greatest integer a JS number holds exactly, as a BigInt. */
export const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** A BigInt a JS number holds exactly, as that number; any other value (an integer beyond 2^53 too) as it is. */
export function narrowSafeInteger(value: unknown): unknown {
  return typeof value === 'bigint' && value <= MAX_SAFE && value >= -MAX_SAFE ? Number(value) : value;
}

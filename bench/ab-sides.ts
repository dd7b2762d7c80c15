/**
 * The command line of an A/B between checkouts (bench/ab-clean.ts, bench/ab-mysql.ts):
 * `<rounds> <name>=<checkout dir> ...`, each checkout's phases run from its own tree (its
 * bench/phase-io.ts compiles it), and the order of the checkouts in a round, reversed every other round.
 */
import path from 'node:path';

export type RunPhase = <T>(script: string, args: string[]) => Promise<T>;

export interface AbSides {
  rounds: number;
  sides: { name: string; dir: string; runPhase: RunPhase }[];
  /** The indexes of the sides in the order round `round` (from 1) runs them. */
  order(round: number): number[];
}

export async function abSides(argv: string[], script: string): Promise<AbSides> {
  const [roundsText, ...sideArgs] = argv;
  const rounds = Number(roundsText);
  const named = sideArgs.map((a) => ({ name: a.split('=')[0]!, dir: path.resolve(a.split('=').slice(1).join('=')) }));
  if (!Number.isInteger(rounds) || rounds < 1 || named.length === 0 || named.some((s) => !s.name || !s.dir)) {
    throw new Error(`usage: ${script} <rounds> <name>=<checkout dir> ...`);
  }
  const sides = await Promise.all(
    named.map(async (s) => ({ ...s, runPhase: ((await import(path.join(s.dir, 'bench', 'phase-io.ts'))) as { runPhase: RunPhase }).runPhase })),
  );
  return { rounds, sides, order: (round) => sides.map((_, i) => (round % 2 === 1 ? i : sides.length - 1 - i)) };
}

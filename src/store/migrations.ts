import type { Knex } from 'knex';
import { SweeperError } from '../errors';
import { dialectOfKnex } from '../dialects';

/**
 * The state store's schema. Append-only once landed: never edit a migration, add the next one.
 * Times are epoch milliseconds (bigint) so SQLite and Postgres store and compare them alike.
 */
interface Migration {
  name: string;
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

const migrations: Migration[] = [
  {
    name: '0001_initial',
    async up(knex) {
      await knex.schema.createTable('jobs', (t) => {
        t.string('name').primary();
        t.integer('version').notNullable();
        t.text('definition').notNullable();
        t.string('hash', 64).notNullable();
        t.string('target').notNullable();
        t.text('schedule').notNullable();
        t.string('timezone').notNullable();
        t.bigInteger('start_at').notNullable();
        t.bigInteger('next_run_at').nullable();
        t.boolean('paused').notNullable().defaultTo(false);
        t.text('paused_reason').nullable();
        t.bigInteger('removed_at').nullable();
        t.bigInteger('created_at').notNullable();
        t.bigInteger('updated_at').notNullable();
      });
      await knex.schema.createTable('job_versions', (t) => {
        t.string('job').notNullable();
        t.integer('version').notNullable();
        t.text('definition').notNullable();
        t.string('hash', 64).notNullable();
        t.bigInteger('created_at').notNullable();
        t.primary(['job', 'version']);
      });
      await knex.schema.createTable('runs', (t) => {
        t.increments('id');
        t.string('job').notNullable();
        t.integer('job_version').notNullable();
        t.string('status', 32).notNullable();
        t.text('reason').nullable();
        t.string('trigger', 16).notNullable();
        t.bigInteger('scheduled_for').nullable();
        t.bigInteger('as_of').nullable();
        t.bigInteger('started_at').nullable();
        t.bigInteger('finished_at').nullable();
        t.integer('deleted').notNullable().defaultTo(0);
        t.integer('failed').notNullable().defaultTo(0);
        t.integer('query_index').notNullable().defaultTo(0);
        t.text('inflight').nullable();
        t.string('owner').nullable();
        t.bigInteger('lease_until').nullable();
        t.string('requested_by').notNullable();
        t.bigInteger('created_at').notNullable();
        t.bigInteger('updated_at').notNullable();
        t.unique(['job', 'scheduled_for']);
        t.index(['job', 'id']);
        t.index(['status']);
      });
      await knex.schema.createTable('run_queries', (t) => {
        t.integer('run_id').notNullable().references('runs.id').onDelete('CASCADE');
        t.integer('query_index').notNullable();
        t.string('entity').notNullable();
        t.integer('matched').nullable();
        t.integer('deleted').notNullable().defaultTo(0);
        t.integer('failed').notNullable().defaultTo(0);
        t.integer('cascaded').notNullable().defaultTo(0);
        t.text('last_key').nullable();
        t.boolean('done').notNullable().defaultTo(false);
        t.primary(['run_id', 'query_index']);
      });
      await knex.schema.createTable('run_events', (t) => {
        t.increments('id');
        t.integer('run_id').notNullable().references('runs.id').onDelete('CASCADE');
        t.bigInteger('at').notNullable();
        t.string('status', 32).notNullable();
        t.text('reason').nullable();
        t.string('actor').notNullable();
        t.index(['run_id']);
      });
      await knex.schema.createTable('failures', (t) => {
        t.increments('id');
        t.integer('run_id').notNullable().references('runs.id').onDelete('CASCADE');
        t.string('job').notNullable();
        t.integer('query_index').notNullable();
        t.string('entity').notNullable();
        t.text('key').notNullable();
        t.string('code').notNullable();
        t.text('message').notNullable();
        t.bigInteger('at').notNullable();
        t.unique(['run_id', 'query_index', 'key']);
        t.index(['job', 'id']);
        t.index(['at']);
      });
      await knex.schema.createTable('outbox', (t) => {
        t.increments('id');
        t.integer('run_id').nullable().references('runs.id').onDelete('SET NULL');
        t.string('status', 16).notNullable();
        t.text('recipients').notNullable();
        t.text('subject').notNullable();
        t.text('text').notNullable();
        t.text('html').notNullable();
        t.string('file_name').notNullable();
        t.integer('attempts').notNullable().defaultTo(0);
        t.bigInteger('next_attempt_at').notNullable();
        t.text('last_error').nullable();
        t.text('location').nullable();
        t.bigInteger('created_at').notNullable();
        t.bigInteger('sent_at').nullable();
        t.index(['status', 'next_attempt_at']);
        t.index(['run_id']);
      });
    },
    async down(knex) {
      for (const table of ['outbox', 'failures', 'run_events', 'run_queries', 'runs', 'job_versions', 'jobs']) {
        await knex.schema.dropTableIfExists(table);
      }
    },
  },
  {
    name: '0002_control',
    async up(knex) {
      await knex.schema.alterTable('jobs', (t) => {
        t.bigInteger('postponed_until').nullable();
      });
      await knex.schema.alterTable('runs', (t) => {
        // 'cancel' or 'pause', asked by `stop_requested_by`; the run stops at its next batch boundary.
        t.string('stop_requested', 16).nullable();
        t.string('stop_requested_by').nullable();
      });
      await knex.schema.createTable('job_events', (t) => {
        t.increments('id');
        t.string('job').notNullable();
        t.bigInteger('at').notNullable();
        t.string('action', 32).notNullable();
        t.text('reason').nullable();
        t.string('actor').notNullable();
        t.index(['job', 'id']);
      });
    },
    async down(knex) {
      await knex.schema.dropTableIfExists('job_events');
      await knex.schema.alterTable('runs', (t) => {
        t.dropColumn('stop_requested');
        t.dropColumn('stop_requested_by');
      });
      await knex.schema.alterTable('jobs', (t) => {
        t.dropColumn('postponed_until');
      });
    },
  },
  {
    name: '0003_entity_leases',
    async up(knex) {
      // One row per target entity a running run deletes from (`target:entity`): runs in different
      // processes never delete from the same entity at once. Held with the run's lease and renewed with it.
      await knex.schema.createTable('entity_leases', (t) => {
        t.string('entity').primary();
        t.integer('run_id').notNullable().references('runs.id').onDelete('CASCADE');
        t.string('owner').notNullable();
        t.bigInteger('lease_until').notNullable();
        t.index(['run_id']);
      });
    },
    async down(knex) {
      await knex.schema.dropTableIfExists('entity_leases');
    },
  },
  {
    name: '0004_run_guard_and_inflight_parts',
    async up(knex) {
      await knex.schema.alterTable('runs', (t) => {
        // When every query was counted and maxDeletes held: until then nothing may be deleted, and a
        // resumed run counts and checks again.
        t.bigInteger('guarded_at').nullable();
        // The parts of the batch in flight whose target transaction was about to commit, as JSON
        // [{ keys: [indexes into inflight], deleted, cascaded }]: a resumed run counts exactly those
        // that did commit. Null when no batch is in flight.
        t.text('inflight_parts').nullable();
      });
      // Runs that had begun deleting passed the guard of the version that started them.
      await knex('runs').where('deleted', '>', 0).orWhere('failed', '>', 0).orWhereNotNull('inflight').update({ guarded_at: knex.ref('updated_at') });
    },
    async down(knex) {
      await knex.schema.alterTable('runs', (t) => {
        t.dropColumn('guarded_at');
        t.dropColumn('inflight_parts');
      });
    },
  },
  {
    name: '0012_archive',
    async up(knex) {
      await knex.schema.alterTable('runs', (t) => {
        // Where the run archives (e.g. "table {entity}_archive in target app"); null: it deletes without an archive.
        t.text('archive').nullable();
        // Rows archived (records and their cascaded children), read from the archive when the run stops.
        t.integer('archived').nullable();
      });
      await knex.schema.alterTable('run_queries', (t) => {
        t.integer('archived').nullable();
      });
      // Records a restore could not put back (the key exists again, a parent is gone, a constraint):
      // listed like failure records, one row per run, entity and key (a later restore updates it).
      await knex.schema.createTable('restore_failures', (t) => {
        t.increments('id');
        t.integer('run_id').notNullable().references('runs.id').onDelete('CASCADE');
        t.string('job').notNullable();
        t.string('entity').notNullable();
        t.text('key').notNullable();
        t.string('code').notNullable();
        t.text('message').notNullable();
        t.bigInteger('at').notNullable();
        t.unique(['run_id', 'entity', 'key']);
        t.index(['at']);
      });
    },
    async down(knex) {
      await knex.schema.dropTableIfExists('restore_failures');
      await knex.schema.alterTable('run_queries', (t) => {
        t.dropColumn('archived');
      });
      await knex.schema.alterTable('runs', (t) => {
        t.dropColumn('archive');
        t.dropColumn('archived');
      });
    },
  },
];

const source: Knex.MigrationSource<Migration> = {
  getMigrations: () => Promise.resolve(migrations),
  getMigrationName: (m) => m.name,
  getMigration: (m) => Promise.resolve(m),
};

const migrationConfig: Knex.MigratorConfig = { migrationSource: source, tableName: 'sweeper_migrations' };

/** Names of applied migrations this code does not know: the store was migrated by a newer Sweeper. */
async function unknownApplied(knex: Knex): Promise<string[]> {
  if (!(await knex.schema.hasTable('sweeper_migrations'))) return [];
  const rows: { name: string }[] = await knex('sweeper_migrations').select('name');
  const known = new Set(migrations.map((m) => m.name));
  return rows.map((r) => r.name).filter((n) => !known.has(n));
}

export async function assertSchemaNotNewer(knex: Knex): Promise<void> {
  const unknown = await unknownApplied(knex);
  if (unknown.length > 0) {
    throw new SweeperError(
      'SCHEMA_TOO_NEW',
      `the state store was migrated by a newer Sweeper (unknown migrations: ${unknown.join(', ')}); ` +
        'run the newer version, or restore a backup of the store made before it',
    );
  }
}

/** Key of the Postgres advisory lock that serialises migrations of the state store ("sweepe" in ASCII: fits a JS number exactly). */
const MIGRATION_LOCK_KEY = 0x737765657065;

/**
 * Brings the store's schema up to date. Returns the names of the migrations it applied.
 *
 * With a shared store (Postgres) several daemons may start together on one store: knex's own lock row makes the others
 * fail at once ("Migration table is already locked"), and creating its tables races. So the migration
 * runs under a transaction-scoped advisory lock: the others wait, then find nothing left to do. Under
 * that lock nobody else is migrating, so a knex lock row left set by a process that died mid-migration
 * is stale and is cleared. (The lock holds one pooled connection while the migrations use another.)
 */
export async function migrateStore(knex: Knex): Promise<string[]> {
  if (!dialectOfKnex(knex).capabilities.advisoryLocks) return migrateUnlocked(knex);
  return knex.transaction(async (trx) => {
    await trx.raw('select pg_advisory_xact_lock(?)', [MIGRATION_LOCK_KEY]);
    await knex.migrate.forceFreeMigrationsLock(migrationConfig);
    return migrateUnlocked(knex);
  });
}

async function migrateUnlocked(knex: Knex): Promise<string[]> {
  await assertSchemaNotNewer(knex);
  const [, applied] = (await knex.migrate.latest(migrationConfig)) as [number, string[]];
  return applied;
}

export const latestMigration = migrations[migrations.length - 1]!.name;

import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { SweeperError } from '../errors';
import { dialectOfKnex } from '../dialects';
import { forgetNotifySecrets } from './notify-secrets-migration';
import { WAKEUP_TOPICS, wakeupTriggers } from './wakeup-triggers';

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
    name: '0005_dashboard_indexes',
    async up(knex) {
      // The dashboard's pages list runs and failure records newest first (keyset on id) under each
      // filter it offers; with 10,000 runs and 1,000,000 failure records each page must stay fast.
      await knex.schema.alterTable('runs', (t) => {
        t.index(['status', 'id'], 'runs_status_id_index');
        t.index(['job', 'status', 'id'], 'runs_job_status_id_index');
      });
      await knex.schema.alterTable('failures', (t) => {
        t.index(['run_id', 'id'], 'failures_run_id_id_index');
        t.index(['run_id', 'code', 'id'], 'failures_run_id_code_id_index');
        t.index(['code', 'id'], 'failures_code_id_index');
        t.index(['entity', 'id'], 'failures_entity_id_index');
        t.index(['job', 'code', 'id'], 'failures_job_code_id_index');
      });
    },
    async down(knex) {
      await knex.schema.alterTable('failures', (t) => {
        for (const name of ['failures_run_id_id_index', 'failures_run_id_code_id_index', 'failures_code_id_index', 'failures_entity_id_index', 'failures_job_code_id_index'])
          t.dropIndex([], name);
      });
      await knex.schema.alterTable('runs', (t) => {
        t.dropIndex([], 'runs_status_id_index');
        t.dropIndex([], 'runs_job_status_id_index');
      });
    },
  },
  {
    name: '0006_wakeups',
    async up(knex) {
      // Other processes learn of a change that may let them act at once (see src/store/wakeups.ts):
      // `entities` when an entity lease is released (a run finished or stopped), `runs` when a run
      // becomes waiting (queued, interrupted), `jobs` when a job changes (registered, paused, resumed,
      // postponed, its next occurrence moved). A store that can notify does so at commit; any other
      // counts each change in `wakeups`, which the processes poll.
      await knex.schema.createTable('wakeups', (t) => {
        t.string('topic').primary();
        t.bigInteger('seq').notNullable().defaultTo(0);
      });
      await knex('wakeups').insert(WAKEUP_TOPICS.map((topic) => ({ topic, seq: 0 })));
      const notify = dialectOfKnex(knex).capabilities.notify;
      for (const trigger of wakeupTriggers(notify)) await knex.raw(trigger.create);
    },
    async down(knex) {
      const notify = dialectOfKnex(knex).capabilities.notify;
      for (const trigger of wakeupTriggers(notify)) await knex.raw(trigger.drop);
      await knex.schema.dropTableIfExists('wakeups');
    },
  },
  {
    name: '0007_outbox_channels',
    async up(knex) {
      await knex.schema.alterTable('outbox', (t) => {
        // email, webhook or slack: a run's notification is one row per channel, each retried on its own.
        t.string('channel', 16).notNullable().defaultTo('email');
        // The Message-ID's part before "@" (the domain is mail.from's): unique per message, stable across retries.
        t.string('message_id').nullable();
      });
      // Rows stored before: each gets a unique id too (they were all "<outbox-N@sweeper>", which repeats).
      const rows: { id: number }[] = await knex('outbox').select('id');
      for (const { id } of rows) {
        await knex('outbox').where({ id }).update({ message_id: `sweeper.outbox-${id}.${randomBytes(8).toString('hex')}` });
      }
    },
    async down(knex) {
      await knex.schema.alterTable('outbox', (t) => {
        t.dropColumn('channel');
        t.dropColumn('message_id');
      });
    },
  },
  {
    name: '0008_archive',
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
  {
    name: '0009_job_files',
    async up(knex) {
      // What reading each job file gave, by its stat and content hash (src/config/job-file-cache.ts): a
      // start, `sweeper jobs` and a reload parse only the files that changed since. `config_key` names the
      // config and code that read it; a row of another is read again.
      await knex.schema.createTable('job_files', (t) => {
        // sha256 of the absolute path: a key of fixed length, whatever the path's.
        t.string('file_key', 64).primary();
        t.text('path').notNullable();
        t.string('config_key', 64).notNullable();
        t.double('mtime_ms').notNullable();
        t.bigInteger('size').notNullable();
        t.string('hash', 64).notNullable();
        t.bigInteger('seen_at').notNullable();
        t.text('result').notNullable();
      });
    },
    async down(knex) {
      await knex.schema.dropTableIfExists('job_files');
    },
  },
  {
    name: '0010_notify_secrets_out_of_store',
    up: forgetNotifySecrets,
    // Nothing to put back: the secrets are in the job files, and the sender reads them from there.
    down: () => Promise.resolve(),
  },
  {
    name: '0011_restore_counts',
    async up(knex) {
      // Which query's rows a restore failure is of, so the failure log lists it like a failure record.
      await knex.schema.alterTable('restore_failures', (t) => {
        t.integer('query_index').nullable();
      });
      // Records put back by the run's restores, for `runs show`; null: never restored.
      await knex.schema.alterTable('runs', (t) => {
        t.integer('restored').nullable();
      });
    },
    async down(knex) {
      await knex.schema.alterTable('runs', (t) => {
        t.dropColumn('restored');
      });
      await knex.schema.alterTable('restore_failures', (t) => {
        t.dropColumn('query_index');
      });
    },
  },
  {
    name: '0012_job_folder_syncs',
    async up(knex) {
      // The jobs folder as it was when the jobs table was last brought in step with it, per config and
      // code (src/config/job-folder-stamp.ts): `sweeper jobs` lists the stored jobs without reading a job
      // file while the folder's names, mtimes and sizes and the jobs table's signature are still these.
      await knex.schema.createTable('job_folder_syncs', (t) => {
        t.string('config_key', 64).primary();
        t.string('fingerprint', 64).notNullable();
        t.string('jobs_signature', 200).notNullable();
        t.bigInteger('synced_at').notNullable();
      });
    },
    async down(knex) {
      await knex.schema.dropTableIfExists('job_folder_syncs');
    },
  },
];

/** The knex migrator settings for these migrations, or (tests of a migration) for the first `count` of them. */
export function migratorConfig(count = migrations.length): Knex.MigratorConfig {
  const source: Knex.MigrationSource<Migration> = {
    getMigrations: () => Promise.resolve(migrations.slice(0, count)),
    getMigrationName: (m) => m.name,
    getMigration: (m) => Promise.resolve(m),
  };
  return { migrationSource: source, tableName: 'sweeper_migrations' };
}

const migrationConfig = migratorConfig();

/** The position of a migration in the list, for migratorConfig (tests). */
export function migrationIndex(name: string): number {
  const index = migrations.findIndex((m) => m.name === name);
  if (index < 0) throw new Error(`no migration named ${name}`);
  return index;
}

/** Names of applied migrations this code does not know: the store was migrated by a newer Sweeper. */
const KNOWN = new Set(migrations.map((m) => m.name));

/** The migrations applied to the store, each once (none before the first migration). */
async function appliedNames(knex: Knex): Promise<string[]> {
  if (!(await knex.schema.hasTable('sweeper_migrations'))) return [];
  const rows: { name: string }[] = await knex('sweeper_migrations').select('name');
  return [...new Set(rows.map((r) => r.name))];
}

function schemaTooNew(unknown: string[]): SweeperError {
  return new SweeperError(
    'SCHEMA_TOO_NEW',
    `the state store was migrated by a newer Sweeper (unknown migrations: ${unknown.join(', ')}); ` +
      'run the newer version, or restore a backup of the store made before it',
  );
}

export async function assertSchemaNotNewer(knex: Knex): Promise<void> {
  const unknown = (await appliedNames(knex)).filter((n) => !KNOWN.has(n));
  if (unknown.length > 0) throw schemaTooNew(unknown);
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
  // One query when the store is up to date (every command opens it): knex's migrator would check its
  // tables, take and free its lock row and list the migrations, a dozen statements.
  const applied = await appliedNames(knex);
  const unknown = applied.filter((n) => !KNOWN.has(n));
  if (unknown.length > 0) throw schemaTooNew(unknown);
  if (applied.length === KNOWN.size) return [];
  const [, done] = (await knex.migrate.latest(migrationConfig)) as [number, string[]];
  return done;
}

export const latestMigration = migrations[migrations.length - 1]!.name;

/** Every migration this code knows, in order: a store brought up to date has applied each. */
export const MIGRATION_NAMES: readonly string[] = migrations.map((m) => m.name);

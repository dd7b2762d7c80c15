import type { Knex } from 'knex';
import type { ConnectionConfig } from '../config/schema';
import { dialectOfKnex, type Dialect } from '../dialects';
import { openStore, storeDialect } from './connect';
import { ArchiveRepository } from './archive-repository';
import { FailuresRepository } from './failures-repository';
import { JobFilesRepository } from './job-files-repository';
import { JobFolderSyncsRepository } from './job-folder-syncs-repository';
import { JobsRepository } from './jobs-repository';
import { assertSchemaNotNewer, migrateStore } from './migrations';
import { OutboxRepository } from './outbox-repository';
import { RunsRepository } from './runs-repository';

/** Sweeper's own database: jobs, runs, failure records, outbox. */
export class Store {
  readonly jobs: JobsRepository;
  readonly jobFiles: JobFilesRepository;
  readonly jobFolderSyncs: JobFolderSyncsRepository;
  readonly runs: RunsRepository;
  readonly failures: FailuresRepository;
  readonly outbox: OutboxRepository;
  readonly archive: ArchiveRepository;
  readonly dialect: Dialect;

  /**
   * `probe`: a connection of its own for health checks, where the store's pool is its one writer
   * (an embedded store in a file): in WAL mode it answers while the writer is inside a checkpoint,
   * so /healthz does not queue behind the runs.
   */
  constructor(
    readonly db: Knex,
    private readonly probe: Knex | null = null,
  ) {
    this.dialect = dialectOfKnex(db);
    this.jobs = new JobsRepository(db);
    this.jobFiles = new JobFilesRepository(db);
    this.jobFolderSyncs = new JobFolderSyncsRepository(db);
    this.runs = new RunsRepository(db);
    this.failures = new FailuresRepository(db);
    this.outbox = new OutboxRepository(db);
    this.archive = new ArchiveRepository(db);
  }

  /** `healthChecks: false`: a command that never answers /healthz opens no probe connection (on SQLite, a worker thread of its own). */
  static open(config: ConnectionConfig, options: { healthChecks?: boolean } = {}): Store {
    const dialect = storeDialect(config);
    const probe = options.healthChecks !== false && dialect.capabilities.embedded && dialect.databaseFile(config.connection) !== null ? openStore(config) : null;
    return new Store(openStore(config), probe);
  }

  /** Whether the store answers a query now (health checks); rejects with why not. */
  async ping(): Promise<void> {
    await (this.probe ?? this.db).raw('select 1');
  }

  /** Brings the schema up to date; also opens the probe connection, so the first health check does not wait for it to start. */
  async migrate(): Promise<string[]> {
    const applied = await migrateStore(this.db);
    await this.probe?.raw('select 1');
    return applied;
  }

  assertSchemaNotNewer(): Promise<void> {
    return assertSchemaNotNewer(this.db);
  }

  transaction<T>(fn: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
    return this.db.transaction(fn);
  }

  async close(): Promise<void> {
    try {
      await this.probe?.destroy();
    } finally {
      await this.db.destroy();
    }
  }
}

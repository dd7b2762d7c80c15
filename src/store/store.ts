import type { Knex } from 'knex';
import type { ConnectionConfig } from '../config/schema';
import { dialectOfKnex, type Dialect } from '../dialects';
import { openStore } from './connect';
import { ArchiveRepository } from './archive-repository';
import { FailuresRepository } from './failures-repository';
import { JobFilesRepository } from './job-files-repository';
import { JobsRepository } from './jobs-repository';
import { assertSchemaNotNewer, migrateStore } from './migrations';
import { OutboxRepository } from './outbox-repository';
import { RunsRepository } from './runs-repository';

/** Sweeper's own database: jobs, runs, failure records, outbox. */
export class Store {
  readonly jobs: JobsRepository;
  readonly jobFiles: JobFilesRepository;
  readonly runs: RunsRepository;
  readonly failures: FailuresRepository;
  readonly outbox: OutboxRepository;
  readonly archive: ArchiveRepository;
  readonly dialect: Dialect;

  constructor(readonly db: Knex) {
    this.dialect = dialectOfKnex(db);
    this.jobs = new JobsRepository(db);
    this.jobFiles = new JobFilesRepository(db);
    this.runs = new RunsRepository(db);
    this.failures = new FailuresRepository(db);
    this.outbox = new OutboxRepository(db);
    this.archive = new ArchiveRepository(db);
  }

  static open(config: ConnectionConfig): Store {
    return new Store(openStore(config));
  }

  migrate(): Promise<string[]> {
    return migrateStore(this.db);
  }

  assertSchemaNotNewer(): Promise<void> {
    return assertSchemaNotNewer(this.db);
  }

  transaction<T>(fn: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
    return this.db.transaction(fn);
  }

  close(): Promise<void> {
    return this.db.destroy();
  }
}

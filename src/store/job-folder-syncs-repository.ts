import type { Knex } from 'knex';

/** The jobs folder as a sync left it: its fingerprint and the jobs table's signature then. */
export interface JobFolderSync {
  fingerprint: string;
  jobsSignature: string;
}

/** One row per config and code (see src/config/job-folder-stamp.ts): the last sync of its jobs folder. */
export class JobFolderSyncsRepository {
  constructor(private readonly db: Knex) {}

  async get(configKey: string): Promise<JobFolderSync | null> {
    const row = (await this.db('job_folder_syncs')
      .where({ config_key: configKey })
      .first('fingerprint', 'jobs_signature')) as Record<string, unknown> | undefined;
    return row ? { fingerprint: String(row.fingerprint), jobsSignature: String(row.jobs_signature) } : null;
  }

  /** Records a sync; the last one wins. */
  async record(configKey: string, sync: JobFolderSync, now: number): Promise<void> {
    await this.db('job_folder_syncs')
      .insert({
        config_key: configKey,
        fingerprint: sync.fingerprint,
        jobs_signature: sync.jobsSignature,
        synced_at: now,
      })
      .onConflict('config_key')
      .merge();
  }

  /** Forgets a sync: the folder is no longer known to be in step. */
  async forget(configKey: string): Promise<void> {
    await this.db('job_folder_syncs').where({ config_key: configKey }).delete();
  }
}

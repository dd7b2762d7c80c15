/**
 * What a notification is made from: one finished run with its job, per-query counts and failures.
 * The outbox sender builds it from the state store; `renderNotification` turns it into an email.
 */
export type RunOutcome = 'succeeded' | 'completed_with_failures' | 'failed';

export interface RunReport {
  run: {
    id: number;
    job: string;
    status: RunOutcome;
    reason: string | null;
    trigger: 'scheduled' | 'manual';
    scheduledFor: Date | null;
    asOf: Date;
    startedAt: Date;
    finishedAt: Date;
    deleted: number;
    failed: number;
    /** Who asked for a manual run ("cli:alice", a token's name); the scheduler for scheduled runs. */
    requestedBy: string;
    /** The run was interrupted (shutdown, crash, lost lease) and continued from its checkpoint. */
    resumed: boolean;
  };
  job: {
    name: string;
    description?: string;
    target: string;
    timezone: string;
    /** The job's `notify.on`: why the reader gets this message. */
    notifyOn: 'always' | 'failures';
  };
  queries: {
    index: number;
    entity: string;
    matched: number;
    deleted: number;
    failed: number;
    cascaded: number;
  }[];
  /** Failure records grouped by error code; `examples` may hold more than the 5 a notification shows. */
  failuresByCode: {
    code: string;
    count: number;
    examples: { entity: string; key: string; message: string }[];
  }[];
  nextRunAt: Date | null;
  /** Where the run archived what it deleted and how many rows (records and cascaded children); absent: no archive. */
  archive?: { where: string; archived: number | null };
  /** The CLI command that lists all failures of this run, e.g. "sweeper --config /etc/sweeper.yaml failures --run 42". */
  failuresCommand: string;
  /** `<http.publicUrl>/ui/runs/<id>` when `http.publicUrl` is set. */
  runPageUrl: string | null;
}

export interface RenderedNotification {
  subject: string;
  text: string;
  html: string;
}

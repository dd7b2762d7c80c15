/**
 * The objects `--json` prints and the HTTP API returns: camelCase, times as ISO-8601 UTC strings.
 */
import type { JobListing } from '../store/jobs-repository';
import type { FailureRecord } from '../store/failures-repository';
import type { OutboxMessage } from '../store/outbox-repository';
import type { RestoreFailureRecord, RunArchiveRecord } from '../store/archive-repository';
import type { RunQueryRecord, RunRecord } from '../store/runs-repository';

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

export interface JobJson {
  name: string;
  target: string;
  schedule: string;
  timezone: string;
  nextRunAt: string | null;
  paused: boolean;
  /** Occurrences before this instant are skipped (`postpone`); null when none is, or it has passed. */
  postponedUntil: string | null;
  lastRun: { id: number; status: string; finishedAt: string | null } | null;
}

export function jobJson(job: JobListing, lastRun: Pick<RunRecord, 'id' | 'status' | 'finishedAt'> | null, now: Date): JobJson {
  return {
    name: job.name,
    target: job.target,
    schedule: job.schedule,
    timezone: job.timezone,
    nextRunAt: iso(job.nextRunAt),
    paused: job.paused,
    postponedUntil: job.postponedUntil && job.postponedUntil.getTime() > now.getTime() ? iso(job.postponedUntil) : null,
    lastRun: lastRun ? { id: lastRun.id, status: lastRun.status, finishedAt: iso(lastRun.finishedAt) } : null,
  };
}

export interface RunJson {
  id: number;
  job: string;
  status: string;
  reason: string | null;
  trigger: string;
  scheduledFor: string | null;
  asOf: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  deleted: number;
  failed: number;
  queries: { index: number; entity: string; matched: number | null; deleted: number; failed: number; cascaded: number; archived?: number | null }[];
  notification: { status: string; attempts: number } | null;
  /** Where the run archives and how many rows it archived (null until the run stopped once); null: no archive. */
  archive: { where: string; archived: number | null } | null;
}

export function runJson(run: RunRecord, queries: RunQueryRecord[], notification: OutboxMessage | null, archive: RunArchiveRecord | null = null): RunJson {
  return {
    id: run.id,
    job: run.job,
    status: run.status,
    reason: run.reason,
    trigger: run.trigger,
    scheduledFor: iso(run.scheduledFor),
    asOf: iso(run.asOf),
    startedAt: iso(run.startedAt),
    finishedAt: iso(run.finishedAt),
    deleted: run.deleted,
    failed: run.failed,
    queries: queries.map((q) => ({
      index: q.index,
      entity: q.entity,
      matched: q.matched,
      deleted: q.deleted,
      failed: q.failed,
      cascaded: q.cascaded,
      ...(archive ? { archived: archive.queries[q.index] ?? null } : {}),
    })),
    notification: notification ? { status: notification.status, attempts: notification.attempts } : null,
    archive: archive ? { where: archive.where, archived: archive.archived } : null,
  };
}

export interface FailureJson {
  id: number;
  runId: number;
  job: string;
  /** Null only for a restore failure stored before Sweeper kept its query. */
  queryIndex: number | null;
  entity: string;
  key: string;
  code: string;
  message: string;
  at: string;
}

/** A failure record, or a restore failure as the failure log lists it (`failures --kind restore`): the same fields. */
export function failureJson(f: FailureRecord | RestoreFailureRecord): FailureJson {
  return {
    id: f.id,
    runId: f.runId,
    job: f.job,
    queryIndex: f.queryIndex,
    entity: f.entity,
    key: f.key,
    code: f.code,
    message: f.message,
    at: f.at.toISOString(),
  };
}

/**
 * A key value as JSON shows it. SQLite keys arrive as BigInt (exact beyond 2^53): within 2^53 they print
 * as numbers, beyond it as decimal strings, which every JSON reader keeps exact (Postgres int8 keys are
 * strings already). Composite keys are arrays of such values.
 */
export function keyValueJson(value: unknown): unknown {
  if (typeof value === 'bigint')
    return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  return Array.isArray(value) ? value.map(keyValueJson) : value;
}

export interface PreviewJson {
  job: string;
  asOf: string;
  queries: {
    index: number;
    entity: string;
    matched: number;
    sample: unknown[];
    cascaded: number;
    /** The deepest level of ON DELETE CASCADE that has rows below the matching records (0: none). */
    cascadeDepth: number;
    /** False when the cascade goes on past the levels counted: `cascaded` is then a floor ("at least"). */
    cascadedComplete: boolean;
    predictedFailures: number;
  }[];
  /** Where the run would archive what it deletes; null: it deletes without an archive. */
  archive: string | null;
  /** What the run will meet that the counts do not say: a cascade deeper than the archive copies. */
  warnings: string[];
}

import { SweeperError } from '../errors';
import { keyJson, parseKeyJson } from './key-json';
import { parseJson, toBool, toDate, toNumber } from './values';

/** A run as the state store holds it, its queries' progress, and how rows map to them. */

export const RUN_STATUSES = [
  'queued', 'running', 'paused', 'interrupted', 'succeeded', 'completed_with_failures', 'failed', 'canceled', 'skipped', 'coalesced',
] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export const ACTIVE_STATUSES: RunStatus[] = ['queued', 'running', 'interrupted', 'paused'];
export const FINISHED_STATUSES: RunStatus[] = ['succeeded', 'completed_with_failures', 'failed', 'canceled', 'skipped', 'coalesced'];
/**
 * Occurrences recorded without running: `skipped` (overlap, catch-up policy, paused, postponed) and
 * `coalesced` (covered by the job's run still queued before it, which runs after it).
 */
export const NOT_RUN_STATUSES: RunStatus[] = ['skipped', 'coalesced'];
/** Statuses a run waits in, from which a process may take it to execute it. */
export const TAKEABLE_STATUSES: RunStatus[] = ['queued', 'interrupted', 'paused'];
export type RunTrigger = 'scheduled' | 'manual';
export type Key = unknown[];

export interface RunRecord {
  id: number;
  job: string;
  jobVersion: number;
  status: RunStatus;
  reason: string | null;
  trigger: RunTrigger;
  scheduledFor: Date | null;
  asOf: Date | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  deleted: number;
  failed: number;
  queryIndex: number;
  /** Keys of the batch being deleted when the last checkpoint was written. */
  inflight: Key[] | null;
  /** Or, for batches named by their key ranges (KeyRange), those ranges: several with limits.parallelBatches. */
  inflightRanges: KeyRange[] | null;
  owner: string | null;
  leaseUntil: Date | null;
  requestedBy: string;
  /** An operator asked the run to stop at its next batch boundary. */
  stopRequested: { kind: StopKind; by: string } | null;
  /** When every query was counted and maxDeletes held; null: not yet, nothing may be deleted. */
  guardedAt: Date | null;
  /** Parts of the batch in flight whose target transaction was about to commit (null: no batch in flight). */
  inflightParts: InflightPart[] | null;
}

/** One target transaction of the batch in flight, written to the store just before it commits. */
export interface InflightPart {
  /** Indexes into the run's `inflight` keys: the records this transaction tried (none with `transaction`). */
  keys: number[];
  deleted: number;
  cascaded: number;
  /** The target transaction's own id, where the dialect tells later whether it committed (transactionStatus). */
  transaction?: string;
}

/**
 * A batch named by a range of a one-column key (dialects with `keyRangeBatches`): the records with
 * `after < key <= last` that match, `expected` of them when the range was read.
 */
export interface KeyRange {
  /** null: from the first key. */
  after: Key | null;
  last: Key;
  expected: number;
}

/**
 * The `inflight` column holds the batch's keys (a JSON array) or its range (`{"range": [after, last,
 * expected]}`), or the ranges of batches in flight at once (`{"ranges": [[after, last, expected], ...]}`,
 * limits.parallelBatches). One range keeps the first form, which a daemon of an earlier version reads.
 */
export function inflightRangesJson(ranges: KeyRange[]): string {
  const triple = (r: KeyRange) => [r.after, r.last, r.expected];
  return ranges.length === 1 ? `{"range":${keyJson(triple(ranges[0]!))}}` : `{"ranges":${keyJson(ranges.map(triple))}}`;
}

function parseInflight(v: unknown): { keys: Key[] | null; ranges: KeyRange[] | null } {
  const parsed = parseKeys<unknown>(v);
  if (parsed === null || Array.isArray(parsed)) return { keys: parsed as Key[] | null, ranges: null };
  const { range, ranges } = parsed as { range?: [Key | null, Key, number]; ranges?: [Key | null, Key, number][] };
  const triples = ranges ?? (range ? [range] : []);
  return { keys: null, ranges: triples.map(([after, last, expected]) => ({ after, last, expected })) };
}

export type StopKind = 'cancel' | 'pause';

export interface RunQueryRecord {
  runId: number;
  index: number;
  entity: string;
  matched: number | null;
  deleted: number;
  failed: number;
  cascaded: number;
  lastKey: Key | null;
  done: boolean;
}

export interface FailureInput {
  queryIndex: number;
  entity: string;
  key: string;
  code: string;
  message: string;
}

/** Stored keys (inflight batch, last key reached): exact, also for integers beyond 2^53. */
function parseKeys<T>(v: unknown): T | null {
  return typeof v === 'string' && v !== '' ? (parseKeyJson(v) as T) : null;
}

export function runFromRow(r: Record<string, unknown>): RunRecord {
  return {
    id: toNumber(r.id),
    job: String(r.job),
    jobVersion: toNumber(r.job_version),
    status: r.status as RunStatus,
    reason: (r.reason as string | null) ?? null,
    trigger: r.trigger as RunTrigger,
    scheduledFor: toDate(r.scheduled_for),
    asOf: toDate(r.as_of),
    startedAt: toDate(r.started_at),
    finishedAt: toDate(r.finished_at),
    deleted: toNumber(r.deleted),
    failed: toNumber(r.failed),
    queryIndex: toNumber(r.query_index),
    inflight: parseInflight(r.inflight).keys,
    inflightRanges: parseInflight(r.inflight).ranges,
    owner: (r.owner as string | null) ?? null,
    leaseUntil: toDate(r.lease_until),
    requestedBy: String(r.requested_by),
    stopRequested: r.stop_requested ? { kind: r.stop_requested as StopKind, by: String(r.stop_requested_by) } : null,
    guardedAt: toDate(r.guarded_at),
    inflightParts: parseJson<InflightPart[]>(r.inflight_parts),
  };
}

export function queryFromRow(r: Record<string, unknown>): RunQueryRecord {
  return {
    runId: toNumber(r.run_id),
    index: toNumber(r.query_index),
    entity: String(r.entity),
    matched: r.matched === null || r.matched === undefined ? null : toNumber(r.matched),
    deleted: toNumber(r.deleted),
    failed: toNumber(r.failed),
    cascaded: toNumber(r.cascaded),
    lastKey: parseKeys<Key>(r.last_key),
    done: toBool(r.done),
  };
}

export interface NewRun {
  job: string;
  jobVersion: number;
  status: RunStatus;
  reason: string;
  trigger: RunTrigger;
  scheduledFor: Date | null;
  requestedBy: string;
  entities: string[];
  /** A process that creates a run to execute it itself holds it from the start (others leave it alone). */
  lease?: { owner: string; until: Date };
}

/** A change of a run's status: every one is kept as a run event with its reason and who asked. */
export interface StatusChange {
  runId: number;
  status: RunStatus;
  reason: string;
  actor: string;
  now: Date;
}

/** The statuses a run ends in. */
export type FinishedStatus = 'succeeded' | 'completed_with_failures' | 'failed' | 'canceled';

/** What a conditional status change expects to find: the run as the caller saw it. */
export interface RunExpectation {
  status: RunStatus;
  /** The owner seen (null: none); omitted: any owner. */
  owner?: string | null;
  /** The lease seen; omitted: any lease. */
  leaseUntil?: Date | null;
}

/**
 * Thrown when a process writes to a run it no longer holds: another daemon took it over after its lease
 * ran out. The writer must stop at once, without finishing the run: it belongs to the new owner.
 */
export function leaseLost(runId: number, owner: string): SweeperError {
  return new SweeperError('CONFLICT', `run ${runId} is no longer held by ${owner}: another process took it over after its lease ran out`, {
    context: { runId, owner, leaseLost: true },
  });
}

/** Whether `error` is `leaseLost`'s: the process must stop without finishing the run. */
export function isLeaseLost(error: unknown): boolean {
  return error instanceof SweeperError && error.code === 'CONFLICT' && error.context.leaseLost === true;
}


import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { Clock } from '../clock';
import type { JobDefinition } from '../config/schema';
import { durationMs } from '../duration';
import { SweeperError, toError } from '../errors';
import { countMatching, deleteMatching, countCascaded, heldKeys, keyColumns, selectMatchingKeys } from '../query/compile';
import type { Store } from '../store/store';
import { isLeaseLost, leaseLost, type InflightPart, type Key, type RunRecord, type RunQueryRecord } from '../store/runs-repository';
import type { Targets } from '../targets/registry';
import { deleteBatch } from './batch';
import { BatchSizer } from './batch-size';
import { finishRun } from './finish-run';
import { InflightJournal, settleInflight } from './inflight';
import { prepareQueries, type PreparedQuery } from './prepare';
import { ProgressReporter, type Progress } from './progress';

export interface RunnerDeps {
  store: Store;
  targets: Targets;
  clock: Clock;
  logger: Logger;
  /** This process, as run owner: `host:pid:random`. */
  owner: string;
  leaseMs: number;
  failuresCommand(runId: number): string;
  nextRunAt(job: string): Promise<Date | null>;
  onProgress?(progress: Progress): void;
  /** Called after each batch with how long its target transaction took (benchmarks, metrics). */
  onBatch?(batch: { job: string; entity: string; queryIndex: number; keys: number; deleted: number; failed: number; transactionMs: number }): void;
}

/** Why a run stops before its end: the signal's reason. */
export type StopReason = 'shutdown' | 'cancel' | 'pause';

export function jobOfDefinition(definition: string): JobDefinition {
  return JSON.parse(definition) as JobDefinition;
}

/**
 * Executes one run from its checkpoint to its end: count and guard, then each query in order, batch
 * by batch, with a checkpoint after every batch. Returns the run as stored at the end.
 */
export async function executeRun(runId: number, deps: RunnerDeps, signal: AbortSignal): Promise<RunRecord> {
  const { store, clock } = deps;
  const initial = await store.runs.get(runId);
  if (!initial) throw new SweeperError('NOT_FOUND', `run ${runId} does not exist`);
  const job = jobOfDefinition(await store.jobs.definitionAt(initial.job, initial.jobVersion));
  const log = deps.logger.child({ job: job.name, run: runId });
  const from = initial.status;
  if (!(await store.runs.take(runId, from, deps.owner, new Date(clock.now().getTime() + deps.leaseMs), clock.now(), clock.now()))) {
    throw new SweeperError('CONFLICT', `run ${runId} of job "${job.name}" was taken by another process`);
  }
  /** Set when a renewal finds the run held by another process: this one stops at once, finishing nothing. */
  let lostLease = false;
  const heartbeat = setInterval(() => {
    store.runs
      .renewLease(runId, deps.owner, new Date(clock.now().getTime() + deps.leaseMs))
      .then((held) => {
        if (held || lostLease) return;
        lostLease = true;
        log.warn('lease lost: another process resumed this run after the lease ran out; stopping at once without finishing it');
      })
      .catch((e: unknown) => log.warn({ err: toError(e) }, 'lease renewal failed'));
  }, Math.max(1000, deps.leaseMs / 3));
  heartbeat.unref();
  const finish = async (status: Parameters<typeof finishRun>[0]['status'], reason: string, actor = deps.owner) => {
    await finishRun({
      store,
      job,
      runId,
      status,
      reason,
      actor,
      now: clock.now(),
      nextRunAt: await deps.nextRunAt(job.name),
      failuresCommand: deps.failuresCommand(runId),
      owner: deps.owner,
    });
    const run = (await store.runs.get(runId))!;
    log.info({ status: run.status, deleted: run.deleted, failed: run.failed, reason }, `run ${run.status}`);
    return run;
  };
  let stop: { reason: StopReason; by: string } | null = null;
  /** At each batch boundary: this process stopping, or an operator's cancel/pause from anywhere. */
  const stopCheck = async (): Promise<boolean> => {
    if (lostLease) throw leaseLost(runId, deps.owner);
    if (signal.aborted) stop = { reason: signal.reason as StopReason, by: deps.owner };
    else {
      const requested = await store.runs.stopRequest(runId);
      if (requested) stop = { reason: requested.kind, by: requested.by };
    }
    return stop !== null;
  };
  try {
    const run = (await store.runs.get(runId))!;
    log.info({ from, asOf: run.asOf?.toISOString(), queryIndex: run.queryIndex }, from === 'queued' ? 'run started' : 'run resumed');
    const target = deps.targets.get(job.target);
    const schema = await deps.targets.schema(job.target);
    const prepared = await prepareQueries(job, target, schema, run.asOf!);
    if (!run.guardedAt) {
      // Until the guard has passed, and recorded so, nothing is deleted: a run that died while counting
      // counts again.
      const guard = await countAndGuard(deps, job, runId, prepared, target.knex);
      if (guard) return await finish('failed', guard);
      await store.runs.setGuarded(runId, clock.now(), deps.owner);
    }
    const progressRows = await store.runs.queries(runId);
    const deadline = job.limits.maxRuntime ? run.startedAt!.getTime() + durationMs(job.limits.maxRuntime) : Infinity;
    const reporter = new ProgressReporter(clock, progressRows, (p) => {
      log.info(p, `progress: ${p.deleted} deleted, ${p.rate}/s${p.etaSeconds !== null ? `, ETA ${p.etaSeconds}s` : ''}`);
      deps.onProgress?.(p);
    });
    for (const query of prepared.slice(run.queryIndex)) {
      const state = progressRows[query.index]!;
      if (state.done) continue;
      if (query.index > run.queryIndex || (query.index > 0 && state.matched === null)) {
        // Earlier queries have run: count what this one matches now.
        const matched = await countMatching(target.knex, query.definition, query.context);
        await store.runs.setMatched(runId, query.index, matched);
        reporter.setMatched(query.index, matched);
      }
      const inflight = run.queryIndex === query.index && run.inflight ? { keys: run.inflight, parts: run.inflightParts } : null;
      const outcome = await runQuery(deps, job, runId, query, state, inflight, target.knex, signal, stopCheck, deadline, reporter);
      if (outcome === 'stopped' && stop) {
        const { reason, by } = stop as { reason: StopReason; by: string };
        if (reason === 'cancel') return await finish('canceled', `canceled by ${by} at a batch boundary; what was deleted stays deleted`, by);
        if (reason === 'pause') return await finish('paused', `paused by ${by} at a batch boundary; resume the job to continue from the checkpoint`, by);
        return await finish('interrupted', 'daemon shutting down: resumes from its checkpoint on the next start');
      }
      if (outcome === 'timeout') {
        const done = (await store.runs.get(runId))!;
        return await finish('failed', `maxRuntime ${job.limits.maxRuntime} reached at a batch boundary after ${done.deleted} deleted; the rest waits for the next run`);
      }
    }
    const done = (await store.runs.get(runId))!;
    return done.failed > 0
      ? await finish('completed_with_failures', `${done.deleted} deleted, ${done.failed} could not be deleted`)
      : await finish('succeeded', `${done.deleted} deleted`);
  } catch (error) {
    const e = toError(error);
    if (isLeaseLost(e)) {
      // Another process resumed the run after this one's lease ran out: it is theirs to finish.
      log.warn({ err: e }, 'run stopped: another process holds it now');
      throw e;
    }
    log.error({ err: e }, 'run failed');
    return await finish('failed', e.message);
  } finally {
    clearInterval(heartbeat);
  }
}

/** Counts every query before anything is deleted; returns a reason when maxDeletes would be exceeded. */
async function countAndGuard(deps: RunnerDeps, job: JobDefinition, runId: number, prepared: PreparedQuery[], knex: import('knex').Knex): Promise<string | null> {
  const counts: number[] = [];
  for (const q of prepared) {
    const n = await countMatching(knex, q.definition, q.context);
    counts.push(n);
    await deps.store.runs.setMatched(runId, q.index, n);
  }
  const total = counts.reduce((a, b) => a + b, 0);
  const max = job.limits.maxDeletes;
  if (max !== undefined && total > max) {
    const detail = prepared.map((q, i) => `${q.definition.entity}: ${counts[i]}`).join(', ');
    return `maxDeletes ${max} exceeded: the queries match ${total} records (${detail}); nothing was deleted. Narrow the queries or raise limits.maxDeletes in ${job.file}`;
  }
  return null;
}

async function runQuery(
  deps: RunnerDeps,
  job: JobDefinition,
  runId: number,
  query: PreparedQuery,
  state: RunQueryRecord,
  inflight: { keys: Key[]; parts: InflightPart[] | null } | null,
  knex: import('knex').Knex,
  signal: AbortSignal,
  stopCheck: () => Promise<boolean>,
  deadline: number,
  reporter: ProgressReporter,
): Promise<'done' | 'stopped' | 'timeout'> {
  const { store, clock } = deps;
  const keyCols = keyColumns(query.definition, query.entity);
  const ops = {
    queryIndex: query.index,
    entity: query.entity.name,
    dialect: query.context.dialect,
    delete: (db: import('knex').Knex, keys: Key[]) => deleteMatching(db, query.definition, query.context, keys),
    cascaded: (db: import('knex').Knex, keys: Key[]) => (query.cascades ? countCascaded(db, query.context.schema, query.entity, keys, keyCols) : Promise.resolve(0)),
    held: (db: import('knex').Knex, keys: Key[]) => heldKeys(db, query.context.schema, query.entity, keyCols, keys),
  };
  const settle = async (keys: Key[], parts: InflightPart[] | null) => {
    const done = await settleInflight(knex, query.context.dialect, query.entity, keyCols, keys, parts);
    await store.runs.checkpoint({ runId, job: job.name, index: query.index, lastKey: null, done: false, ...done, failures: [], owner: deps.owner }, clock.now());
    reporter.add(query.index, done.deleted, 0);
  };
  // The process died in a batch, before its checkpoint: count what of it committed. Its other records
  // come after the last key reached and are tried again.
  if (inflight && inflight.keys.length > 0) await settle(inflight.keys, inflight.parts);
  let lastKey = state.lastKey;
  const sizer = new BatchSizer(job.limits.batchSize);
  const pause = durationMs(job.limits.pauseBetweenBatches);
  for (;;) {
    if (await stopCheck()) return 'stopped';
    if (clock.now().getTime() >= deadline) return 'timeout';
    const rows = await selectMatchingKeys(knex, query.definition, query.context, lastKey, sizer.next());
    const keys: Key[] = rows.map((r) => keyCols.map((c) => (r as Record<string, unknown>)[c]));
    if (keys.length === 0) {
      await store.runs.checkpoint({ runId, job: job.name, index: query.index, lastKey, done: true, deleted: 0, cascaded: 0, failures: [], owner: deps.owner }, clock.now());
      return 'done';
    }
    await store.runs.setInflight(runId, query.index, keys, clock.now(), deps.owner);
    const journal = new InflightJournal(store.runs, runId, deps.owner, keys);
    const started = performance.now();
    let result: Awaited<ReturnType<typeof deleteBatch>>;
    try {
      result = await deleteBatch(knex, keys, { ...ops, committing: journal.committing, signal });
    } catch (error) {
      // Parts of the batch may have committed before it failed: count them before the run fails.
      if (!isLeaseLost(error)) await settleAfterFailure(() => settle(keys, journal.recorded()), error);
      throw error;
    }
    const transactionMs = performance.now() - started;
    sizer.record(keys.length, transactionMs);
    deps.onBatch?.({ job: job.name, entity: query.entity.name, queryIndex: query.index, keys: keys.length, deleted: result.deleted, failed: result.failures.length, transactionMs });
    lastKey = keys[keys.length - 1]!;
    await store.runs.checkpoint(
      { runId, job: job.name, index: query.index, lastKey, done: false, deleted: result.deleted, cascaded: result.cascaded, failures: result.failures, owner: deps.owner },
      clock.now(),
    );
    reporter.add(query.index, result.deleted, result.failures.length);
    await yieldToEventLoop();
    if (pause > 0) await clock.sleep(pause, signal);
  }
}

/** Settles a failed batch; when that fails too, the error says both. */
async function settleAfterFailure(settle: () => Promise<void>, failure: unknown): Promise<void> {
  try {
    await settle();
  } catch (error) {
    throw new SweeperError('INTERNAL', `${toError(failure).message}; counting what the failed batch had deleted failed too: ${toError(error).message}`, { cause: failure });
  }
}

import type { Logger } from 'pino';
import type { JobDefinition } from '../config/schema';
import { durationMs } from '../duration';
import { SweeperError, toError } from '../errors';
import { formatCount } from '../notify/format';
import { isLeaseLost, leaseLost, type RunRecord } from '../store/runs-repository';
import { errorMessage } from '../targets/record-errors';
import type { TargetSession } from '../targets/session';
import type { RunnerDeps, StopReason } from './execute-run';
import { finishRun, type FinishOptions } from './finish-run';
import { ProgressReporter } from './progress';
import { deleteInBatches, type QueryBatchesOptions, type QueryOutcome } from './query-batches';
import { DEFAULT_REPLICA_OUTAGE_MS, ReplicaLagGuard } from './replica-wait';

type FinalStatus = FinishOptions['status'];

/** The batch the run had in flight when its process stopped, as the state store holds it. */
function inflightOf(run: RunRecord): QueryBatchesOptions['inflight'] {
  if (run.inflightRanges) return { ranges: run.inflightRanges };
  return run.inflight ? { keys: run.inflight, parts: run.inflightParts } : null;
}

/**
 * One execution of a run, from its checkpoint to its end, as SPEC's "Runs" tells it:
 * - the run is taken by this process (a lease, renewed by heartbeat); the as-of instant was fixed
 *   when the run started, so a resumed run deletes the same set;
 * - guard: every query is counted before anything is deleted; over `maxDeletes` the run fails and
 *   nothing is deleted;
 * - each query in order deletes in batches, with a checkpoint after every batch (query-batches.ts);
 * - at each batch boundary the run stops when asked (cancel, pause, shutdown) or out of time
 *   (`maxRuntime`);
 * - it ends `succeeded`, `completed_with_failures` or `failed` with its reason, or `canceled`,
 *   `paused`, `interrupted` when stopped.
 */
export class RunExecution {
  /** Set when a renewal finds the run held by another process: this one stops at once, finishing nothing. */
  private lostLease = false;
  private stop: { reason: StopReason; by: string } | null = null;
  /** The run's target session while it is open: its archive is counted when the run stops. */
  private session: TargetSession | null = null;

  private constructor(
    private readonly deps: RunnerDeps,
    private readonly runId: number,
    private readonly job: JobDefinition,
    private readonly signal: AbortSignal,
    private readonly log: Logger,
  ) {}

  /** Takes the run for this process; refused (CONFLICT) when another process took it first. */
  static async take(runId: number, deps: RunnerDeps, signal: AbortSignal): Promise<RunExecution> {
    const { store, clock } = deps;
    const run = await store.runs.get(runId);
    if (!run) throw new SweeperError('NOT_FOUND', `run ${runId} does not exist`);
    const job = JSON.parse(await store.jobs.definitionAt(run.job, run.jobVersion)) as JobDefinition;
    const now = clock.now();
    if (!(await store.runs.take({ runId, from: run.status, owner: deps.owner, leaseUntil: new Date(now.getTime() + deps.leaseMs), now }))) {
      throw new SweeperError('CONFLICT', `run ${runId} of job "${job.name}" was taken by another process`);
    }
    const execution = new RunExecution(deps, runId, job, signal, deps.logger.child({ job: job.name, run: runId }));
    execution.log.info({ from: run.status, asOf: run.asOf?.toISOString() ?? now.toISOString(), queryIndex: run.queryIndex }, run.status === 'queued' ? 'run started' : 'run resumed');
    return execution;
  }

  /** Runs to the end (or to a stop at a batch boundary); returns the run as stored at the end. */
  async execute(): Promise<RunRecord> {
    const heartbeat = this.holdLease();
    let session: TargetSession | null = null;
    try {
      const run = await this.current();
      session = await this.deps.targets.openSession(this.job, run.asOf!, { archive: { runId: this.runId, now: () => this.deps.clock.now() } });
      this.session = session;
      if (session.archiveWhere) await this.deps.store.archive.setWhere(this.runId, session.archiveWhere);
      if (!run.guardedAt) {
        // Until the guard has passed, and recorded so, nothing is deleted: a run that died while
        // counting counts again.
        const refused = await this.guard(session);
        if (refused) return await this.finish('failed', refused);
        await this.deps.store.runs.setGuarded(this.runId, this.deps.clock.now(), this.deps.owner);
      }
      const outcome = await this.deleteQueries(session, run);
      return await this.finishAfter(outcome);
    } catch (error) {
      const e = toError(error);
      if (isLeaseLost(e)) {
        // Another process resumed the run after this one's lease ran out: it is theirs to finish.
        this.log.warn({ err: e }, 'run stopped: another process holds it now');
        throw e;
      }
      this.log.error({ err: e }, 'run failed');
      // A driver's error as knex throws it starts with the whole statement (the log has it): the
      // reason, which runs, emails and the API show, keeps the database's own message.
      return await this.finish('failed', e instanceof SweeperError ? e.message : errorMessage(e));
    } finally {
      clearInterval(heartbeat);
      this.session = null;
      await session?.close();
    }
  }

  /** Counts every query before anything is deleted; returns a reason when maxDeletes would be exceeded. */
  private async guard(session: TargetSession): Promise<string | null> {
    const counts: number[] = [];
    for (const [index] of this.job.queries.entries()) {
      const matched = await session.count(index);
      counts.push(matched);
      await this.deps.store.runs.setMatched(this.runId, index, matched);
    }
    const total = counts.reduce((a, b) => a + b, 0);
    const max = this.job.limits.maxDeletes;
    if (max === undefined || total <= max) return null;
    const detail = this.job.queries.map((q, i) => `${q.entity}: ${formatCount(counts[i]!)}`).join(', ');
    return `maxDeletes ${formatCount(max)} exceeded: the queries match ${formatCount(total)} records (${detail}); nothing was deleted. Narrow the queries or raise limits.maxDeletes in ${this.job.file}`;
  }

  /** Each query in order from the checkpoint, until all are done or the run must stop. */
  private async deleteQueries(session: TargetSession, run: RunRecord): Promise<QueryOutcome> {
    const { store, clock } = this.deps;
    const progressRows = await store.runs.queries(this.runId);
    const deadline = this.job.limits.maxRuntime ? run.startedAt!.getTime() + durationMs(this.job.limits.maxRuntime) : Infinity;
    const reporter = new ProgressReporter(clock, progressRows, (p) => {
      this.log.info(p, `progress: ${p.deleted} deleted, ${p.rate}/s${p.etaSeconds !== null ? `, ETA ${p.etaSeconds}s` : ''}`);
      this.deps.onProgress?.(p);
    });
    const replicas = this.replicaGuard();
    for (let index = run.queryIndex; index < this.job.queries.length; index++) {
      let state = progressRows[index]!;
      if (state.done) continue;
      if (index > run.queryIndex || (index > 0 && state.matched === null)) {
        // Earlier queries have run: count what this one matches now.
        const matched = await session.count(index);
        await store.runs.setMatched(this.runId, index, matched);
        reporter.setMatched(index, matched);
        state = { ...state, matched };
      }
      const outcome = await deleteInBatches({
        store,
        session,
        clock,
        job: this.job,
        runId: this.runId,
        owner: this.deps.owner,
        query: { index, entity: this.job.queries[index]!.entity },
        state,
        inflight: run.queryIndex === index ? inflightOf(run) : null,
        signal: this.signal,
        shouldStop: () => this.shouldStop(),
        deadline,
        maxDeletes: this.job.limits.maxDeletes ?? Infinity,
        reporter,
        replicas,
        onBatch: this.deps.onBatch,
        checkpointEveryMs: this.deps.checkpointEveryMs,
      });
      if (outcome !== 'done') return outcome;
    }
    return 'done';
  }

  /** limits.maxReplicaLag's guard over the target's replicas; undefined when the job sets none. */
  private replicaGuard(): ReplicaLagGuard | undefined {
    const { maxReplicaLag, maxReplicaOutage } = this.job.limits;
    if (!maxReplicaLag) return undefined;
    const watch = this.deps.targets.replicaWatch(this.job.target);
    if (!watch) {
      // Validation refuses such a job; a config changed under a running daemon can still get here.
      throw new SweeperError('INVALID_CONFIG', `${this.job.file}: limits.maxReplicaLag is set but target "${this.job.target}" lists no replicas: add targets.${this.job.target}.replicas to the config, or remove maxReplicaLag`);
    }
    const { store, clock, owner } = this.deps;
    return new ReplicaLagGuard({
      watch,
      maxLagMs: durationMs(maxReplicaLag),
      maxOutageMs: maxReplicaOutage ? durationMs(maxReplicaOutage) : DEFAULT_REPLICA_OUTAGE_MS,
      clock,
      signal: this.signal,
      log: this.log,
      onWaiting: (reason) => store.runs.setRunningReason({ runId: this.runId, reason, actor: owner, now: clock.now(), owner }),
    });
  }

  /** The end a run reaches after its queries: all done, stopped at a batch boundary, or out of time. */
  private async finishAfter(outcome: QueryOutcome): Promise<RunRecord> {
    if (outcome === 'stopped' && this.stop) {
      const { reason, by } = this.stop;
      if (reason === 'cancel') return this.finish('canceled', `canceled by ${by} at a batch boundary; what was deleted stays deleted`, by);
      if (reason === 'pause') return this.finish('paused', `paused by ${by} at a batch boundary; resume the job to continue from the checkpoint`, by);
      return this.finish('interrupted', 'daemon shutting down: resumes from its checkpoint on the next start');
    }
    const run = await this.current();
    if (outcome === 'over-max-deletes') {
      const max = formatCount(this.job.limits.maxDeletes!);
      return this.finish(
        'failed',
        `maxDeletes ${max} reached during the run: ${formatCount(run.deleted)} deleted and more match than the count before the run ` +
          `(records came to match since: inserted or changed); stopped at a batch boundary, the rest waits for the next run, ` +
          `whose count is checked against maxDeletes again. If that many is expected, raise limits.maxDeletes in ${this.job.file}`,
      );
    }
    if (outcome === 'timeout') {
      return this.finish('failed', `maxRuntime ${this.job.limits.maxRuntime} reached at a batch boundary after ${run.deleted} deleted; the rest waits for the next run`);
    }
    return run.failed > 0
      ? this.finish('completed_with_failures', `${run.deleted} deleted, ${run.failed} could not be deleted`)
      : this.finish('succeeded', `${run.deleted} deleted`);
  }

  /** At each batch boundary: this process stopping, or an operator's cancel/pause from anywhere. */
  private async shouldStop(): Promise<boolean> {
    if (this.lostLease) throw leaseLost(this.runId, this.deps.owner);
    if (this.signal.aborted) this.stop = { reason: this.signal.reason as StopReason, by: this.deps.owner };
    else {
      const requested = await this.deps.store.runs.stopRequest(this.runId);
      if (requested) this.stop = { reason: requested.kind, by: requested.by };
    }
    return this.stop !== null;
  }

  /** Renews the run's lease every third of it; a renewal that finds the run taken stops this execution. */
  private holdLease(): NodeJS.Timeout {
    const { store, clock, owner, leaseMs } = this.deps;
    const heartbeat = setInterval(() => {
      store.runs
        .renewLease(this.runId, owner, new Date(clock.now().getTime() + leaseMs))
        .then((held) => {
          if (held || this.lostLease) return;
          this.lostLease = true;
          this.log.warn('lease lost: another process resumed this run after the lease ran out; stopping at once without finishing it');
        })
        .catch((e: unknown) => this.log.warn({ err: toError(e) }, 'lease renewal failed'));
    }, Math.max(1000, leaseMs / 3));
    heartbeat.unref();
    return heartbeat;
  }

  private async finish(status: FinalStatus, reason: string, actor = this.deps.owner): Promise<RunRecord> {
    const { deps } = this;
    await this.countArchived();
    await finishRun({
      store: deps.store,
      job: this.job,
      runId: this.runId,
      status,
      reason,
      actor,
      now: deps.clock.now(),
      nextRunAt: await deps.nextRunAt(this.job.name),
      failuresCommand: deps.failuresCommand(this.runId),
      runPageUrl: deps.runPageUrl(this.runId),
      owner: deps.owner,
    });
    const run = await this.current();
    this.log.info({ status: run.status, deleted: run.deleted, failed: run.failed, reason }, `run ${run.status}`);
    return run;
  }

  /** Reads from the archive how many rows the run archived, for `runs show`, the run JSON and the email. */
  private async countArchived(): Promise<void> {
    if (!this.session || !this.job.archive) return;
    try {
      const counts = await this.session.archivedCounts();
      if (counts) await this.deps.store.archive.setCounts(this.runId, counts);
    } catch (error) {
      // The count is for reports: a target gone at the end must not hide the run's own outcome.
      this.log.warn({ err: toError(error) }, 'could not count the archived rows of the run');
    }
  }

  private async current(): Promise<RunRecord> {
    const run = await this.deps.store.runs.get(this.runId);
    if (!run) throw new SweeperError('NOT_FOUND', `run ${this.runId} does not exist`);
    return run;
  }
}

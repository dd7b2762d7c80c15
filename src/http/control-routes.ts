import type { FastifyInstance } from 'fastify';
import { jobDetail, runDetail } from '../api/queries';
import { restoreRun } from '../archive/restore';
import { UsageError } from '../errors';
import { pauseJob, postponeJob, resumeJob } from '../control/job-control';
import { cancelRun } from '../control/run-control';
import type { Daemon } from '../daemon';
import { createManualRun } from '../runner/manual-run';
import { actorOf, type TokenAuth } from './auth';
import { bodyObject, positiveInt, text, timeParam } from './params';

/**
 * `POST /api/...`: run now, pause, resume, postpone, cancel; operator tokens only. Each change is stored
 * with the actor `http:<token name>`, and the daemon is nudged to act on it at once.
 */
export function registerControlRoutes(server: FastifyInstance, daemon: Daemon, auth: TokenAuth): void {
  const { app } = daemon;
  const onRequest = auth.hook('control');

  server.post<{ Params: { name: string } }>('/api/jobs/:name/run', { onRequest }, async (request, reply) => {
    const name = request.params.name;
    const id = await createManualRun(app, name, actorOf(request));
    daemon.queue.enqueue({ id, job: name, entities: daemon.entitiesOf(name) });
    const run = await runDetail(app, id);
    return reply.status(202).header('location', `/api/runs/${id}`).send(run);
  });

  server.post<{ Params: { name: string } }>('/api/jobs/:name/pause', { onRequest }, async (request) => {
    const name = request.params.name;
    const reason = text(bodyObject(request.body), 'reason');
    const message = await pauseJob(app, name, reason, actorOf(request));
    return { message, job: await jobDetail(app, name) };
  });

  server.post<{ Params: { name: string } }>('/api/jobs/:name/resume', { onRequest }, async (request) => {
    const name = request.params.name;
    const message = await resumeJob(app, name, actorOf(request));
    // The job's paused runs continue from their checkpoints now, not at the next recovery pass.
    for (const run of await app.store.runs.active(name)) {
      if (run.status === 'paused' && daemon.registry.get(name))
        daemon.queue.enqueue({ id: run.id, job: name, entities: daemon.entitiesOf(name) });
    }
    daemon.scheduler.wake();
    return { message, job: await jobDetail(app, name) };
  });

  server.post<{ Params: { name: string } }>('/api/jobs/:name/postpone', { onRequest }, async (request) => {
    const name = request.params.name;
    const until = timeParam(bodyObject(request.body), 'until', app.config.timezone);
    const message = await postponeJob(app, name, until, actorOf(request));
    daemon.scheduler.wake();
    return { message, job: await jobDetail(app, name) };
  });

  server.post<{ Params: { id: string } }>('/api/runs/:id/cancel', { onRequest }, async (request) => {
    const id = positiveInt(request.params.id, 'run id');
    // A running run sees the stored stop request at its next batch boundary, in whichever process runs it.
    const message = await cancelRun(app, id, actorOf(request));
    daemon.scheduler.wake();
    return { message, run: await runDetail(app, id) };
  });

  server.post<{ Params: { id: string } }>('/api/runs/:id/restore', { onRequest }, async (request) => {
    const id = positiveInt(request.params.id, 'run id');
    const body = bodyObject(request.body);
    const dryRun = body?.dryRun ?? false;
    if (typeof dryRun !== 'boolean') throw new UsageError(`dryRun must be true or false (got ${JSON.stringify(dryRun)})`);
    const outcome = await restoreRun({ store: app.store, targets: app.targets, clock: app.clock }, { runId: id, entity: text(body, 'entity'), dryRun, actor: actorOf(request) });
    return { message: dryRun ? `dry run: ${outcome.groups.reduce((n, g) => n + g.pending, 0)} archived record(s) would go back` : `${outcome.restored} record(s) put back, ${outcome.failed} could not go back`, restore: outcome };
  });
}

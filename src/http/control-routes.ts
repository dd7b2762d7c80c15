import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { jobDetail, runDetail } from '../api/queries';
import { restoreRun } from '../archive/restore';
import { DaemonControl } from '../control/daemon-control';
import type { Daemon } from '../daemon';
import {
  jobChangeSchema,
  jobNameParams,
  pauseBody,
  resumeBody,
  postponeBody,
  restoreAnswerSchema,
  restoreBody,
  runChangeSchema,
  runIdParams,
  runSchema,
} from './api-schemas';
import { actorOf, type TokenAuth } from './auth';
import { answer, conflict, controlErrors, secured } from './route-docs';

const jobChange = answer('the change, stored with the actor http:<token name>', jobChangeSchema);

/**
 * `POST /api/...`: run now, pause, resume, postpone, cancel; operator tokens only. Each change is stored
 * with the actor `http:<token name>`, and the daemon is nudged to act on it at once.
 */
export function registerControlRoutes(fastify: FastifyInstance, daemon: Daemon, auth: TokenAuth): void {
  const server = fastify.withTypeProvider<ZodTypeProvider>();
  const { app } = daemon;
  const control = new DaemonControl(daemon);
  const onRequest = auth.hook('control');

  server.post(
    '/api/jobs/:name/run',
    {
      onRequest,
      schema: {
        operationId: 'runJob',
        summary: 'Run the job now, outside its schedule',
        ...secured,
        params: jobNameParams,
        response: {
          202: answer(
            'the created run; poll GET /api/runs/{id} (the Location header) until finishedAt is set',
            runSchema,
          ),
          ...controlErrors,
          ...conflict('the job already has a run that has not finished'),
        },
      },
    },
    async (request, reply) => {
      const name = request.params.name;
      const id = await control.runNow(name, actorOf(request));
      const run = await runDetail(app, id);
      return reply.status(202).header('location', `/api/runs/${id}`).send(run);
    },
  );

  server.post(
    '/api/jobs/:name/pause',
    {
      onRequest,
      schema: {
        operationId: 'pauseJob',
        summary:
          'Pause the job: occurrences are skipped, a running run stops at its next batch boundary as paused',
        ...secured,
        params: jobNameParams,
        body: pauseBody,
        response: { 200: jobChange, ...controlErrors },
      },
    },
    async (request) => {
      const name = request.params.name;
      const message = await control.pause(name, request.body?.reason, actorOf(request));
      return { message, job: await jobDetail(app, name) };
    },
  );

  server.post(
    '/api/jobs/:name/resume',
    {
      onRequest,
      schema: {
        operationId: 'resumeJob',
        summary: 'Resume a paused job; its paused run continues from its checkpoint',
        ...secured,
        params: jobNameParams,
        body: resumeBody,
        response: { 200: jobChange, ...controlErrors },
      },
    },
    async (request) => {
      const name = request.params.name;
      // The job's paused runs continue from their checkpoints now, not at the next recovery pass.
      const message = await control.resume(name, actorOf(request), request.body?.reason);
      return { message, job: await jobDetail(app, name) };
    },
  );

  server.post(
    '/api/jobs/:name/postpone',
    {
      onRequest,
      schema: {
        operationId: 'postponeJob',
        summary: 'Skip occurrences before `until` (each recorded as skipped, reason postponed)',
        ...secured,
        params: jobNameParams,
        body: postponeBody(app.config.timezone),
        response: { 200: jobChange, ...controlErrors },
      },
    },
    async (request) => {
      const name = request.params.name;
      const message = await control.postpone(name, request.body.until, actorOf(request));
      return { message, job: await jobDetail(app, name) };
    },
  );

  server.post(
    '/api/runs/:id/cancel',
    {
      onRequest,
      schema: {
        operationId: 'cancelRun',
        summary:
          'Cancel a run: a waiting one at once, a running one at its next batch boundary; 409 when it has already ended',
        ...secured,
        params: runIdParams,
        response: {
          200: answer('the cancellation, stored with the actor http:<token name>', runChangeSchema),
          ...controlErrors,
        },
      },
    },
    async (request) => {
      const id = request.params.id;
      const message = await control.cancel(id, actorOf(request));
      return { message, run: await runDetail(app, id) };
    },
  );
  server.post(
    '/api/runs/:id/restore',
    {
      onRequest,
      schema: {
        operationId: 'restoreRun',
        summary: "Put a run's archived records back, parents before children; what cannot go back becomes a restore failure",
        ...secured,
        params: runIdParams,
        body: restoreBody,
        response: { 200: answer('what went back, and what could not', restoreAnswerSchema), ...controlErrors },
      },
    },
    async (request) => {
      const id = request.params.id;
      const dryRun = request.body?.dryRun ?? false;
      const outcome = await restoreRun({ store: app.store, targets: app.targets, clock: app.clock }, { runId: id, entity: request.body?.entity, dryRun, actor: actorOf(request) });
      return {
        message: dryRun
          ? `dry run: ${outcome.groups.reduce((n, g) => n + g.pending, 0)} archived record(s) would go back`
          : `${outcome.restored} record(s) put back, ${outcome.failed} could not go back`,
        restore: outcome,
      };
    },
  );
}

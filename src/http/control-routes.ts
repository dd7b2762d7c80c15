import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { jobDetail, runDetail } from '../api/queries';
import { pauseJob, postponeJob, resumeJob } from '../control/job-control';
import { cancelRun } from '../control/run-control';
import type { Daemon } from '../daemon';
import { createManualRun } from '../runner/manual-run';
import {
  jobChangeSchema,
  jobNameParams,
  pauseBody,
  postponeBody,
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
      const id = await createManualRun(app, name, actorOf(request));
      daemon.queue.enqueue({ id, job: name, entities: daemon.entitiesOf(name) });
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
      const message = await pauseJob(app, name, request.body?.reason, actorOf(request));
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
        response: { 200: jobChange, ...controlErrors },
      },
    },
    async (request) => {
      const name = request.params.name;
      const message = await resumeJob(app, name, actorOf(request));
      // The job's paused runs continue from their checkpoints now, not at the next recovery pass.
      for (const run of await app.store.runs.active(name)) {
        if (run.status === 'paused' && daemon.registry.get(name))
          daemon.queue.enqueue({ id: run.id, job: name, entities: daemon.entitiesOf(name) });
      }
      daemon.scheduler.wake();
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
      const message = await postponeJob(app, name, request.body.until, actorOf(request));
      daemon.scheduler.wake();
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
      // A running run sees the stored stop request at its next batch boundary, in whichever process runs it.
      const message = await cancelRun(app, id, actorOf(request));
      daemon.scheduler.wake();
      return { message, run: await runDetail(app, id) };
    },
  );
}

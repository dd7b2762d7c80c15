import type { FastifyInstance } from 'fastify';
import { jobDetail, runDetail } from '../api/queries';
import { DaemonControl } from '../control/daemon-control';
import type { Daemon } from '../daemon';
import { actorOf, type TokenAuth } from './auth';
import { bodyObject, positiveInt, text, timeParam } from './params';

/**
 * `POST /api/...`: run now, pause, resume, postpone, cancel; operator tokens only. Each change is stored
 * with the actor `http:<token name>`, and the daemon is nudged to act on it at once.
 */
export function registerControlRoutes(server: FastifyInstance, daemon: Daemon, auth: TokenAuth): void {
  const { app } = daemon;
  const control = new DaemonControl(daemon);
  const onRequest = auth.hook('control');

  server.post<{ Params: { name: string } }>('/api/jobs/:name/run', { onRequest }, async (request, reply) => {
    const id = await control.runNow(request.params.name, actorOf(request));
    const run = await runDetail(app, id);
    return reply.status(202).header('location', `/api/runs/${id}`).send(run);
  });

  server.post<{ Params: { name: string } }>('/api/jobs/:name/pause', { onRequest }, async (request) => {
    const name = request.params.name;
    const reason = text(bodyObject(request.body), 'reason');
    const message = await control.pause(name, reason, actorOf(request));
    return { message, job: await jobDetail(app, name) };
  });

  server.post<{ Params: { name: string } }>('/api/jobs/:name/resume', { onRequest }, async (request) => {
    const name = request.params.name;
    const message = await control.resume(name, actorOf(request));
    return { message, job: await jobDetail(app, name) };
  });

  server.post<{ Params: { name: string } }>('/api/jobs/:name/postpone', { onRequest }, async (request) => {
    const name = request.params.name;
    const until = timeParam(bodyObject(request.body), 'until', app.config.timezone);
    const message = await control.postpone(name, until, actorOf(request));
    return { message, job: await jobDetail(app, name) };
  });

  server.post<{ Params: { id: string } }>('/api/runs/:id/cancel', { onRequest }, async (request) => {
    const id = positiveInt(request.params.id, 'run id');
    const message = await control.cancel(id, actorOf(request));
    return { message, run: await runDetail(app, id) };
  });
}

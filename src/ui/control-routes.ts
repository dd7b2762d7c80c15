import type { FastifyInstance, FastifyRequest } from 'fastify';
import { runDetail } from '../api/queries';
import { restoreRun } from '../archive/restore';
import { DaemonControl } from '../control/daemon-control';
import type { Daemon } from '../daemon';
import { HttpError } from '../http/http-errors';
import { positiveInt, text, timeParam, type Params } from './params';
import { findJob } from '../runner/manual-run';
import { previewJob } from '../runner/preview';
import { previewPage } from './job-page';
import { restorePage } from './restore-page';
import { sendPage, type Context } from './send-page';
import { CSRF_FIELD, type UiSessions } from './session';

/** The actor a dashboard action is recorded with: `ui:<token name>` (`ui:anonymous` without tokens). */
export function uiActor(request: FastifyRequest): string {
  return `ui:${request.principal?.name ?? 'anonymous'}`;
}

function form(request: FastifyRequest): Params {
  return (request.body ?? {}) as Params;
}

/**
 * The dashboard's control forms (POST): operators only, each with the CSRF token of the page it was
 * sent from. A viewer gets 403 and no change is made. Each answers with a redirect to the page to look
 * at next (Post/Redirect/Get) and leaves what happened as a notice there.
 */
export function registerControlForms(
  ui: FastifyInstance,
  daemon: Daemon,
  sessions: UiSessions,
  context: Context,
): void {
  const { app } = daemon;
  const control = new DaemonControl(daemon);
  const operatorOnly = async (request: FastifyRequest) => {
    const principal = request.principal;
    if (principal?.role !== 'operator')
      throw new HttpError(
        'FORBIDDEN',
        `${principal ? `token "${principal.name}" has the role ${principal.role}` : 'not signed in'}: running, pausing, postponing, canceling and restoring need an operator token`,
      );
  };
  const csrfChecked = async (request: FastifyRequest) =>
    sessions.checkCsrf(request.principal, form(request)[CSRF_FIELD]);
  const options = { preHandler: [operatorOnly, csrfChecked] };
  const jobPath = (name: string) => `/ui/jobs/${encodeURIComponent(name)}`;

  ui.post<{ Params: { name: string } }>('/jobs/:name/run', options, async (request, reply) => {
    const job = findJob(app, request.params.name);
    const typed = text(form(request), 'confirm') ?? '';
    if (typed.trim() !== job.name) {
      // As the CLI: the job's name, typed, is the confirmation; anything else deletes nothing.
      const stored = (await app.store.jobs.get(job.name))!;
      const preview = await previewJob(job, app.targets, app.clock.now());
      const problem = `not confirmed: you typed "${typed}", not the job's name "${job.name}"; nothing was deleted`;
      return sendPage(reply, previewPage(context(request, reply), { job: stored, preview, problem }), 400);
    }
    const id = await control.runNow(job.name, uiActor(request));
    sessions.setNotice(request, reply, `run ${id} of ${job.name} queued`);
    return reply.redirect(`/ui/runs/${id}`, 303);
  });

  ui.post<{ Params: { name: string } }>('/jobs/:name/pause', options, async (request, reply) => {
    const name = request.params.name;
    const message = await control.pause(name, text(form(request), 'reason'), uiActor(request));
    sessions.setNotice(request, reply, message);
    return reply.redirect(jobPath(name), 303);
  });

  ui.post<{ Params: { name: string } }>('/jobs/:name/resume', options, async (request, reply) => {
    const name = request.params.name;
    sessions.setNotice(request, reply, await control.resume(name, uiActor(request), text(form(request), 'reason')));
    return reply.redirect(jobPath(name), 303);
  });

  ui.post<{ Params: { name: string } }>('/jobs/:name/postpone', options, async (request, reply) => {
    const name = request.params.name;
    // A local time of the job's own zone, as the form says next to the field.
    const zone = (await app.store.jobs.get(name))?.timezone ?? findJob(app, name).timezone;
    const until = timeParam(form(request), 'until', zone);
    sessions.setNotice(request, reply, await control.postpone(name, until, uiActor(request)));
    return reply.redirect(jobPath(name), 303);
  });

  ui.post<{ Params: { id: string } }>('/runs/:id/restore', options, async (request, reply) => {
    const id = positiveInt(request.params.id, 'run id');
    const run = await runDetail(app, id);
    const deps = { store: app.store, targets: app.targets, clock: app.clock };
    const typed = text(form(request), 'confirm') ?? '';
    if (typed.trim() !== run.job) {
      // As run-now: the job's name, typed, is the confirmation; anything else writes nothing.
      const plan = await restoreRun(deps, { runId: id, dryRun: true, actor: uiActor(request) });
      const problem = `not confirmed: you typed "${typed}", not the job's name "${run.job}"; nothing was restored`;
      return sendPage(reply, restorePage(context(request, reply), { run, plan, problem }), 400);
    }
    const done = await restoreRun(deps, { runId: id, dryRun: false, actor: uiActor(request) });
    sessions.setNotice(request, reply, `restore of run ${id}: ${done.restored} record(s) put back, ${done.failed} could not go back`);
    return reply.redirect(`/ui/runs/${id}`, 303);
  });

  ui.post<{ Params: { id: string } }>('/runs/:id/cancel', options, async (request, reply) => {
    const id = positiveInt(request.params.id, 'run id');
    sessions.setNotice(request, reply, await control.cancel(id, uiActor(request)));
    return reply.redirect(`/ui/runs/${id}`, 303);
  });
}

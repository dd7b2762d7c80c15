import type { RunJson } from '../../src/api/json';
import type { RestoreOutcome } from '../../src/archive/restore';
import { OPERATOR_TOKEN, VIEWER_TOKEN, startStack, type ErrorBody, type Stack } from '../http/harness';
import { eventually } from '../support/workspace';

/** `POST /api/runs/:id/restore` on the daemon's real HTTP server: operators only, dry run first, then for real. */
const ARCHIVED_JOB = `
name: archived-purge
target: app
start: 2099-01-01T00:00:00
queries:
  - entity: parents
    where: { field: created_at, olderThan: 30d }
limits: { batchSize: 10 }
archive: { table: "{entity}_archive" }
`;

describe('POST /api/runs/:id/restore', () => {
  let stack: Stack;
  beforeEach(async () => {
    stack = await startStack();
  });
  afterEach(async () => {
    await stack.stop();
  });
  const post = <T>(path: string, token: string, body?: unknown) =>
    stack.call<T>('POST', path, { token, body });

  it('puts an archived run back for an operator, refuses a viewer, and says when a run did not archive', async () => {
    stack.ws.writeJob('archived-purge', ARCHIVED_JOB);
    await stack.daemon.reloader.reload('test');
    await eventually(
      async () =>
        (await stack.call('GET', '/api/jobs/archived-purge', { token: VIEWER_TOKEN })).status === 200
          ? true
          : undefined,
      10_000,
      'the new job',
    );
    const started = await post<RunJson>('/api/jobs/archived-purge/run', OPERATOR_TOKEN);
    const run = await stack.waitForRun(started.body.id, (s) => s === 'completed_with_failures');
    expect(run.archive).toEqual({ where: 'table parents_archive in target app', archived: 75 });

    const viewer = await post<ErrorBody>(`/api/runs/${run.id}/restore`, VIEWER_TOKEN);
    expect(viewer.status).toBe(403);

    const dry = await post<{ message: string; restore: RestoreOutcome }>(
      `/api/runs/${run.id}/restore`,
      OPERATOR_TOKEN,
      { dryRun: true },
    );
    expect(dry.status).toBe(200);
    expect(dry.body.message).toBe('dry run: 75 archived record(s) would go back');
    const done = await post<{ message: string; restore: RestoreOutcome }>(
      `/api/runs/${run.id}/restore`,
      OPERATOR_TOKEN,
    );
    expect(done.body.message).toBe('75 record(s) put back, 0 could not go back');
    const db = stack.ws.target();
    expect((db.prepare('SELECT count(*) n FROM parents').get() as { n: number }).n).toBe(100);
    db.close();

    const bare = await post<RunJson>('/api/jobs/purge-parents/run', OPERATOR_TOKEN);
    await stack.waitForRun(bare.body.id, (s) => s === 'completed_with_failures' || s === 'succeeded');
    const refused = await post<ErrorBody>(`/api/runs/${bare.body.id}/restore`, OPERATOR_TOKEN);
    expect(refused.status).toBe(404);
    expect(refused.body.error.message).toContain('did not archive what it deleted');
  });
});

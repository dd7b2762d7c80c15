import { Daemon } from '../../src/daemon';
import type { App } from '../../src/app';
import { OPERATOR_TOKEN, rawRequest } from '../http/harness';
import { createPgWorkspace, type PgWorkspace } from '../support/postgres-workspace';
import { eventually } from '../support/workspace';
import { dashboardClient, signIn, type DashboardClient } from './dashboard-client';

const SCHEMA = `
CREATE TABLE parents (id integer PRIMARY KEY, created_at timestamptz NOT NULL);
CREATE TABLE children (id serial PRIMARY KEY, parent_id integer REFERENCES parents(id));
INSERT INTO parents SELECT g, now() - interval '40 days' FROM generate_series(1, 60) g;
INSERT INTO children (parent_id) SELECT g FROM generate_series(4, 60, 4) g;
`;

const JOB = `
name: purge-parents
target: app
start: 2099-01-01T00:00:00
queries:
  - entity: parents
    where: { field: created_at, olderThan: 30d }
limits: { batchSize: 10 }
`;

/** The dashboard's pages and queries with the state store (and the target) on Postgres. */
describe('dashboard on a Postgres state store', () => {
  let ws: PgWorkspace;
  let app: App;
  let daemon: Daemon;
  let client: DashboardClient;

  beforeAll(async () => {
    ws = await createPgWorkspace(
      SCHEMA,
      `http: { listen: "127.0.0.1:0", tokens: [ { name: ops, token: ${OPERATOR_TOKEN}, role: operator } ] }\n`,
    );
    ws.writeJob('purge-parents', JOB);
    app = await ws.open();
    daemon = new Daemon(app);
    await daemon.start();
    const url = daemon.httpServer!.url;
    client = dashboardClient({ raw: (method, path, o) => rawRequest(url, method, path, o) });
    await signIn(client, OPERATOR_TOKEN);
  });
  afterAll(async () => {
    await daemon?.stop();
    await ws?.close();
  });

  it('runs a job from its preview and shows the run, its failures (SQLSTATE 23503) and every filter', async () => {
    const csrf = await client.csrfOf('/ui/jobs/purge-parents/preview');
    const ran = await client.post('/ui/jobs/purge-parents/run', { csrf, confirm: 'purge-parents' });
    expect(ran.status).toBe(303);
    const id = Number(/(\d+)$/.exec(ran.headers.get('location')!)![1]);
    await eventually(async () =>
      (await app.store.runs.get(id))?.status === 'completed_with_failures' ? true : undefined,
    );
    const run = (await client.get(`/ui/runs/${id}`)).body;
    expect(run).toContain('23503');
    expect(run).toContain('completed with failures');
    for (const path of [
      '/ui/jobs',
      '/ui/jobs/purge-parents',
      '/ui/runs?status=completed_with_failures',
      '/ui/failures?code=23503&since=1h',
      `/ui/failures?run=${id}&entity=parents&limit=5`,
    ]) {
      expect([path, (await client.get(path)).status]).toEqual([path, 200]);
    }
    const page = (await client.get(`/ui/failures?run=${id}&limit=5`)).body;
    expect([...page.matchAll(/<tr data-id="\d+">/g)]).toHaveLength(5);
    const csv = (await client.get(`/ui/failures.csv?run=${id}&since=1h`)).body.trimEnd().split('\r\n');
    expect(csv).toHaveLength(1 + 15);
  });
});

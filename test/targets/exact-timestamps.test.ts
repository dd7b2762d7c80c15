import type { App } from '../../src/app';
import { failureJson } from '../../src/api/json';
import { executeRun } from '../../src/runner/execute-run';
import { createManualRun } from '../../src/runner/manual-run';
import { runnerDeps } from '../../src/runner/runner-deps';
import { createPgWorkspace, type PgWorkspace } from '../support/postgres-workspace';

/**
 * Postgres timestamps have microseconds, a JS Date only milliseconds: a key holding a timestamp must
 * stay exact, or keyset paging and the delete use keys that match no row.
 */
describe('Postgres timestamp keys', () => {
  let ws: PgWorkspace;
  let app: App;
  afterEach(async () => {
    await app?.close();
    await ws?.close();
  });

  it('a key with microseconds deletes every matching row; failure records keep the microseconds', async () => {
    ws = await createPgWorkspace(`
      CREATE TABLE readings (sensor text NOT NULL, taken_at timestamptz NOT NULL, value integer NOT NULL, PRIMARY KEY (sensor, taken_at));
      CREATE TABLE pins (sensor text NOT NULL, taken_at timestamptz NOT NULL, FOREIGN KEY (sensor, taken_at) REFERENCES readings);
      INSERT INTO readings SELECT 's' || (g % 3), timestamptz '2020-01-01 00:00:00.123456+00' + make_interval(secs => g), g FROM generate_series(1, 60) g;
      INSERT INTO pins SELECT sensor, taken_at FROM readings WHERE value = 10;
    `);
    ws.writeJob(
      'old-readings',
      `name: old-readings
target: app
queries:
  - entity: readings
    where: { field: value, op: lte, value: 40 }
notify: { to: [ops@example.com] }
limits: { batchSize: 7, maxRuntime: 10s }
`,
    );
    app = await ws.open();
    const runId = await createManualRun(app, 'old-readings', 'test');
    const run = await executeRun(runId, runnerDeps(app), new AbortController().signal);
    expect(run).toMatchObject({ status: 'completed_with_failures', deleted: 39, failed: 1 });
    expect(((await ws.target('readings').orderBy('value').pluck('value')) as number[])).toEqual([10, ...Array.from({ length: 20 }, (_, i) => 41 + i)]);
    const [failure] = await app.store.failures.list({ run: runId });
    // As Postgres prints it (in the session's time zone), microseconds included.
    const [sensor, takenAt] = JSON.parse(failureJson(failure!).key) as [string, string];
    expect(sensor).toBe('s1');
    expect(takenAt).toMatch(/:10\.123456[+-]\d\d(:\d\d)?$/);
    expect(new Date(takenAt.replace(' ', 'T').replace(/([+-]\d\d)$/, '$1:00')).toISOString()).toBe('2020-01-01T00:00:10.123Z');
  }, 60_000);
});

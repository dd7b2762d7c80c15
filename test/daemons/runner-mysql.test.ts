import type { Knex } from 'knex';
import type { App } from '../../src/app';
import { executeRun } from '../../src/runner/execute-run';
import { createManualRun } from '../../src/runner/manual-run';
import { previewJob } from '../../src/runner/preview';
import { runnerDeps } from '../../src/runner/runner-deps';
import { describeMariadb } from '../support/mariadb';
import { createMariadbWorkspace, type MariadbWorkspace } from '../support/mariadb-workspace';

/**
 * The runner deleting from a MySQL target (`client: mysql2`) on the test run's own MariaDB, with a
 * SQLite state store: the cases of runner-postgres.test.ts with MySQL's own error codes, plus what
 * MySQL does its own way (CHECK constraints, SIGNAL in triggers, lock wait timeouts, a connection
 * killed mid-run).
 */
const SCHEMA = `
CREATE TABLE parents (id int PRIMARY KEY, created_at datetime(3) NOT NULL, pinned boolean NOT NULL DEFAULT false, KEY parents_created (created_at)) ENGINE=InnoDB;
CREATE TABLE children (id int AUTO_INCREMENT PRIMARY KEY, parent_id int, note text, CONSTRAINT children_parent FOREIGN KEY (parent_id) REFERENCES parents(id)) ENGINE=InnoDB;
CREATE TABLE cascading (id int AUTO_INCREMENT PRIMARY KEY, parent_id int NOT NULL, FOREIGN KEY (parent_id) REFERENCES parents(id) ON DELETE CASCADE) ENGINE=InnoDB;
CREATE TABLE cascading_grandchildren (id int AUTO_INCREMENT PRIMARY KEY, cascading_id int NOT NULL, FOREIGN KEY (cascading_id) REFERENCES cascading(id) ON DELETE CASCADE) ENGINE=InnoDB;
`;

/** 3,000 parents: even ids are 40 days old (match), odd ids 10 days (keep); every 7th is referenced. */
const SEED = `
INSERT INTO parents (id, created_at, pinned)
  SELECT seq, UTC_TIMESTAMP(3) - INTERVAL IF(seq % 2 = 0, 40, 10) DAY, seq % 100 = 0 FROM seq_1_to_3000;
INSERT INTO children (parent_id, note) SELECT seq, 'keeps its parent' FROM seq_7_to_3000_step_7;
INSERT INTO cascading (parent_id) SELECT seq FROM seq_5_to_3000_step_5;
INSERT INTO cascading_grandchildren (cascading_id) SELECT id FROM cascading WHERE parent_id % 10 = 0;
`;

function expected() {
  const deleted: number[] = [];
  const failed: number[] = [];
  for (let id = 1; id <= 3000; id++) {
    if (id % 2 !== 0 || id % 100 === 0) continue;
    (id % 7 === 0 ? failed : deleted).push(id);
  }
  const cascaded = deleted.filter((id) => id % 5 === 0).length + deleted.filter((id) => id % 10 === 0).length;
  return { deleted, failed, cascaded };
}

const JOB = `
name: purge-parents
target: app
queries:
  - entity: parents
    where:
      all:
        - { field: created_at, olderThan: 30d }
        - { field: pinned, op: eq, value: false }
notify: { to: [ops@example.com] }
limits: { batchSize: 100 }
`;

async function count(db: Knex, table: string): Promise<number> {
  const row = (await db(table).count({ n: '*' }).first()) as { n: number | string };
  return Number(row.n);
}

/** Polls `probe` until it returns a value other than undefined, or fails after `ms`. */
async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describeMariadb('runner on MySQL (MariaDB target, SQLite state store)', () => {
  let ws: MariadbWorkspace;
  let app: App;

  beforeEach(async () => {
    ws = await createMariadbWorkspace(SCHEMA);
    await ws.target.raw(SEED);
    ws.writeJob('purge-parents', JOB);
    app = await ws.open();
  });
  afterEach(async () => {
    await app.close();
    await ws.close();
  });

  it('deletes exactly the matching set, isolates each ER_ROW_IS_REFERENCED_2 failure as a failure record, and counts cascaded rows', async () => {
    const before =
      (await count(ws.target, 'cascading')) + (await count(ws.target, 'cascading_grandchildren'));
    const runId = await createManualRun(app, 'purge-parents', 'test');
    const run = await executeRun(runId, runnerDeps(app), new AbortController().signal);
    const want = expected();

    expect(run).toMatchObject({
      status: 'completed_with_failures',
      deleted: want.deleted.length,
      failed: want.failed.length,
    });
    const remaining = new Set((await ws.target('parents').pluck('id')) as number[]);
    for (const id of want.deleted) expect(remaining.has(id)).toBe(false);
    for (const id of want.failed) expect(remaining.has(id)).toBe(true);
    expect(remaining.size).toBe(3000 - want.deleted.length);

    const failures = await app.store.failures.list({ run: runId });
    expect(failures.map((f) => Number(f.key)).sort((a, b) => a - b)).toEqual(want.failed);
    expect(new Set(failures.map((f) => f.code))).toEqual(new Set(['ER_ROW_IS_REFERENCED_2']));
    expect(failures[0]!.message).toMatch(
      /^Cannot delete or update a parent row: a foreign key constraint fails \(.*`children`, CONSTRAINT `children_parent` FOREIGN KEY \(`parent_id`\) REFERENCES `parents` \(`id`\)\)$/,
    );

    const [q] = await app.store.runs.queries(runId);
    expect(q).toMatchObject({
      entity: 'parents',
      matched: want.deleted.length + want.failed.length,
      deleted: want.deleted.length,
      failed: want.failed.length,
      cascaded: want.cascaded,
    });
    const after = (await count(ws.target, 'cascading')) + (await count(ws.target, 'cascading_grandchildren'));
    expect(before - after).toBe(want.cascaded);
  });

  it('preview predicts exactly what the run then does, and deletes nothing', async () => {
    const want = expected();
    const preview = await previewJob(app.jobs[0]!, app.targets, new Date());
    const failedCascades =
      want.failed.filter((id) => id % 5 === 0).length + want.failed.filter((id) => id % 10 === 0).length;
    expect(preview.queries).toEqual([
      {
        index: 0,
        entity: 'parents',
        matched: want.deleted.length + want.failed.length,
        sample: [2, 4, 6, 8, 10],
        cascaded: want.cascaded + failedCascades,
        cascadeDepth: 2,
        cascadedComplete: true,
        predictedFailures: want.failed.length,
      },
    ]);
    expect(await count(ws.target, 'parents')).toBe(3000);
  });

  it('a run stopped mid-way resumes from its checkpoint and deletes exactly the matching set, counted once', async () => {
    const runId = await createManualRun(app, 'purge-parents', 'test');
    const controller = new AbortController();
    let batches = 0;
    const checkpoint = app.store.runs.checkpoint.bind(app.store.runs);
    app.store.runs.checkpoint = async (c, now) => {
      await checkpoint(c, now);
      if (++batches === 5) controller.abort('shutdown');
    };
    const stopped = await executeRun(runId, runnerDeps(app), controller.signal);
    app.store.runs.checkpoint = checkpoint;
    expect(stopped.status).toBe('interrupted');
    const resumed = await executeRun(runId, runnerDeps(app), new AbortController().signal);
    const want = expected();
    expect(resumed).toMatchObject({
      status: 'completed_with_failures',
      deleted: want.deleted.length,
      failed: want.failed.length,
      asOf: stopped.asOf,
    });
    expect(await count(ws.target, 'parents')).toBe(3000 - want.deleted.length);
  });

  it('a batch that waits on a row lock past innodb_lock_wait_timeout (1205) is retried, and deletes everything once the lock is gone', async () => {
    const holder = await ws.target.client.acquireConnection();
    const runQuery = (sql: string): Promise<void> =>
      new Promise((resolve, reject) =>
        holder.query(sql, (error: Error | null) => (error ? reject(error) : resolve())),
      );
    let released = false;
    try {
      await runQuery('START TRANSACTION');
      await runQuery('SELECT id FROM parents WHERE id = 2 FOR UPDATE');
      const runId = await createManualRun(app, 'purge-parents', 'test');
      const running = executeRun(runId, runnerDeps(app), new AbortController().signal);
      // The batch's DELETE as the server lists it: how long it has been waiting, in ms.
      const deleteWaiting = async (): Promise<number | undefined> => {
        const [rows] = (await ws.target.raw(
          "SELECT time_ms FROM information_schema.processlist WHERE db = DATABASE() AND info LIKE 'delete%'",
        )) as [{ time_ms: string }[]];
        return rows[0] === undefined ? undefined : Number(rows[0].time_ms);
      };
      await waitFor('the batch to wait on the row lock', deleteWaiting);
      // The wait ends with error 1205 after the session's 5 s; the retry runs the DELETE again, so
      // the time the server shows for it starts over.
      let longest = 0;
      await waitFor(
        'the DELETE to be retried after the lock wait timeout',
        async () => {
          const ms = await deleteWaiting();
          if (ms === undefined) return undefined;
          if (longest >= 4000 && ms < longest) return ms;
          longest = Math.max(longest, ms);
          return undefined;
        },
        30_000,
      );
      await runQuery('ROLLBACK');
      released = true;
      const run = await running;
      const want = expected();
      expect(run).toMatchObject({
        status: 'completed_with_failures',
        deleted: want.deleted.length,
        failed: want.failed.length,
      });
      expect(
        (await app.store.failures.list({ run: runId })).every((f) => f.code === 'ER_ROW_IS_REFERENCED_2'),
      ).toBe(true);
    } finally {
      if (!released) await runQuery('ROLLBACK').catch((error: unknown) => console.error(error));
      await ws.target.client.releaseConnection(holder);
    }
  });
});

describeMariadb('runner on MySQL: record errors and failures MySQL raises its own way', () => {
  let ws: MariadbWorkspace | undefined;
  let app: App | undefined;

  afterEach(async () => {
    await app?.close();
    await ws?.close();
    app = undefined;
    ws = undefined;
  });

  const job = (where = '{ field: closed_at, olderThan: 30d }') => `
name: purge-accounts
target: app
queries:
  - entity: accounts
    where: ${where}
notify: { on: never }
limits: { batchSize: 50 }
`;

  it('a trigger that SIGNALs and a CHECK constraint a trigger violates are isolated per record with their own codes', async () => {
    ws = await createMariadbWorkspace(`
      CREATE TABLE accounts (id bigint PRIMARY KEY, closed_at datetime NOT NULL, locked boolean NOT NULL DEFAULT false) ENGINE=InnoDB;
      CREATE TABLE deletions (account_id bigint PRIMARY KEY, CONSTRAINT not_thirteen CHECK (account_id % 13 <> 0)) ENGINE=InnoDB;
      CREATE TRIGGER accounts_guard BEFORE DELETE ON accounts FOR EACH ROW BEGIN
        IF OLD.locked THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'account is locked'; END IF;
        INSERT INTO deletions (account_id) VALUES (OLD.id);
      END;
      INSERT INTO accounts (id, closed_at, locked) SELECT seq, UTC_TIMESTAMP() - INTERVAL 40 DAY, seq % 11 = 0 FROM seq_1_to_300;
    `);
    ws.writeJob('purge-accounts', job());
    app = await ws.open();
    const runId = await createManualRun(app, 'purge-accounts', 'test');
    const run = await executeRun(runId, runnerDeps(app), new AbortController().signal);
    const locked = Array.from({ length: 300 }, (_, i) => i + 1).filter((id) => id % 11 === 0);
    const thirteen = Array.from({ length: 300 }, (_, i) => i + 1).filter(
      (id) => id % 13 === 0 && id % 11 !== 0,
    );
    expect(run).toMatchObject({
      status: 'completed_with_failures',
      failed: locked.length + thirteen.length,
      deleted: 300 - locked.length - thirteen.length,
    });
    const failures = await app.store.failures.list({ run: runId });
    const byCode = (code: string) =>
      failures
        .filter((f) => f.code === code)
        .map((f) => Number(f.key))
        .sort((a, b) => a - b);
    expect(byCode('ER_SIGNAL_EXCEPTION')).toEqual(locked);
    expect(byCode('ER_CONSTRAINT_FAILED')).toEqual(thirteen);
    expect(failures.find((f) => f.code === 'ER_SIGNAL_EXCEPTION')!.message).toBe('account is locked');
    expect(await count(ws.target, 'accounts')).toBe(locked.length + thirteen.length);
  });

  it('a connection killed mid-batch ("server has gone away") fails the run with its reason and deletes nothing more', async () => {
    ws = await createMariadbWorkspace(`
      CREATE TABLE accounts (id bigint PRIMARY KEY, closed_at datetime NOT NULL) ENGINE=InnoDB;
      CREATE TRIGGER accounts_slow BEFORE DELETE ON accounts FOR EACH ROW BEGIN
        IF OLD.id = 120 THEN DO SLEEP(120); END IF;
      END;
      INSERT INTO accounts (id, closed_at) SELECT seq, UTC_TIMESTAMP() - INTERVAL 40 DAY FROM seq_1_to_300;
    `);
    ws.writeJob('purge-accounts', job());
    app = await ws.open();
    const runId = await createManualRun(app, 'purge-accounts', 'test');
    const running = executeRun(runId, runnerDeps(app), new AbortController().signal);
    const target = ws.target;
    const sleeper = await waitFor('the batch to sleep in the trigger', async () => {
      const [rows] = (await target.raw(
        "SELECT id FROM information_schema.processlist WHERE state = 'User sleep' AND db = DATABASE()",
      )) as [{ id: number }[]];
      return rows[0]?.id;
    });
    await target.raw(`KILL CONNECTION ${Number(sleeper)}`);
    const run = await running;
    expect(run.status).toBe('failed');
    expect(run.reason).toMatch(/Connection lost|server closed the connection|gone away/i);
    // Batches before the one killed committed; the killed one rolled back.
    expect(await count(ws.target, 'accounts')).toBe(300 - 100);
    expect(run.deleted).toBe(100);
  });
});

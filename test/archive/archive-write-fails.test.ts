import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { App } from '../../src/app';
import { executeRun } from '../../src/runner/execute-run';
import { createManualRun } from '../../src/runner/manual-run';
import { runnerDeps } from '../../src/runner/runner-deps';
import { TEST_DATABASES } from '../support/dialects';
import { createArchiveWorkspace, type ArchiveWorkspace } from './archive-workspace';
import { JOB, SCHEMA, seed, snapshot } from './fixture';

/**
 * The files form when its file cannot take the lines: the batch fails before its delete commits, so
 * no record goes without its archived line.
 */
describe('appending to an archive file', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'sweeper-short-write-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  // A file size limit (ulimit -f, in 1024-byte blocks) makes the system take only part of a write, as
  // a nearly full disk does; SIGXFSZ ignored, the write after it fails with EFBIG instead of killing.
  it('writes again what the system did not take, and fails when the system refuses the rest, cutting the file back (a short write is never taken for all)', () => {
    const file = path.join(dir, 'run-1-users.jsonl.gz');
    const helper = path.join(__dirname, 'short-write-helper.ts');
    const out = spawnSync('bash', ['-c', `trap '' XFSZ; ulimit -f 1; exec "${process.execPath}" --import tsx "${helper}" "${file}" 4096`], { encoding: 'utf8' });
    expect({ stdout: out.stdout.trim(), stderr: out.stderr }).toEqual({ stdout: 'rejected EFBIG', stderr: '' });
    // What the system took of it is cut off again: a later append must not follow a gzip member cut short.
    expect(statSync(file).size).toBe(0);
  });

  it('writes every byte where the system takes them all', () => {
    const file = path.join(dir, 'run-1-users.jsonl.gz');
    const out = spawnSync(process.execPath, ['--import', 'tsx', path.join(__dirname, 'short-write-helper.ts'), file, '100000'], { encoding: 'utf8' });
    expect(out.stdout.trim()).toBe('resolved');
    expect(statSync(file).size).toBe(100000);
  });
});

describe.each(TEST_DATABASES.map((d) => d.name))('an archive file that cannot be written, on %s', (dialect) => {
  let ws: ArchiveWorkspace;
  let app: App;
  beforeEach(async () => {
    ws = await createArchiveWorkspace(dialect, SCHEMA);
    await seed(ws);
    ws.writeJob('purge', JOB('archive: { dir: archive, format: jsonl }', 13));
  });
  afterEach(async () => {
    await app.close();
    await ws.close();
  });

  it('fails the run with the file named and the system error, deleting nothing of the batch', async () => {
    const before = await snapshot(ws);
    app = await ws.open();
    const runId = await createManualRun(app, 'purge', 'test');
    // A folder where the run's file of orders (the first query) goes: opening it to append fails (EISDIR).
    const file = path.join(ws.dir, 'archive', 'purge', `run-${runId}-orders.jsonl.gz`);
    mkdirSync(file, { recursive: true });
    const run = await executeRun(runId, runnerDeps(app), new AbortController().signal);
    expect(run).toMatchObject({ status: 'failed', deleted: 0 });
    expect(run.reason).toContain('EISDIR');
    expect(run.reason).toContain(file);
    expect(await snapshot(ws)).toEqual(before);
  });
});

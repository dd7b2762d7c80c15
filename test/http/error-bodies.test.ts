import { messageRedactor } from '../../src/http/redact';
import { OPERATOR_TOKEN, startStack, type ErrorBody, type Stack } from './harness';

/** Something that looks like an absolute path on this host (POSIX or Windows). */
const ABSOLUTE_PATH =
  /(^|[\s"'(=])(\/(tmp|var|home|Users|private|work|etc|usr|opt|root|srv|data)\b|[A-Za-z]:\\)/;

describe('HTTP error bodies reveal no server paths or SQL', () => {
  let stack: Stack;
  beforeEach(async () => {
    stack = await startStack();
  });
  afterEach(async () => {
    await stack.stop();
  });

  it('answers 404 for an unknown job without the jobs folder path', async () => {
    for (const [method, path] of [
      ['POST', '/api/jobs/nope/run'],
      ['POST', '/api/jobs/nope/pause'],
      ['POST', '/api/jobs/nope/resume'],
      ['GET', '/api/jobs/nope'],
    ] as const) {
      const res = await stack.call<ErrorBody>(method, path, { token: OPERATOR_TOKEN });
      expect([path, res.status, res.body.error.code]).toEqual([path, 404, 'NOT_FOUND']);
      expect(res.body.error.message).toContain('no job named "nope"');
      expect(res.body.error.message).not.toContain(stack.ws.dir);
      expect(res.body.error.message).not.toMatch(ABSOLUTE_PATH);
    }
  });
});

describe('messageRedactor', () => {
  const redact = messageRedactor('/srv/sweeper/config/sweeper.yaml');

  it('writes paths under the config folder relative to it, and hides the others', () => {
    expect(redact('no job named "x" in /srv/sweeper/config/jobs (jobs: a, b)')).toBe(
      'no job named "x" in jobs (jobs: a, b)',
    );
    expect(redact('target "app": file "/var/lib/app.db" does not exist')).toBe(
      'target "app": file "<server path>" does not exist',
    );
    expect(redact('cannot open C:\\data\\app.db: busy')).toBe('cannot open <server path>: busy');
    expect(redact('in /srv/sweeper/config/')).toBe('in the config folder');
  });

  it('leaves routes and durations alone', () => {
    const text = 'no job named "x": list jobs with "sweeper jobs" or GET /api/jobs; limit 5/10, 30d';
    expect(redact(text)).toBe(text);
  });

  it('drops SQL a driver error carries, and passwords in connection URLs', () => {
    expect(
      redact(
        'target "crm": cannot read its schema: select "table_name" from "information_schema"."tables" where "table_schema" = current_schema() - connect ECONNREFUSED 127.0.0.1:5432',
      ),
    ).toBe(
      'target "crm": cannot read its schema: (SQL in the daemon\'s log) connect ECONNREFUSED 127.0.0.1:5432',
    );
    expect(redact('cannot connect to postgres://sweeper:s3cret@db.internal:5432/crm: timeout')).toBe(
      'cannot connect to postgres://***@db.internal:5432/crm: timeout',
    );
  });
});

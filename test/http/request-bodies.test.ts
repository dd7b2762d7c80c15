import { OPERATOR_TOKEN, startStack, type ErrorBody, type Stack } from './harness';

describe('HTTP API request bodies on control routes', () => {
  let stack: Stack;
  const pause = (headers: Record<string, string>, body?: string) =>
    stack.raw('POST', '/api/jobs/purge-parents/pause', {
      headers: { authorization: `Bearer ${OPERATOR_TOKEN}`, ...headers },
      body,
    });

  beforeEach(async () => {
    stack = await startStack();
  });
  afterEach(async () => {
    await stack.stop();
  });

  it('accepts an empty body whatever its content type (curl -d "" sends a form type)', async () => {
    for (const type of [
      'application/x-www-form-urlencoded',
      'text/plain',
      'text/plain;charset=UTF-8',
      'multipart/form-data; boundary=x',
      'application/octet-stream',
      'application/json',
      'application/json; charset=utf-8',
      '',
    ]) {
      const res = await pause({ 'content-type': type, 'content-length': '0' });
      expect([type, res.status, res.body]).toEqual([
        type,
        200,
        expect.objectContaining({ message: 'job purge-parents paused' }),
      ]);
      expect((await pause({ 'content-type': type }, '')).status).toBe(200);
    }
    // Chunked with no chunks is an empty body too.
    expect((await pause({ 'content-type': 'text/plain', 'transfer-encoding': 'chunked' }, '')).status).toBe(
      200,
    );
    expect((await pause({})).status).toBe(200);
  });

  it('refuses a non-empty body that is not JSON with 415 and a hint, and does not read it as JSON', async () => {
    for (const [type, body] of [
      ['text/plain', '{"reason":"looks like JSON"}'],
      ['application/x-www-form-urlencoded', 'reason=x'],
      ['multipart/form-data; boundary=x', '--x\r\n\r\nreason\r\n--x--'],
    ] as const) {
      const res = await pause({ 'content-type': type }, body);
      expect([type, res.status]).toEqual([type, 415]);
      expect((res.body as ErrorBody).error).toEqual({
        code: 'UNSUPPORTED_MEDIA_TYPE',
        message: `Content-Type "${type}" is not accepted: send the body as JSON with "Content-Type: application/json", or send no body`,
      });
    }
    const untyped = await pause({}, '{"reason":"x"}');
    expect([untyped.status, (untyped.body as ErrorBody).error.message]).toEqual([
      415,
      'a body without a Content-Type is not accepted: send the body as JSON with "Content-Type: application/json", or send no body',
    ]);
    expect(await stack.app.store.jobs.events('purge-parents')).toEqual([]);
    const json = await pause({ 'content-type': 'application/json' }, '{"reason":"as JSON"}');
    expect(json.status).toBe(200);
    expect((await stack.app.store.jobs.events('purge-parents'))[0]).toMatchObject({ reason: 'as JSON' });
  });
});

import { Daemon } from '../../src/daemon';
import { CRON_JOB_SCHEMA, cronJob } from '../support/cron-job';
import { createWorkspace } from '../support/workspace';


describe('what a daemon start reads from the state store', () => {
  it('says how many jobs it scheduled and the first next run without reading their definitions', async () => {
    const ws = createWorkspace(CRON_JOB_SCHEMA);
    ws.writeJob('a', cronJob('a', '0 3 * * *'));
    ws.writeJob('b', cronJob('b', '0 4 * * *'));
    const app = await ws.open();
    const infos: { fields: Record<string, unknown>; message: string }[] = [];
    const info = app.logger.info.bind(app.logger);
    app.logger.info = ((fields: Record<string, unknown>, message: string) => {
      infos.push({ fields, message });
      info(fields, message);
    }) as typeof app.logger.info;
    // The whole rows, definitions and all: 10,000 jobs' worth at a start of that many.
    const list = jest.spyOn(app.store.jobs, 'list');
    const daemon = new Daemon(app);
    try {
      await daemon.start();
      expect(list).not.toHaveBeenCalled();
      const scheduled = infos.find((i) => /jobs scheduled/.test(i.message))!;
      const first = (await app.store.jobs.listing()).map((j) => j.nextRunAt!).sort((x, y) => x.getTime() - y.getTime())[0]!;
      expect(scheduled.fields).toMatchObject({ jobs: 2, added: 2, nextRunAt: first.toISOString() });
      expect(scheduled.message).toBe(`2 jobs scheduled; the first next run ${first.toISOString()}`);
    } finally {
      await daemon.stop();
    }
  });
});

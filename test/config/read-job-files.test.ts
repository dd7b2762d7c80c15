import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { JobFileCache } from '../../src/config/job-file-cache';
import { loadConfig, loadJobFiles } from '../../src/config/load';
import { readJobFilesThroughCache } from '../../src/config/read-job-files';
import { jobFileValue } from '../../src/config/job-file-value';
import { JobFileValueWorker } from '../../src/config/job-file-value-worker';
import * as yamlFile from '../../src/config/yaml-file';
import * as yamlValue from '../../src/config/yaml-value';
import { BASE, folder, job } from './config-files';

const ALL = '  - { entity: t, allRecords: true }';

/** Valid files and every kind of problem, the odd ones out among `count` files. */
function files(count: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < count; i++) out[`j${String(i).padStart(4, '0')}.yaml`] = job(`j${i}`, ALL, `cron: "${i % 60} ${i % 24} * * *"\n`);
  Object.assign(out, {
    'bad-yaml.yaml': 'name: x\n  target: [\n',
    'bad-field.yaml': job('bad-field', ALL, 'catchUp: sometimes\n'),
    'bad-cron.yaml': job('bad-cron', ALL, 'cron: "61 * * * *"\n'),
    'deep.yaml': job('deep', ALL, `description: ${'['.repeat(200)}${']'.repeat(200)}\n`),
    'alias.yaml': 'name: alias\ntarget: app\nqueries:\n  - &q { entity: t, allRecords: true }\n  - *q\n',
    'alias-bad.yaml': `base: &q\n  - { entity: t, allRecords: true }\nname: alias-bad\ntarget: app\nqueries: *q\n`,
    'proto.yaml': job('proto', ALL, '__proto__: { polluted: true }\n'),
    'variable.yaml': job('variable', ALL, 'description: ${DESCRIPTION}\n'),
    'duplicate.yaml': job('j7', ALL),
    'list.yaml': '- a\n- b\n',
  });
  return out;
}

describe('reading the job files with the YAML parsed and validated in a worker thread', () => {
  it('gives what loadJobFiles gives, file by file, and the files are parsed and validated in the worker', async () => {
    const configFile = folder(BASE, files(450));
    writeFileSync(path.join(path.dirname(configFile), 'jobs', 'big.yaml'), `${job('big', ALL)}# ${'x'.repeat(1024 * 1024)}\n`);
    const config = loadConfig(configFile, {});
    const env = { DESCRIPTION: 'from the environment' };
    const expected = loadJobFiles(config, env);
    const parses = jest.spyOn(yamlValue, 'parseYamlValue');
    const validations = jest.spyOn(yamlFile, 'validateYamlValue');
    try {
      const cache = JobFileCache.empty();
      const results = await readJobFilesThroughCache(config, env, cache);
      expect(results).toEqual(expected);
      expect(results.filter((r) => r.problems.length > 0).map((r) => path.basename(r.file))).toEqual(['alias-bad.yaml', 'bad-cron.yaml', 'bad-field.yaml', 'bad-yaml.yaml', 'big.yaml', 'deep.yaml', 'j0007.yaml', 'list.yaml', 'proto.yaml']);
      // In this thread, none of the 460 files read (the large one is refused by its size, unparsed).
      expect(parses).toHaveBeenCalledTimes(availableParallelism() < 2 ? 460 : 0);
      // Nor validated against the job schema here (with one CPU, every one that parses as a mapping is).
      if (availableParallelism() >= 2) expect(validations).not.toHaveBeenCalled();
      expect(cache.takeFresh().size).toBe(461);
    } finally {
      parses.mockRestore();
      validations.mockRestore();
    }
  });

  it('a batch still in the worker when it is closed is read in this thread, to the same values', async () => {
    const reader = new JobFileValueWorker();
    const env = { DESCRIPTION: 'from the environment' };
    const texts = Object.entries(files(20)).map(([name, text]) => ({ text, displayName: name }));
    const pending = reader.values(texts, env);
    await reader.close();
    expect(await pending).toEqual(texts.map((t) => jobFileValue(t.text, t.displayName, env)));
    expect(await reader.values(texts.slice(0, 2), env)).toEqual(texts.slice(0, 2).map((t) => jobFileValue(t.text, t.displayName, env)));
  });

  it('the worker reads `${VAR}` from the environment given, not its own', async () => {
    const reader = new JobFileValueWorker();
    try {
      const [value] = await reader.values([{ text: job('variable', ALL, 'description: ${DESCRIPTION}\n'), displayName: 'variable.yaml' }], { DESCRIPTION: 'given' });
      expect(value!.value?.description).toBe('given');
      expect(value!.usesVariables).toBe(true);
    } finally {
      await reader.close();
    }
  });
});

import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { JobFileCache } from '../../src/config/job-file-cache';
import { loadConfig, loadJobFiles } from '../../src/config/load';
import { readJobFilesThroughCache } from '../../src/config/read-job-files';
import { YamlParseWorker } from '../../src/config/yaml-parse-worker';
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

describe('reading the job files with the YAML parsed in a worker thread', () => {
  it('gives what loadJobFiles gives, file by file, and the files are parsed in the worker', async () => {
    const configFile = folder(BASE, files(450));
    writeFileSync(path.join(path.dirname(configFile), 'jobs', 'big.yaml'), `${job('big', ALL)}# ${'x'.repeat(1024 * 1024)}\n`);
    const config = loadConfig(configFile, {});
    const env = { DESCRIPTION: 'from the environment' };
    const expected = loadJobFiles(config, env);
    const parses = jest.spyOn(yamlValue, 'parseYamlValue');
    try {
      const cache = JobFileCache.empty();
      const results = await readJobFilesThroughCache(config, env, cache);
      expect(results).toEqual(expected);
      expect(results.filter((r) => r.problems.length > 0).map((r) => path.basename(r.file))).toEqual(['alias-bad.yaml', 'bad-cron.yaml', 'bad-field.yaml', 'bad-yaml.yaml', 'big.yaml', 'deep.yaml', 'j0007.yaml', 'list.yaml', 'proto.yaml']);
      // In this thread, none of the 460 files read (the large one is refused by its size, unparsed).
      expect(parses).toHaveBeenCalledTimes(availableParallelism() < 2 ? 460 : 0);
      expect(cache.takeFresh().size).toBe(461);
    } finally {
      parses.mockRestore();
    }
  });

  it('a batch still in the worker when it is closed is parsed in this thread, to the same values', async () => {
    const parser = new YamlParseWorker();
    const texts = Object.entries(files(20)).map(([name, text]) => ({ text, displayName: name }));
    const pending = parser.parse(texts);
    await parser.close();
    expect(await pending).toEqual(texts.map((t) => yamlValue.parseYamlValue(t.text, t.displayName)));
    expect(await parser.parse(texts.slice(0, 2))).toEqual(texts.slice(0, 2).map((t) => yamlValue.parseYamlValue(t.text, t.displayName)));
  });
});

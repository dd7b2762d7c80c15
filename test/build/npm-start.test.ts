import { execFile } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const root = path.resolve(__dirname, '../..');
const run = promisify(execFile);

/** Every file `npm run build` wrote, with its modification time. */
function written(dist: string): Map<string, number> {
  const files = new Map<string, number>();
  for (const entry of readdirSync(dist, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    files.set(path.relative(dist, file), statSync(file).mtimeMs);
  }
  return files;
}

/**
 * `npm start` builds before it starts (its prestart), and rebuilds only when a source changed (issue
 * 11: it used to recompile everything, about 38 s, on every start). Run in a copy of the project, as
 * `npm start` runs it: the prestart script, which also seeds the demo.
 */
describe('npm start', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'sweeper-build-'));
    for (const part of ['src', 'config', 'jobs', 'package.json', 'tsconfig.json', 'tsconfig.build.json']) cpSync(path.join(root, part), path.join(dir, part), { recursive: true });
    symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const prestart = () => run('npm', ['run', 'prestart'], { cwd: dir, env: { ...process.env, npm_config_loglevel: 'silent' } });

  it('builds on the first start; a start with no source changed writes nothing; a changed source rebuilds what changed', async () => {
    await prestart();
    const dist = path.join(dir, 'dist');
    const first = written(dist);
    expect(first.has('main.js')).toBe(true);

    await prestart();
    const unchanged = [...written(dist)].filter(([file, mtime]) => first.get(file) !== mtime).map(([file]) => file);
    expect(unchanged).toEqual([]);

    appendFileSync(path.join(dir, 'src/clock.ts'), '\n// changed by test/build/npm-start.test.ts\n');
    await prestart();
    expect(readFileSync(path.join(dist, 'clock.js'), 'utf8')).toContain('changed by test/build/npm-start.test.ts');
    const after = written(dist);
    expect(after.get('main.js')).toBe(first.get('main.js'));
  }, 300_000);
});

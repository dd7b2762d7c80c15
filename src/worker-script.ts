import path from 'node:path';
import { Worker } from 'node:worker_threads';

/**
 * A worker thread running one of Sweeper's scripts: `script`, the name without extension of a module
 * in the folder of `besideModule` (the caller's __filename). Built (dist/*.js) it is loaded as it is;
 * from the sources (tsx, ts-jest) it is a .ts file, which the worker loads through tsx's require hook
 * (a development dependency, there).
 */
export function startWorkerScript(besideModule: string, script: string): Worker {
  const file = path.join(path.dirname(besideModule), `${script}${path.extname(besideModule)}`);
  if (file.endsWith('.js')) return new Worker(file);
  const bootstrap = `require(${JSON.stringify(require.resolve('tsx/cjs'))}); require(${JSON.stringify(file)});`;
  return new Worker(bootstrap, { eval: true });
}

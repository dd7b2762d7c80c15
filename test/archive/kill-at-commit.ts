/**
 * A child process for test/archive/sigkill.test.ts: executes run <runId> of the config <configFile>
 * and SIGKILLs itself at a hook, for real:
 * - `commit`: inside the batch's target transaction, after its archive INSERT and its DELETE, just
 *   before the COMMIT (the runner records the part about to commit: setInflightParts, or setInflight
 *   with its parts for a batch by physical range);
 * - `checkpoint`: after the batch committed, before its checkpoint is stored.
 * `nth` says at which call of the hook.
 */
import pino from 'pino';
import { openApp } from '../../src/app';
import { systemClock } from '../../src/clock';
import { executeRun } from '../../src/runner/execute-run';
import { runnerDeps } from '../../src/runner/runner-deps';

async function main(): Promise<void> {
  const [configFile, runIdText, hook, nthText] = process.argv.slice(2);
  const app = await openApp({
    configFile: configFile!,
    env: {},
    clock: systemClock,
    logger: pino({ level: 'silent' }),
    checkTargets: false,
  });
  const runs = app.store.runs as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  // Just before a COMMIT the runner records the part about to commit: setInflightParts for a batch of
  // known keys, setInflight with the parts for a batch by physical range (its keys come with the part).
  const methods = hook === 'commit' ? ['setInflightParts', 'setInflight'] : ['checkpoint'];
  const atHook = (method: string, args: unknown[]) => method !== 'setInflight' || (args[0] as { parts?: unknown }).parts !== undefined;
  let calls = 0;
  for (const method of methods) {
    const original = runs[method]!.bind(app.store.runs);
    runs[method] = async (...args: unknown[]) => {
      if (atHook(method, args) && ++calls === Number(nthText)) {
        process.stdout.write(`killing at ${hook} ${calls}\n`);
        process.kill(process.pid, 'SIGKILL');
        await new Promise(() => undefined);
      }
      return original(...args);
    };
  }
  await executeRun(Number(runIdText), runnerDeps(app), new AbortController().signal);
  process.stdout.write('run ended without being killed\n');
  await app.close();
}

void main();

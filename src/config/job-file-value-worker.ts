import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { toError } from '../errors';
import { startWorkerScript } from '../worker-script';
import { jobFileValue, type JobFileValue } from './job-file-value';

type Env = Record<string, string | undefined>;

/** A job file's text, and the name its problems are reported under. */
export interface JobFileText {
  text: string;
  displayName: string;
}

export interface JobFileValueRequest {
  id: number;
  texts: JobFileText[];
  env: Env;
}

export type JobFileValueReply = { id: number; values: JobFileValue[] } | { id: number; error: string };

/**
 * Parses and validates batches of job file texts in a worker thread of its own
 * (job-file-value-thread.ts) while the caller goes on (reads more files, checks the ones read against
 * the config): a start that reads 10,000 job files spends the YAML parser's and the schema's time on a
 * second core. The worker starts with the first batch. Where it cannot help or cannot run (one CPU, the
 * worker failed or could not start) a batch is read in this thread, by the same function: the values
 * and problems are the same either way (plain data, copied between the threads).
 */
export class JobFileValueWorker {
  private worker: Worker | null = null;
  private failed = availableParallelism() < 2;
  private readonly pending = new Map<number, { texts: JobFileText[]; env: Env; settle(read: () => JobFileValue[]): void }>();
  private nextId = 1;

  /** The values or problems of `texts`, with `${VAR}` from `env`, in order (rejects only with what reading them here throws). */
  values(texts: JobFileText[], env: Env): Promise<JobFileValue[]> {
    const worker = this.started();
    if (!worker) return Promise.resolve(readHere(texts, env));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const settle = (read: () => JobFileValue[]) => {
        try {
          resolve(read());
        } catch (error) {
          reject(toError(error));
        }
      };
      this.pending.set(id, { texts, env, settle });
      worker.postMessage({ id, texts, env } satisfies JobFileValueRequest);
    });
  }

  /** Stops the worker; batches not answered yet are read in this thread. */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    this.failed = true;
    this.readPendingHere();
    await worker?.terminate();
  }

  private started(): Worker | null {
    if (this.worker || this.failed) return this.worker;
    try {
      const worker = startWorkerScript(__filename, 'job-file-value-thread');
      worker.on('message', (reply: JobFileValueReply) => this.answer(reply));
      // A worker that failed gives its batches back to this thread.
      const fail = () => {
        if (this.worker !== worker) return;
        this.worker = null;
        this.failed = true;
        this.readPendingHere();
      };
      worker.on('error', fail);
      worker.on('exit', fail);
      this.worker = worker;
    } catch {
      // No worker (no thread left, no script): the batches are read here, to the same values.
      this.failed = true;
    }
    return this.worker;
  }

  private answer(reply: JobFileValueReply): void {
    const waiting = this.pending.get(reply.id);
    if (!waiting) return;
    this.pending.delete(reply.id);
    // A batch the worker could not read is read here: what that throws is the caller's.
    waiting.settle(() => ('values' in reply ? reply.values : readHere(waiting.texts, waiting.env)));
  }

  private readPendingHere(): void {
    for (const [id, waiting] of this.pending) {
      this.pending.delete(id);
      waiting.settle(() => readHere(waiting.texts, waiting.env));
    }
  }
}

function readHere(texts: JobFileText[], env: Env): JobFileValue[] {
  return texts.map((t) => jobFileValue(t.text, t.displayName, env));
}

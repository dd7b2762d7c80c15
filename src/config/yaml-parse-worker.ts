import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { toError } from '../errors';
import { startWorkerScript } from '../worker-script';
import { parseYamlValue, type ParsedYaml } from './yaml-value';

/** A YAML text to parse, and the name its problems are reported under. */
export interface YamlText {
  text: string;
  displayName: string;
}

export interface YamlParseRequest {
  id: number;
  texts: YamlText[];
}

export type YamlParseReply = { id: number; parsed: ParsedYaml[] } | { id: number; error: string };

/**
 * Parses batches of YAML texts in a worker thread of its own (yaml-parse-thread.ts) while the caller
 * goes on (reads more files, validates the ones parsed): a start that reads 10,000 job files parses
 * them on a second core. The worker starts with the first batch. Where it cannot help or cannot run
 * (one CPU, the worker failed or could not start) a batch is parsed in this thread, by the same
 * function: the values and problems are the same either way (plain data, copied between the threads).
 */
export class YamlParseWorker {
  private worker: Worker | null = null;
  private failed = availableParallelism() < 2;
  private readonly pending = new Map<number, { texts: YamlText[]; settle(parse: () => ParsedYaml[]): void }>();
  private nextId = 1;

  /** The values or problems of `texts`, in order (rejects only with what parsing them here throws). */
  parse(texts: YamlText[]): Promise<ParsedYaml[]> {
    const worker = this.started();
    if (!worker) return Promise.resolve(parseHere(texts));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const settle = (parse: () => ParsedYaml[]) => {
        try {
          resolve(parse());
        } catch (error) {
          reject(toError(error));
        }
      };
      this.pending.set(id, { texts, settle });
      worker.postMessage({ id, texts } satisfies YamlParseRequest);
    });
  }

  /** Stops the worker; batches not answered yet are parsed in this thread. */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    this.failed = true;
    this.parsePendingHere();
    await worker?.terminate();
  }

  private started(): Worker | null {
    if (this.worker || this.failed) return this.worker;
    try {
      const worker = startWorkerScript(__filename, 'yaml-parse-thread');
      worker.on('message', (reply: YamlParseReply) => this.answer(reply));
      // A worker that failed gives its batches back to this thread.
      const fail = () => {
        if (this.worker !== worker) return;
        this.worker = null;
        this.failed = true;
        this.parsePendingHere();
      };
      worker.on('error', fail);
      worker.on('exit', fail);
      this.worker = worker;
    } catch {
      // No worker (no thread left, no script): the batches are parsed here, to the same values.
      this.failed = true;
    }
    return this.worker;
  }

  private answer(reply: YamlParseReply): void {
    const waiting = this.pending.get(reply.id);
    if (!waiting) return;
    this.pending.delete(reply.id);
    // A batch the worker could not parse is parsed here: what that throws is the caller's.
    waiting.settle(() => ('parsed' in reply ? reply.parsed : parseHere(waiting.texts)));
  }

  private parsePendingHere(): void {
    for (const [id, waiting] of this.pending) {
      this.pending.delete(id);
      waiting.settle(() => parseHere(waiting.texts));
    }
  }
}

function parseHere(texts: YamlText[]): ParsedYaml[] {
  return texts.map((t) => parseYamlValue(t.text, t.displayName));
}

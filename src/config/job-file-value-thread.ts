/**
 * The worker thread that reads job file texts for job-file-value-worker.ts: each message is a batch of
 * texts and the environment, answered with each one's value or problems (jobFileValue), in order.
 */
import { parentPort } from 'node:worker_threads';
import { toError } from '../errors';
import type { JobFileValueReply, JobFileValueRequest } from './job-file-value-worker';
import { jobFileValue } from './job-file-value';

parentPort!.on('message', (request: JobFileValueRequest) => {
  let reply: JobFileValueReply;
  try {
    reply = { id: request.id, values: request.texts.map((t) => jobFileValue(t.text, t.displayName, request.env)) };
  } catch (error) {
    reply = { id: request.id, error: toError(error).message };
  }
  parentPort!.postMessage(reply);
});

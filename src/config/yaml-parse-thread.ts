/**
 * The worker thread that parses YAML texts for yaml-parse-worker.ts: each message is a batch of texts,
 * answered with each one's value or problems (parseYamlValue), in order.
 */
import { parentPort } from 'node:worker_threads';
import { toError } from '../errors';
import type { YamlParseReply, YamlParseRequest } from './yaml-parse-worker';
import { parseYamlValue } from './yaml-value';

parentPort!.on('message', (request: YamlParseRequest) => {
  let reply: YamlParseReply;
  try {
    reply = { id: request.id, parsed: request.texts.map((t) => parseYamlValue(t.text, t.displayName)) };
  } catch (error) {
    reply = { id: request.id, error: toError(error).message };
  }
  parentPort!.postMessage(reply);
});

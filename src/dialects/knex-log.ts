import { inspect } from 'node:util';
import type { Knex } from 'knex';

/**
 * knex's own log: it prints "Acquire connection error" with a stack trace on stderr, and then throws
 * the same error to the caller, which reports it with the target's or the store's name. Only that
 * duplicate is left out; knex's other warnings still reach stderr.
 */
export const knexLog: Knex.Config['log'] = {
  warn(message: unknown) {
    if (typeof message === 'string' && message.startsWith('Acquire connection error')) return;
    console.warn(`knex: ${typeof message === 'string' ? message : inspect(message)}`);
  },
};

import type { Knex } from 'knex';
import type { JobDefinition } from '../config/schema';
import { storedDefinition } from '../notify/notify-secrets';
import { definitionHash } from '../scheduler/job-registry';

/** Rows rewritten per statement batch: a store with 10,000 jobs is migrated in a few round trips each. */
const CHUNK = 500;

/**
 * Migration 0009: the state store forgets the webhook and Slack secrets it held (src/notify/notify-secrets.ts).
 * Outbox rows of a webhook or Slack message named their URL and the webhook's secret: they keep only
 * their job (from their run; the sender reads the rest from the job file). Stored job definitions and
 * versions lose the secret and the URLs' paths, and their hashes are those of the definitions kept
 * (a hash over a secret would let a dump test guesses of it).
 */
export async function forgetNotifySecrets(knex: Knex): Promise<void> {
  const posts = (await knex('outbox')
    .leftJoin('runs', 'runs.id', 'outbox.run_id')
    .whereNot('outbox.channel', 'email')
    .select('outbox.id as id', 'runs.job as job')) as { id: number; job: string | null }[];
  for (const p of posts)
    await knex('outbox')
      .where({ id: p.id })
      .update({ recipients: JSON.stringify({ job: p.job ?? null }) });

  for (const table of ['jobs', 'job_versions'] as const) {
    const keys = table === 'jobs' ? ['name'] : ['job', 'version'];
    let offset = 0;
    for (;;) {
      const rows = (await knex(table)
        .select(...keys, 'definition')
        .orderBy(keys)
        .limit(CHUNK)
        .offset(offset)) as Record<string, unknown>[];
      for (const row of rows) {
        const definition = JSON.parse(String(row.definition)) as JobDefinition;
        if (!definition.notify?.webhook && !definition.notify?.slack) continue;
        const kept = storedDefinition(definition);
        const where = Object.fromEntries(keys.map((k) => [k, row[k]]));
        await knex(table)
          .where(where)
          .update({ definition: JSON.stringify(kept), hash: definitionHash(kept) });
      }
      if (rows.length < CHUNK) break;
      offset += CHUNK;
    }
  }
}

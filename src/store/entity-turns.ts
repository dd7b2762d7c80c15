import type { Knex } from 'knex';

/**
 * Whose turn it is on a run's target entities, across processes: runs that wait for an entity are
 * served in the order they became due (their occurrence, or when a manual run was asked for).
 */

/** The waiting runs (queued or interrupted, of a job still scheduled and not paused) due before `run` that need one of `entities` (`target:entity`). */
export async function earlierWaitingRuns(db: Knex, runId: number, entities: string[]): Promise<number[]> {
  const me = (await db('runs').where({ id: runId }).first('scheduled_for', 'created_at')) as { scheduled_for: unknown; created_at: unknown } | undefined;
  if (!me || entities.length === 0) return [];
  const due = Number(me.scheduled_for ?? me.created_at);
  const run = { id: runId };
  const rows = (await db('runs as r')
    .join('run_queries as q', 'q.run_id', 'r.id')
    .join('jobs as j', 'j.name', 'r.job')
    .whereIn('r.status', ['queued', 'interrupted'])
    .whereNot('r.id', run.id)
    .whereNull('j.removed_at')
    .where('j.paused', false)
    .whereRaw(`j.target || ':' || q.entity in (${entities.map(() => '?').join(', ')})`, entities)
    .where((q) => {
      const dueOf = db.raw('coalesce(r.scheduled_for, r.created_at)');
      void q.where(dueOf, '<', due).orWhere((t) => void t.where(dueOf, '=', due).where('r.id', '<', run.id));
    })
    .distinct('r.id')
    .orderBy('r.id')) as { id: unknown }[];
  return rows.map((r) => Number(r.id));
}

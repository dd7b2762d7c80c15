/**
 * The triggers that tell other processes of a change they may act on at once (migration 0006). With a
 * store that can notify (Postgres), each fires `NOTIFY sweeper_wakeups, '<topic>'`, delivered when the
 * transaction commits (and never when it rolls back); with any other store it counts the change in the
 * `wakeups` table, which the processes poll.
 */
export const WAKEUP_TOPICS = ['entities', 'runs', 'jobs'] as const;
export type WakeupTopic = (typeof WAKEUP_TOPICS)[number];

/** The Postgres channel the triggers notify on. */
export const WAKEUP_CHANNEL = 'sweeper_wakeups';

interface TriggerSpec {
  name: string;
  topic: WakeupTopic;
  /** `AFTER ...` clause: event and table. */
  on: string;
  /** Optional condition on the changed row. */
  when?: string;
}

const TRIGGERS: TriggerSpec[] = [
  // An entity lease released: a run that waits for the entity may start.
  { name: 'sweeper_wakeup_entity_released', topic: 'entities', on: 'DELETE ON entity_leases' },
  // A run became waiting: requested now (CLI, HTTP of another daemon), or interrupted (its owner died).
  { name: 'sweeper_wakeup_run_created', topic: 'runs', on: 'INSERT ON runs', when: "NEW.status IN ('queued', 'interrupted')" },
  { name: 'sweeper_wakeup_run_waiting', topic: 'runs', on: 'UPDATE OF status ON runs', when: "NEW.status IN ('queued', 'interrupted') AND OLD.status <> NEW.status" },
  // A job resumed: its paused run continues.
  { name: 'sweeper_wakeup_job_resumed', topic: 'runs', on: 'UPDATE OF paused ON jobs', when: 'OLD.paused AND NOT NEW.paused' },
  // A job registered or changed (a new version, paused, postponed, its next occurrence moved).
  { name: 'sweeper_wakeup_job_created', topic: 'jobs', on: 'INSERT ON jobs' },
  { name: 'sweeper_wakeup_job_changed', topic: 'jobs', on: 'UPDATE ON jobs' },
];

const PG_FUNCTION = `CREATE OR REPLACE FUNCTION sweeper_wakeup() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('${WAKEUP_CHANNEL}', TG_ARGV[0]);
  RETURN NULL;
END $$`;

export function wakeupTriggers(notify: boolean): { create: string; drop: string }[] {
  const table = (t: TriggerSpec) => t.on.split(' ON ')[1]!;
  if (notify) {
    return [
      { create: PG_FUNCTION, drop: 'DROP FUNCTION IF EXISTS sweeper_wakeup() CASCADE' },
      ...TRIGGERS.map((t) => ({
        // Row-level: a statement that changes no row notifies nobody.
        create: `CREATE TRIGGER ${t.name} AFTER ${t.on} FOR EACH ROW${t.when ? ` WHEN (${t.when})` : ''} EXECUTE FUNCTION sweeper_wakeup('${t.topic}')`,
        drop: `DROP TRIGGER IF EXISTS ${t.name} ON ${table(t)}`,
      })),
    ];
  }
  return TRIGGERS.map((t) => ({
    create: `CREATE TRIGGER ${t.name} AFTER ${t.on}${t.when ? ` WHEN ${t.when}` : ''} BEGIN UPDATE wakeups SET seq = seq + 1 WHERE topic = '${t.topic}'; END`,
    drop: `DROP TRIGGER IF EXISTS ${t.name}`,
  }));
}

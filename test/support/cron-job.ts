/** A target schema of one table `t` (id, at), and a cron job file over it: the smallest job a start, reload or listing test needs. */
export const CRON_JOB_SCHEMA = 'CREATE TABLE t (id INTEGER PRIMARY KEY, at INTEGER NOT NULL);';

export const cronJob = (name: string, cron: string, extra = ''): string => `
name: ${name}
target: app
cron: "${cron}"
queries:
  - entity: t
    where: { field: at, olderThan: 1d }
${extra}`;

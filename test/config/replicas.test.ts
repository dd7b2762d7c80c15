import { loadAll, loadConfig } from '../../src/config/load';
import { folder, job, problemsOf } from './config-files';

/** A config whose target `shop` is MySQL with replicas (nothing connects: the files are only loaded). */
const WITH_REPLICAS = `state: { client: better-sqlite3, connection: { filename: state.db } }
targets:
  app: { client: mysql2, connection: "mysql://u@127.0.0.1/app", replicas: [ { name: r1, connection: "mysql://u@10.0.0.2/app" }, { connection: { host: 10.0.0.3 } } ] }
  plain: { client: pg, connection: "postgres://u@127.0.0.1/plain" }
jobs: jobs
`;
const QUERIES = '  - { entity: t, allRecords: true }';
const LAG = 'maxReplicaLag takes from 1s to 1d, e.g. "5s"';
const OUTAGE = 'maxReplicaOutage takes from 1s to 1d, e.g. "1m"';

describe('limits.maxReplicaLag and targets.NAME.replicas', () => {
  it('accepts a lag and an outage in every duration form, and the replicas as written', () => {
    const file = folder(WITH_REPLICAS, {
      'a.yaml': job('a', QUERIES, 'limits: { maxReplicaLag: 5s, maxReplicaOutage: 2m }\n'),
      'b.yaml': job('b', QUERIES, 'limits: { maxReplicaLag: PT1.5S, maxReplicaOutage: PT1H }\n'),
      'c.yaml': job('c', QUERIES, 'limits: { maxReplicaLag: 1d }\n'),
    });
    const { config, jobs } = loadAll(file, {});
    expect(jobs.map((j) => [j.limits.maxReplicaLag, j.limits.maxReplicaOutage])).toEqual([
      ['5s', '2m'],
      ['PT1.5S', 'PT1H'],
      ['1d', undefined],
    ]);
    expect(config.targets.app!.replicas).toEqual([{ name: 'r1', connection: 'mysql://u@10.0.0.2/app' }, { connection: { host: '10.0.0.3' } }]);
  });

  it('refuses durations out of range or not durations, each with the field and its range', () => {
    const file = folder(WITH_REPLICAS, {
      'a.yaml': job('a', QUERIES, 'limits: { maxReplicaLag: 500ms, maxReplicaOutage: 2d }\n'),
      'b.yaml': job('b', QUERIES, 'limits: { maxReplicaLag: -5s, maxReplicaOutage: soon }\n'),
      'c.yaml': job('c', QUERIES, 'limits: { maxReplicaLag: P2D }\n'),
    });
    expect(problemsOf(() => loadAll(file, {}))).toEqual([
      `a.yaml: limits.maxReplicaLag: "500ms" is too short: ${LAG}`,
      `a.yaml: limits.maxReplicaOutage: "2d" is too long: ${OUTAGE}`,
      `b.yaml: limits.maxReplicaLag: "-5s" is negative: a duration counts forward, write it without "-"; ${LAG}`,
      `b.yaml: limits.maxReplicaOutage: "soon" is not a duration: use a number with a unit (ms, s, m, h, d, w), e.g. "30d" or "1h30m", or ISO-8601 like "P30D"; ${OUTAGE}`,
      `c.yaml: limits.maxReplicaLag: "P2D" is too long: ${LAG}`,
    ]);
  });

  it('refuses a guard on a target that lists no replicas, and an outage without a lag', () => {
    const file = folder(WITH_REPLICAS, {
      'a.yaml': job('a', QUERIES, 'limits: { maxReplicaLag: 5s }\n').replace('target: app', 'target: plain'),
      'b.yaml': job('b', QUERIES, 'limits: { maxReplicaOutage: 1m }\n'),
    });
    expect(problemsOf(() => loadAll(file, {}))).toEqual([
      'a.yaml: limits.maxReplicaLag: target "plain" lists no replicas to watch: add targets.plain.replicas: [ { name: replica1, connection: ... } ] to the config, or remove maxReplicaLag',
      'b.yaml: limits.maxReplicaOutage: is set without limits.maxReplicaLag: add maxReplicaLag (e.g. "5s"), or remove maxReplicaOutage',
    ]);
  });

  it('refuses replicas on SQLite, an empty list, a replica without a connection and two replicas of one name', () => {
    const config = `state: { client: better-sqlite3, connection: { filename: state.db } }
targets:
  app: { client: better-sqlite3, connection: { filename: app.db }, replicas: [ { connection: { filename: copy.db } } ] }
  none: { client: mysql2, connection: "mysql://u@h/db", replicas: [] }
  bad: { client: mysql2, connection: "mysql://u@h/db", replicas: [ { name: r1, host: h2 } ] }
  twice: { client: pg, connection: "postgres://u@h/db", replicas: [ { name: r1, connection: "postgres://u@h2/db" }, { name: r1, connection: "postgres://u@h3/db" } ] }
jobs: jobs
`;
    const problems = problemsOf(() => loadConfig(folder(config), {}));
    expect(problems).toEqual(
      expect.arrayContaining([
        'sweeper.yaml: targets.none.replicas: list at least one replica, or leave replicas out',
        expect.stringMatching(/^sweeper\.yaml: targets\.bad\.replicas\[0\]\.connection: /),
        expect.stringMatching(/^sweeper\.yaml: targets\.bad\.replicas\[0\](\.host)?: .*host/),
      ]),
    );
    const valid = config.replace(/ {2}none:.*\n {2}bad:.*\n/, '');
    expect(problemsOf(() => loadConfig(folder(valid), {}))).toEqual([
      'sweeper.yaml: targets.app.replicas: SQLite has no replicas to watch: remove replicas from target "app" (maxReplicaLag watches MySQL, MariaDB and Postgres replicas)',
      'sweeper.yaml: targets.twice.replicas[1].name: "r1" names another replica of target "twice" too: give each replica its own name',
    ]);
  });
});

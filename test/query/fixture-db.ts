import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import { openTarget } from '../../src/targets/connect';
import { introspectTarget } from '../../src/targets/introspect';
import { DIALECT_OF, type TestDialect as Dialect } from '../support/dialects';

/**
 * The same small target on SQLite and Postgres. Times are stored the way each dialect's apps store
 * them: on SQLite ISO text (with T and Z, with a space, with an offset) and epoch seconds; on
 * Postgres timestamptz and timestamp without time zone. Both keep epoch milliseconds in integers.
 */
const DDL: Record<Dialect, string[]> = {
  sqlite: [
    'create table users (id integer primary key, email text not null, active boolean not null, created_at datetime, tags text)',
    'create table sessions (id text primary key, user_id integer references users(id) on delete cascade, last_seen_at datetime, pinned boolean not null default 0)',
    'create table session_events (id integer primary key, session_id text references sessions(id), created_at_ms integer)',
    'create table notes (id integer primary key, session_id text references sessions(id) on delete cascade, body text)',
    'create table memberships (org_id integer not null, user_id integer not null references users(id) on delete cascade, role text, primary key (org_id, user_id))',
    'create table audit_log (at text not null, message text not null, unique (at, message))',
  ],
  pg: [
    'create table users (id integer primary key, email text not null, active boolean not null, created_at timestamptz, tags text)',
    'create table sessions (id text primary key, user_id integer references users(id) on delete cascade, last_seen_at timestamp, pinned boolean not null default false)',
    'create table session_events (id integer primary key, session_id text references sessions(id), created_at_ms bigint)',
    'create table notes (id integer primary key, session_id text references sessions(id) on delete cascade, body text)',
    'create table memberships (org_id integer not null, user_id integer not null references users(id) on delete cascade, role text, primary key (org_id, user_id))',
    'create table audit_log (at text not null, message text not null, unique (at, message))',
  ],
  // MySQL: TIMESTAMP and DATETIME (UTC wall time); BOOLEAN is TINYINT(1); foreign keys as table
  // constraints (MySQL ignores REFERENCES written on a column); text keys in utf8mb4.
  mysql: [
    'create table users (id integer primary key, email varchar(255) not null, active boolean not null, created_at timestamp(3) null, tags text)',
    'create table sessions (id varchar(64) primary key, user_id integer, last_seen_at datetime, pinned boolean not null default false, foreign key (user_id) references users(id) on delete cascade)',
    'create table session_events (id integer primary key, session_id varchar(64), created_at_ms bigint, foreign key (session_id) references sessions(id))',
    'create table notes (id integer primary key, session_id varchar(64), body text, foreign key (session_id) references sessions(id) on delete cascade)',
    'create table memberships (org_id integer not null, user_id integer not null, role text, primary key (org_id, user_id), foreign key (user_id) references users(id) on delete cascade)',
    'create table audit_log (at varchar(64) not null, message varchar(255) not null, unique (at, message))',
  ],
};

/** The run's as-of instant of the shared checks. */
export const AS_OF = new Date('2026-03-31T10:00:00Z');

const ms = (iso: string): number => Date.parse(iso);

export async function createFixture(knex: Knex, dialect: Dialect): Promise<void> {
  for (const statement of DDL[dialect]) await knex.raw(statement);

  const userTime: Record<number, string | null> = {
    1: '2026-01-01T00:00:00Z',
    2: '2026-03-30T00:00:00Z',
    3: null,
    4: '2025-06-01T12:00:00Z',
  };
  // SQLite: three spellings of ISO text for the same kind of instant.
  const sqliteUserTime: Record<number, string | null> = {
    1: '2026-01-01T00:00:00Z',
    2: '2026-03-30 00:00:00',
    3: null,
    4: '2025-06-01T14:00:00+02:00',
  };
  await knex('users').insert(
    [
      { id: 1, email: 'a@example.com', active: true, tags: 'vip' },
      { id: 2, email: 'b@example.com', active: false, tags: null },
      { id: 3, email: 'c@example.org', active: true, tags: 'trial' },
      { id: 4, email: 'd@example.org', active: false, tags: 'vip' },
    ].map((u) => ({
      ...u,
      active: dialect === 'sqlite' ? Number(u.active) : u.active,
      created_at:
        dialect === 'sqlite'
          ? sqliteUserTime[u.id]
          : userTime[u.id] === null
            ? null
            : new Date(userTime[u.id]!),
    })),
  );

  // SQLite: epoch seconds; Postgres: timestamp without time zone holding UTC wall time.
  const lastSeen = (iso: string): string | number =>
    dialect === 'sqlite' ? ms(iso) / 1000 : iso.replace('T', ' ').replace('Z', '');
  await knex('sessions').insert(
    [
      { id: 's1', user_id: 1, last_seen_at: lastSeen('2026-01-10T00:00:00Z'), pinned: false },
      { id: 's2', user_id: 1, last_seen_at: lastSeen('2026-03-30T00:00:00Z'), pinned: false },
      { id: 's3', user_id: 2, last_seen_at: lastSeen('2025-12-01T00:00:00Z'), pinned: true },
      { id: 's4', user_id: 4, last_seen_at: lastSeen('2025-11-01T00:00:00Z'), pinned: false },
      { id: 's5', user_id: null, last_seen_at: lastSeen('2026-02-01T00:00:00Z'), pinned: false },
    ].map((s) => ({ ...s, pinned: dialect === 'sqlite' ? Number(s.pinned) : s.pinned })),
  );

  await knex('session_events').insert([
    { id: 1, session_id: 's1', created_at_ms: ms('2026-03-30T00:00:00Z') },
    { id: 2, session_id: 's1', created_at_ms: ms('2025-12-01T00:00:00Z') },
    { id: 3, session_id: 's2', created_at_ms: ms('2026-03-29T00:00:00Z') },
  ]);
  await knex('notes').insert([
    { id: 1, session_id: 's4', body: 'one' },
    { id: 2, session_id: 's4', body: 'two' },
    { id: 3, session_id: 's2', body: 'three' },
  ]);
  await knex('memberships').insert([
    { org_id: 1, user_id: 1, role: 'admin' },
    { org_id: 1, user_id: 2, role: 'member' },
    { org_id: 2, user_id: 1, role: 'member' },
    { org_id: 2, user_id: 4, role: 'guest' },
    { org_id: 3, user_id: 4, role: 'member' },
  ]);
  await knex('audit_log').insert([
    { at: '2026-01-01T00:00:00Z', message: 'old' },
    { at: '2026-03-30 08:00:00', message: 'new' },
    { at: '2025-12-31T23:30:00-02:00', message: 'old with offset' },
  ]);
}

/** A temp folder for SQLite files, removed by the returned function. */
export function tempDir(): { dir: string; remove(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sweeper-query-'));
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Opens a target through openTarget, loads the fixture and reads its schema. */
export async function openFixture(
  dialect: Dialect,
  connection: unknown,
  onClose: () => Promise<void> | void = () => undefined,
) {
  // openTarget refuses a SQLite file that does not exist (Sweeper never creates a target).
  if (dialect === 'sqlite') fs.writeFileSync((connection as { filename: string }).filename, '', { flag: 'a' });
  const knex = openTarget('fixture', { client: DIALECT_OF[dialect].clients[0]!, connection });
  await createFixture(knex, dialect);
  const schema = await introspectTarget(knex, DIALECT_OF[dialect]);
  return {
    knex,
    schema,
    async close() {
      await knex.destroy();
      await onClose();
    },
  };
}

import { describeArchive } from '../../src/archive/describe-archive';
import type { JobDefinition } from '../../src/config/schema';
import type { Entity, TargetSchema } from '../../src/targets/schema';

/** Entities by name; `cascadesTo` names the parent whose delete removes them (ON DELETE CASCADE). */
function schemaOf(entities: Record<string, string | null>): TargetSchema {
  const map = new Map<string, Entity>();
  for (const [name, parent] of Object.entries(entities))
    map.set(name, {
      name,
      columns: new Map(),
      primaryKey: ['id'],
      uniqueKeys: [['id']],
      foreignKeys: parent ? [{ columns: [`${parent}_id`], parent, parentColumns: ['id'], onDelete: 'CASCADE' }] : [],
    } as Entity);
  return { entities: map } as TargetSchema;
}

const job = (archive: JobDefinition['archive'], ...entities: string[]) =>
  ({ name: 'purge', target: 'app', archive, queries: entities.map((entity) => ({ entity })) }) as unknown as JobDefinition;

describe('describeArchive: where a run archives, by the real table names', () => {
  const schema = schemaOf({ sessions: null, session_events: 'sessions', users: null });

  it('names the table of each entity the job deletes from and of each cascaded child', () => {
    expect(describeArchive(job({ table: '{entity}_archive' }, 'sessions'), schema)).toBe(
      'tables sessions_archive, session_events_archive in target app',
    );
    expect(describeArchive(job({ table: 'old_{entity}' }, 'users'), schema)).toBe('table old_users in target app');
    expect(describeArchive(job({ table: '{entity}_archive', target: 'cold' }, 'users', 'sessions'), schema)).toBe(
      'tables users_archive, sessions_archive, session_events_archive in target cold (committed before the batch in target app)',
    );
  });

  it('keeps it short when many entities archive', () => {
    const many = schemaOf({ a: null, b: null, c: null, d: null, e: null, f: null });
    expect(describeArchive(job({ table: '{entity}_archive' }, 'a', 'b', 'c', 'd'), many)).toBe(
      'tables a_archive, b_archive, c_archive, d_archive in target app',
    );
    expect(describeArchive(job({ table: '{entity}_archive' }, 'a', 'b', 'c', 'd', 'e', 'f'), many)).toBe(
      'tables a_archive, b_archive, c_archive and 3 more in target app',
    );
  });

  it('says none for a job without an archive', () => {
    expect(describeArchive(job(undefined, 'users'), schema)).toBe('none');
  });
});

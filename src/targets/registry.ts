import type { Knex } from 'knex';
import type { JobDefinition, TargetConfig } from '../config/schema';
import type { Dialect } from '../dialects';
import { NotFoundError, SweeperError, targetUnavailable } from '../errors';
import { targetDialect } from './connect';
import type { ReplicaWatch } from './replicas';
import type { Entity, TargetSchema } from './schema';
import type { SessionOptions, TargetSession } from './session';

export interface Target {
  name: string;
  knex: Knex;
  dialect: Dialect;
}

/*
 * The session, the schema reader and the replica watch are loaded when first used: a listing or a
 * control command opens the registry but never a target, and skips the query compiler they bring.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
const introspection = () => require('./introspect') as typeof import('./introspect');
const sessions = () => require('./knex-session') as typeof import('./knex-session');
const replicas = () => require('./replicas') as typeof import('./replicas');
/* eslint-enable @typescript-eslint/no-require-imports */

/** One knex pool per target, opened on first use and destroyed on close. */
export class Targets {
  private readonly open = new Map<string, Target>();
  private readonly watches = new Map<string, ReplicaWatch>();
  /** The last schema read per target, with the schema version it was read at (dialects that tell one). */
  private readonly schemas = new Map<string, { version: string; schema: TargetSchema }>();

  /** `unresolved`: targets a command loaded without, because a variable of theirs is unset (name -> variable). */
  constructor(
    private readonly configs: Record<string, TargetConfig>,
    private readonly unresolved: ReadonlyMap<string, string> = new Map(),
  ) {}

  names(): string[] {
    return Object.keys(this.configs);
  }

  get(name: string): Target {
    const existing = this.open.get(name);
    if (existing) return existing;
    const config = this.configs[name];
    if (!config) throw new NotFoundError(`target "${name}" is not defined in the config (targets: ${this.names().join(', ')})`);
    const variable = this.unresolved.get(name);
    if (variable) throw new SweeperError('INVALID_CONFIG', `targets.${name}: environment variable ${variable} is not set: export it to use target "${name}"`);
    const dialect = targetDialect(name, config);
    const { replicas: _replicas, ...connection } = config;
    const target = { name, knex: dialect.openTarget(name, connection), dialect };
    this.open.set(name, target);
    return target;
  }

  /**
   * Reads the target's real schema; a target that cannot be reached is a clear error naming it. Where
   * the dialect tells a schema version, the last read is given again (a copy: a caller may add the
   * archive table it created) while the version is unchanged: one statement, not a read of every table.
   */
  async schema(name: string): Promise<TargetSchema> {
    const target = this.get(name);
    try {
      const version = target.dialect.schemaVersion ? await target.dialect.schemaVersion(target.knex) : null;
      const known = this.schemas.get(name);
      if (version !== null && known?.version === version) return copySchema(known.schema);
      const schema = await introspection().introspectTarget(target.knex, target.dialect);
      // Read after the version: a change in between makes the next version differ, and the schema read again.
      if (version !== null) this.schemas.set(name, { version, schema: copySchema(schema) });
      return schema;
    } catch (error) {
      if (error instanceof SweeperError && error.code === 'TARGET_UNAVAILABLE') throw error;
      throw targetUnavailable(name, `cannot read its schema: ${(error as Error).message}: check the connection settings and that the database is up`, error);
    }
  }

  /** A session on the job's target for one run: its queries checked against the real schema and compiled for `asOf`. */
  async openSession(job: JobDefinition, asOf: Date, options: SessionOptions = {}): Promise<TargetSession> {
    const target = this.get(job.target);
    return sessions().KnexTargetSession.open(target, await this.schema(job.target), job, asOf, options, this);
  }

  /** The replicas `limits.maxReplicaLag` watches on a target (its config's `replicas`); null when it lists none. */
  replicaWatch(name: string): ReplicaWatch | null {
    const existing = this.watches.get(name);
    if (existing) return existing;
    const config = this.configs[name];
    if (!config?.replicas) return null;
    const watch = replicas().ReplicaWatch.open(name, config, this.get(name).dialect);
    this.watches.set(name, watch);
    return watch;
  }

  async close(): Promise<void> {
    const watches = [...this.watches.values()];
    this.watches.clear();
    for (const w of watches) await w.close();
    const all = [...this.open.values()];
    this.open.clear();
    for (const t of all) {
      try {
        await t.knex.destroy();
      } catch {
        // Closing is best effort: a pool that cannot close has nothing left to lose.
        continue;
      }
    }
  }
}

/** A schema whose entities, columns and keys can be changed without changing `schema`. */
function copySchema(schema: TargetSchema): TargetSchema {
  const entities = new Map<string, Entity>();
  for (const [name, e] of schema.entities) {
    entities.set(name, { name: e.name, columns: new Map([...e.columns].map(([n, c]) => [n, { ...c }])), primaryKey: [...e.primaryKey], uniqueKeys: e.uniqueKeys.map((k) => [...k]), foreignKeys: e.foreignKeys.map((fk) => ({ ...fk, columns: [...fk.columns], parentColumns: [...fk.parentColumns] })) });
  }
  return { dialect: schema.dialect, entities };
}

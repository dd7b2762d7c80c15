import type { Knex } from 'knex';
import type { TargetConfig } from '../config/schema';
import type { Dialect, ErrorClass } from '../dialects';
import { toError } from '../errors';

/** One replica's lag as the guard reads it. */
export interface ReplicaReading {
  /** The replica as messages name it: its `name`, else `replicas[i]`. */
  replica: string;
  /** Whole seconds behind its primary; null when no lag could be read (see `problem`). */
  lagSeconds: number | null;
  /** Why there is no lag: the replica cannot be reached, or it does not replicate. */
  problem?: string;
  /** The problem will not go away by waiting (a missing grant): the run fails at once. */
  lasting?: boolean;
}

/** Where one replica's lag comes from: the dialect's reading on the replica's connection, or a test's fake. */
export interface LagSource {
  readonly name: string;
  /** Seconds behind, or null when the replica does not replicate; throws when it cannot be reached. */
  read(): Promise<number | null>;
  close?(): Promise<void>;
}

/** A bounded wait for a replica's connection: one that cannot be reached is a reading, not a hang. */
const REPLICA_CONNECT_MS = 5000;

/** The replicas of one target (`targets.NAME.replicas`) that `limits.maxReplicaLag` watches. */
export class ReplicaWatch {
  constructor(
    readonly target: string,
    private readonly sources: readonly LagSource[],
    private readonly classifyError: (error: unknown) => ErrorClass,
  ) {}

  /** Opens a small pool per replica (lazy: nothing connects before the first reading). */
  static open(target: string, config: TargetConfig, dialect: Dialect): ReplicaWatch {
    const read = dialect.readReplicaLag;
    if (!read) throw new Error(`internal: ${dialect.label} has no replicas to watch (target "${target}")`);
    const sources = (config.replicas ?? []).map((replica, i): LagSource => {
      const name = replica.name ?? `replicas[${i}]`;
      let knex: Knex | null = null;
      const open = () =>
        (knex ??= dialect.openTarget(`${target}.${name}`, {
          client: config.client,
          connection: replica.connection,
          pool: { min: 0, max: 1 },
          acquireConnectionTimeout: REPLICA_CONNECT_MS,
        }));
      return { name, read: () => read(open()), close: async () => knex?.destroy() };
    });
    return new ReplicaWatch(target, sources, (e) => dialect.classifyError(e));
  }

  names(): string[] {
    return this.sources.map((s) => s.name);
  }

  /** Every replica's lag, read at once; a replica that cannot be read says why. */
  read(): Promise<ReplicaReading[]> {
    return Promise.all(
      this.sources.map(async (source): Promise<ReplicaReading> => {
        try {
          const lag = await source.read();
          if (lag === null) return { replica: source.name, lagSeconds: null, problem: 'does not replicate (not a replica, or replication stopped)' };
          return { replica: source.name, lagSeconds: lag };
        } catch (error) {
          const lasting = this.classifyError(error) === 'permission';
          return { replica: source.name, lagSeconds: null, problem: `cannot be read: ${toError(error).message}`, lasting };
        }
      }),
    );
  }

  async close(): Promise<void> {
    for (const source of this.sources) {
      try {
        await source.close?.();
      } catch {
        // Closing is best effort: a replica pool that cannot close has nothing left to lose.
        continue;
      }
    }
  }
}

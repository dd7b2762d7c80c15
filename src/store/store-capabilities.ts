import type { StoreDialect } from './connect';

/** What a state store's database can do, asked by the code instead of its client's name. */
export interface StoreCapabilities {
  /**
   * The database tells listening processes, when a transaction commits, that it changed something
   * (Postgres LISTEN/NOTIFY). Without it, other processes learn of a change by polling.
   */
  notify: boolean;
}

const CAPABILITIES: Record<StoreDialect, StoreCapabilities> = {
  pg: { notify: true },
  sqlite: { notify: false },
};

export function storeCapabilities(dialect: StoreDialect): StoreCapabilities {
  return CAPABILITIES[dialect];
}

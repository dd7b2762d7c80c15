import type { Entity } from '../targets/schema';

/** One column of one unique index as a catalog lists it; `column` is null for an expression. */
export interface UniqueIndexColumn {
  table: string;
  index: string;
  column: string | null;
}

/**
 * Sets each entity's `uniqueKeys`: its primary key, then each unique index of `rows` (in index column
 * order, as the catalog query sorts them) over plain columns only. An index with an expression among
 * its columns is left out: its uniqueness is not that of any set of columns.
 */
export function setUniqueKeys(entities: Map<string, Entity>, rows: UniqueIndexColumn[]): void {
  const indexes = new Map<string, { entity: Entity; columns: (string | null)[] }>();
  for (const row of rows) {
    const entity = entities.get(row.table);
    if (!entity) continue;
    const id = `${row.table}\u0000${row.index}`;
    let index = indexes.get(id);
    if (!index) indexes.set(id, (index = { entity, columns: [] }));
    index.columns.push(row.column);
  }
  for (const entity of entities.values()) entity.uniqueKeys = entity.primaryKey.length > 0 ? [[...entity.primaryKey]] : [];
  for (const { entity, columns } of indexes.values()) {
    if (columns.some((c) => c === null)) continue;
    // The primary key's own index, and any index over the same columns, add nothing.
    const key = (columns as string[]).slice().sort().join('\u0000');
    if (entity.uniqueKeys.some((u) => u.slice().sort().join('\u0000') === key)) continue;
    entity.uniqueKeys.push(columns as string[]);
  }
}

import type { Dialect } from '../../src/dialects';
import { postgres } from '../../src/dialects/postgres';
import { sqlite } from '../../src/dialects/sqlite';

/** The test databases by the short names tests use (`sqlite`, `pg`). */
export type TestDialect = 'sqlite' | 'pg';

/** The dialect module of each test database. */
export const DIALECT_OF: Record<TestDialect, Dialect> = { sqlite, pg: postgres };

/** The config `client` each test database is opened with. */
export const CLIENT_OF: Record<TestDialect, string> = { sqlite: 'better-sqlite3', pg: 'pg' };

import type { Dialect } from '../../src/dialects';
import { mysql } from '../../src/dialects/mysql';
import { postgres } from '../../src/dialects/postgres';
import { sqlite } from '../../src/dialects/sqlite';

/** The test databases by the short names tests use (`sqlite`, `pg`, `mysql`: MariaDB stands for MySQL). */
export type TestDialect = 'sqlite' | 'pg' | 'mysql';

/** The dialect module of each test database. */
export const DIALECT_OF: Record<TestDialect, Dialect> = { sqlite, pg: postgres, mysql };

/** The config `client` each test database is opened with. */
export const CLIENT_OF: Record<TestDialect, string> = { sqlite: 'better-sqlite3', pg: 'pg', mysql: 'mysql2' };

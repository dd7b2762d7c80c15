import { findMariadbBinaries, mysqlRequired, mysqlSuiteNotice } from './mariadb-binaries';

/**
 * Runs once before all test files (jest's globalSetup): says once, not once per file, that the MySQL
 * suite is skipped and why; with SWEEPER_TEST_MYSQL=required a missing server fails the run instead.
 */
export default function globalSetup(): void {
  const notice = mysqlSuiteNotice(findMariadbBinaries(), mysqlRequired());
  if (notice) process.stdout.write(`\n${notice}\n`);
}

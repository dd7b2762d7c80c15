import { accessSync, constants } from 'node:fs';
import path from 'node:path';

/** Where the MariaDB test server comes from, or why there is none. */
export type MariadbBinaries =
  { found: true; mariadbd: string; installDb: string } | { found: false; reason: string };

/** Debian puts mariadbd in /usr/sbin, which is not on every user's PATH. */
const EXTRA_DIRS = ['/usr/sbin', '/usr/local/sbin', '/usr/local/mysql/bin', '/usr/local/mariadb/bin'];

/** The folders searched: PATH, then where Debian and tarball installs put the server. */
export function searchDirs(): string[] {
  return [...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean), ...EXTRA_DIRS];
}

function find(name: string, dirs: string[]): string | null {
  for (const dir of dirs) {
    const file = path.join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // Not in this folder: look in the next one.
    }
  }
  return null;
}

/** The MariaDB server binaries of this machine (Debian's mariadb-server package), looked up on PATH and in /usr/sbin. */
export function findMariadbBinaries(dirs = searchDirs()): MariadbBinaries {
  const mariadbd = find('mariadbd', dirs);
  const installDb = find('mariadb-install-db', dirs);
  if (mariadbd && installDb) return { found: true, mariadbd, installDb };
  const missing = [mariadbd ? null : 'mariadbd', installDb ? null : 'mariadb-install-db']
    .filter(Boolean)
    .join(' and ');
  return {
    found: false,
    reason: `${missing} not found on PATH or in ${EXTRA_DIRS[0]} (install the mariadb-server package: apt-get install mariadb-server)`,
  };
}

/**
 * What the test run says about the MySQL suite before it starts: nothing when the server is here;
 * one line when it is skipped; an Error when SWEEPER_TEST_MYSQL=required and it would be skipped.
 */
export function mysqlSuiteNotice(binaries: MariadbBinaries, required: boolean): string | null {
  if (binaries.found) return null;
  if (required)
    throw new Error(`SWEEPER_TEST_MYSQL=required, but the MySQL suite cannot run: ${binaries.reason}`);
  return `MySQL suite skipped: ${binaries.reason}; SWEEPER_TEST_MYSQL=required makes this an error`;
}

/** SWEEPER_TEST_MYSQL=required (set by .ci/run): a missing server fails the run instead of skipping the MySQL suite. */
export function mysqlRequired(): boolean {
  return process.env.SWEEPER_TEST_MYSQL === 'required';
}

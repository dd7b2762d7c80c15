import path from 'node:path';

/** The server's own routes, which messages name on purpose (`GET /api/jobs`). */
const ROUTE = /^\/(api|healthz|metrics|openapi\.json|ui)(\/|$|[^\w.-])/;

/** An absolute path: POSIX after a space, quote, bracket or `=`; or a Windows drive path. */
const ABSOLUTE_PATH = /(?<=^|[\s"'`(=[])(\/[^\s"'`()<>|;,:]+|[A-Za-z]:\\[^\s"'`()<>|;,:]*)/g;

/** What knex puts before a driver's message: `select ... - SQLITE_BUSY: ...` (after `: ` in ours). */
const SQL_PREFIX =
  /(?<=^|: )(?:select|insert|update|delete|with|pragma|create|alter|drop|begin|commit|rollback|savepoint|release)\s[\s\S]*? - (?=\S)/gi;

/** `scheme://user:password@` in a connection URL. */
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@"']+@/gi;

/**
 * What an HTTP client may read of an error message: paths under the config file's folder are written
 * relative to it (as the operator wrote them in the config), other absolute paths are hidden, and so
 * are the SQL of driver errors and the passwords of connection URLs. The daemon's log keeps the
 * original. One home for this, so every error path of the API goes through it.
 */
export function messageRedactor(configFile: string): (message: string) => string {
  const configDir = path.dirname(path.resolve(configFile));
  const shown = (p: string): string => {
    if (ROUTE.test(p)) return p;
    const isPosix = p.startsWith('/');
    const relative = isPosix ? path.posix.relative(configDir, p) : '';
    if (isPosix && relative === '') return 'the config folder';
    if (isPosix && !relative.startsWith('..') && !path.posix.isAbsolute(relative)) return relative;
    return '<server path>';
  };
  return (message) =>
    message
      .replace(SQL_PREFIX, "(SQL in the daemon's log) ")
      .replace(URL_CREDENTIALS, '$1***@')
      .replace(ABSOLUTE_PATH, (p) => {
        // A full stop after a path ends the sentence.
        const dots = /\.*$/.exec(p)![0];
        return shown(p.slice(0, p.length - dots.length)) + dots;
      });
}

import path from 'node:path';
import { checkStateStore } from '../../src/config/check-store';
import { loadConfig } from '../../src/config/load';
import { formatProblem } from '../../src/errors';
import { BASE, folder } from './config-files';

describe('MySQL as the state store', () => {
  it('is refused as a problem of state.client that says what to use instead, connecting to nothing', async () => {
    // The server named does not exist: the refusal comes before any connection.
    const config = loadConfig(
      folder(
        BASE.replace(
          'state: { client: better-sqlite3, connection: { filename: state.db } }',
          'state: { client: mysql2, connection: "mysql://u:p@127.0.0.1:1/none" }',
        ),
      ),
      {},
    );
    const problems = await checkStateStore(config);
    expect(problems.map((p) => formatProblem({ ...p, file: path.basename(p.file) }))).toEqual([
      'sweeper.yaml: state.client: MySQL and MariaDB are offered as targets, not as the state store: use better-sqlite3 (one daemon) or pg (several daemons) for state.client',
    ]);
  });
});

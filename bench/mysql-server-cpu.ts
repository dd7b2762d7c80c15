import { readFileSync } from 'node:fs';
import type { BenchMariadb } from './mysql-server';

/**
 * The bench's mariadbd CPU time (user + system of all its threads, from /proc/<pid>/stat): what a
 * contender cost the server, which other load on a shared host stretches less than wall time does.
 */
export async function serverCpu(db: BenchMariadb): Promise<() => number> {
  const file = await db.withConnection(async (c) => {
    const [rows] = await c.query('SELECT @@pid_file AS f');
    return String((rows as Array<{ f: unknown }>)[0]!.f);
  });
  const pid = Number(readFileSync(file, 'utf8').trim());
  return () => {
    // utime and stime are stat's fields 14 and 15; after the command's ")" the fields start at 3.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  };
}

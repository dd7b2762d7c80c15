import { statSync } from 'node:fs';

/** A job file the watcher named is read this long after the last event naming it (an editor's write is one event or a few at once). */
export const NAMED_SETTLE_MS = 10;
/**
 * Changes no event names (the config, a folder event without a name, a lost watch) are applied this
 * long after the last; and a named file that reads as invalid is reported only once no event has named
 * it for this long (a file written in parts reads as invalid between them, and is read again when
 * written).
 */
export const SETTLE_MS = 100;
/** How many times a file whose stat changed while it was read is read again before it counts as still being written. */
const READ_TRIES = 3;

function statOf(file: string): string {
  const st = statSync(file, { throwIfNoEntry: false });
  return st ? `${st.size}:${st.mtimeMs}:${st.ino}` : 'gone';
}

/**
 * What `read` gives for `file` when the file's stat (size, mtime, inode) is the same after the read as
 * before: the file was not written while it was read. Read again when it was; null when it is still
 * changing after a few tries (the writer's next event names it again).
 */
export function readSettled<T>(file: string, read: () => T): T | null {
  for (let i = 0; i < READ_TRIES; i++) {
    const before = statOf(file);
    const result = read();
    if (statOf(file) === before) return result;
  }
  return null;
}

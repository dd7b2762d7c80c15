/**
 * Results must not depend on the host's time zone: recurrence only uses UTC getters and luxon's zone
 * data, never Date's local-time methods (and never rrule's TZID support, which uses them).
 *
 * Jest gives each test file a copy of process.env, so setting TZ inside a test does not change the
 * zone of the running process. This file therefore runs host-timezone-probe.ts in child processes with
 * TZ set to several zones and compares their output with what this process computes. The whole suite
 * is also meant to be run with TZ set, e.g.
 *   TZ=America/Los_Angeles npx jest test/recurrence
 *   TZ=Asia/Kolkata npx jest test/recurrence
 * where every other test file's hard-coded UTC instants are the real check.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { hostTimezoneFingerprint } from './host-timezone-probe';

const run = promisify(execFile);
const probe = path.join(__dirname, 'host-timezone-probe.ts');
const root = path.join(__dirname, '..', '..');

describe('independence from the host time zone', () => {
  const here = hostTimezoneFingerprint();

  it.each([
    ['UTC', 0],
    ['America/Los_Angeles', 480],
    ['Asia/Kolkata', -330],
    ['Pacific/Chatham', -825],
    ['Europe/Berlin', -60],
  ])('a process with TZ=%s computes the same occurrences', async (tz, offset) => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', probe], {
      cwd: root,
      env: { ...process.env, TZ: tz },
      timeout: 30_000,
    });
    const child = JSON.parse(stdout) as { offset: number; fingerprint: string };
    expect(child.offset).toBe(offset); // the child did run in that zone (January offsets)
    expect(child.fingerprint).toBe(here);
  });

  it('what this process computes is right whatever its TZ (spot check of the fingerprint)', () => {
    const parsed = JSON.parse(here) as [{ describe: string; times: string[] }];
    expect(parsed[0].describe).toBe('RRULE FREQ=DAILY from 2026-03-20 02:30 Europe/Berlin');
    expect(parsed[0].times.slice(8, 12)).toEqual([
      '2026-03-28T01:30:00.000Z',
      '2026-03-29T01:30:00.000Z',
      '2026-03-30T00:30:00.000Z',
      '2026-03-31T00:30:00.000Z',
    ]);
  });
});

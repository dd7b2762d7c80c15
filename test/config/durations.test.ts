import { loadAll, loadConfig } from '../../src/config/load';
import { durationMs, durationProblem, parseDuration } from '../../src/duration';
import { relativeCutoff } from '../../src/query/time-format';
import { BASE, folder, job, problemsOf } from './config-files';

const OLDER = 'olderThan takes more than 0 and at most 1000 years (P1000Y), e.g. "30d"';
const NEGATIVE = 'is negative: a duration counts forward, write it without "-"';

describe('durations: positive, finite and sane for their field', () => {
  it('refuses empty and negative olderThan/newerThan in both spellings, which would match every row', () => {
    const queries = ['P-30D', 'P', '-30d', 'PT', '0d', 'P1001Y', 'PT-1H', 'P1DT']
      .map((d, i) => `  - { entity: t, where: { field: at, ${i % 2 ? 'newerThan' : 'olderThan'}: "${d}" } }`)
      .join('\n');
    expect(problemsOf(() => loadAll(folder(BASE, { 'a.yaml': job('a', queries) }), {}))).toEqual([
      `a.yaml: queries[0].where.olderThan: "P-30D" ${NEGATIVE}; ${OLDER}`,
      `a.yaml: queries[1].where.newerThan: "P" is empty: give an amount and a unit, e.g. "P30D" or "30d"; ${OLDER.replace('olderThan', 'newerThan')}`,
      `a.yaml: queries[2].where.olderThan: "-30d" ${NEGATIVE}; ${OLDER}`,
      `a.yaml: queries[3].where.newerThan: "PT" is empty: give an amount and a unit, e.g. "P30D" or "30d"; ${OLDER.replace('olderThan', 'newerThan')}`,
      `a.yaml: queries[4].where.olderThan: "0d" is too short: ${OLDER}`,
      `a.yaml: queries[5].where.newerThan: "P1001Y" is too long: ${OLDER.replace('olderThan', 'newerThan')}`,
      `a.yaml: queries[6].where.olderThan: "PT-1H" ${NEGATIVE}; ${OLDER}`,
      'a.yaml: queries[7].where.newerThan: "P1DT" is not a duration: use a number with a unit (ms, s, m, h, d, w), e.g. "30d" or "1h30m", or ISO-8601 like "P30D"; ' +
        OLDER.replace('olderThan', 'newerThan'),
    ]);
  });

  it('bounds the limits: pauseBetweenBatches 0..1h, maxRuntime more than 0 up to 30d', () => {
    const queries = '  - { entity: t, allRecords: true }';
    const files = {
      'a.yaml': job('a', queries, 'limits: { pauseBetweenBatches: 99999999d, maxRuntime: P-1D }\n'),
      'b.yaml': job('b', queries, 'limits: { pauseBetweenBatches: 61m, maxRuntime: 0s }\n'),
      'c.yaml': job('c', queries, 'limits: { maxRuntime: 31d }\n'),
    };
    expect(problemsOf(() => loadAll(folder(BASE, files), {}))).toEqual([
      'a.yaml: limits.pauseBetweenBatches: "99999999d" is too long: pauseBetweenBatches takes from 0ms to 1h, e.g. "200ms"',
      `a.yaml: limits.maxRuntime: "P-1D" ${NEGATIVE}; maxRuntime takes more than 0 and at most 30d, e.g. "2h"`,
      'b.yaml: limits.pauseBetweenBatches: "61m" is too long: pauseBetweenBatches takes from 0ms to 1h, e.g. "200ms"',
      'b.yaml: limits.maxRuntime: "0s" is too short: maxRuntime takes more than 0 and at most 30d, e.g. "2h"',
      'c.yaml: limits.maxRuntime: "31d" is too long: maxRuntime takes more than 0 and at most 30d, e.g. "2h"',
    ]);
  });

  it('refuses a retention that would erase the history at start (negative or zero) or never prune it', () => {
    const config = `${BASE}retention: { failures: P-1D, runs: 0d }\n`;
    expect(problemsOf(() => loadConfig(folder(config), {}))).toEqual([
      'sweeper.yaml: retention.runs: "0d" is too short: retention takes from 1d to 100 years (P100Y), e.g. "30d"',
      `sweeper.yaml: retention.failures: "P-1D" ${NEGATIVE}; retention takes from 1d to 100 years (P100Y), e.g. "30d"`,
    ]);
    expect(problemsOf(() => loadConfig(folder(`${BASE}retention: { failures: P101Y }\n`), {}))).toEqual([
      'sweeper.yaml: retention.failures: "P101Y" is too long: retention takes from 1d to 100 years (P100Y), e.g. "30d"',
    ]);
  });

  it('accepts the edges of each range', () => {
    const queries = '  - { entity: t, where: { all: [ { field: at, olderThan: 1ms }, { field: at, newerThan: P1000Y }, { field: at, olderThan: P1M } ] } }';
    const file = folder(`${BASE}retention: { failures: 1d, runs: P100Y }\n`, {
      'a.yaml': job('a', queries, 'limits: { pauseBetweenBatches: 0ms, maxRuntime: 30d }\n'),
      'b.yaml': job('b', queries, 'limits: { pauseBetweenBatches: PT1H, maxRuntime: 1ms }\n'),
    });
    const { config, jobs } = loadAll(file, {});
    expect(config.retention).toEqual({ failures: '1d', runs: 'P100Y' });
    expect(jobs.map((j) => j.limits)).toEqual([
      { pauseBetweenBatches: '0ms', maxRuntime: '30d' },
      { pauseBetweenBatches: 'PT1H', maxRuntime: '1ms' },
    ]);
  });

  it('one parse for every path: the query compiler and the runner refuse what the files refuse', () => {
    for (const text of ['P-30D', 'P', 'PT', '-30d', 'P1DT']) {
      expect(parseDuration(text)).toBeNull();
      expect(() => relativeCutoff(new Date('2026-12-01T00:00:00Z'), text, 'UTC')).toThrow(/invalid duration/);
      expect(() => durationMs(text)).toThrow(/invalid duration/);
    }
    expect(parseDuration('P30D')!.as('days')).toBe(30);
    expect(durationMs('1h30m')).toBe(5_400_000);
    expect(durationProblem('30 days', 'olderThan')).toBe(
      '"30 days" is not a duration: use a number with a unit (ms, s, m, h, d, w), e.g. "30d" or "1h30m", or ISO-8601 like "P30D"; ' + OLDER,
    );
  });
});

import fc from 'fast-check';
import { caseArb } from './arbitraries';
import { caseSql, postgresCaseTarget, sqliteCaseTarget, type CaseTarget } from './case-target';
import { differences } from './compare';
import { jobYaml, type Dialect } from './model';
import { runCase } from './run-case';

/**
 * Differential test: random schemas, rows and condition trees; Sweeper's preview and real run on a
 * real database against the independent oracle. Fixed seed in `npm test`; more cases with
 * FAST_CHECK_RUNS=N, another seed with FAST_CHECK_SEED=S, a reported failure replayed with
 * FAST_CHECK_SEED=S FAST_CHECK_PATH=P (both printed by fast-check).
 */
const RUNS = { sqlite: 150, pg: 100 } as const;
const runs = (dialect: Dialect): number => Number(process.env.FAST_CHECK_RUNS ?? RUNS[dialect]);
const seed = Number(process.env.FAST_CHECK_SEED ?? 20261201);
/**
 * The CI budget: passing, the default runs take 10-15 s per dialect here; a failure is shrunk for at
 * most this long (a case that loops costs the runner's 8 s stop each time). FAST_CHECK_RUNS lifts it.
 */
const timeLimitMs = Number(process.env.FAST_CHECK_TIME_LIMIT_MS ?? (process.env.FAST_CHECK_RUNS ? 3_600_000 : 45_000));
describe.each<Dialect>(['sqlite', 'pg'])('deletes match the oracle on %s', (dialect) => {
  let target: CaseTarget;
  beforeAll(async () => {
    target = dialect === 'sqlite' ? sqliteCaseTarget() : await postgresCaseTarget();
  });
  afterAll(async () => {
    await target?.close();
  });

  it('leaves exactly the rows the oracle leaves; failure records are the protected keys; preview agrees with the run', async () => {
    await fc.assert(
      fc.asyncProperty(caseArb(dialect), async (model) => {
        const problems = differences(model, await runCase(model, target));
        if (problems.length > 0)
          throw new Error(`${problems.join('\n')}\n--- job\n${jobYaml(model)}\n--- ${dialect} target\n${caseSql(model)}`);
      }),
      {
        seed,
        numRuns: runs(dialect),
        ...(process.env.FAST_CHECK_PATH ? { path: process.env.FAST_CHECK_PATH } : {}),
        interruptAfterTimeLimit: timeLimitMs,
      },
    );
  }, timeLimitMs + 30_000);
});

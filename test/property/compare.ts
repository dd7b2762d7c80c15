import { JOB_NAME, tablesOf, type CaseModel, type Dialect } from './model';
import { expectedPreview, expectedRefusals, expectedRun, keyOf, REFUSAL_MESSAGES } from './oracle';
import type { Observed } from './run-case';

/** The driver's own codes: SQLite reports RESTRICT as SQLITE_CONSTRAINT_TRIGGER, Postgres as 23001. */
const FOREIGN_KEY_CODES: Record<Dialect, string[]> = { sqlite: ['SQLITE_CONSTRAINT_FOREIGNKEY', 'SQLITE_CONSTRAINT_TRIGGER'], pg: ['23503', '23001'] };

/** Every way the observed run differs from the oracle's, one line each. */
export function differences(model: CaseModel, observed: Observed): string[] {
  const problems: string[] = [];
  const check = (what: string, actual: unknown, expected: unknown): void => {
    const [a, e] = [JSON.stringify(actual), JSON.stringify(expected)];
    if (a !== e) problems.push(`${what}: Sweeper ${a}, oracle ${e}`);
  };
  const refusals = expectedRefusals(model);
  if (observed.refused) {
    // A refusal is right only where the oracle expects one, for a reason it expects, and then nothing is deleted.
    if (refusals.length === 0) problems.push(`Sweeper refused a job it must run: ${observed.reason ?? ''}`);
    for (const p of observed.refused) {
      const explained = refusals.some(
        (r) => (p.path === r.path || p.path?.startsWith(`${r.path}[`) || p.path?.startsWith(`${r.path}.`)) && REFUSAL_MESSAGES[r.kind].test(p.message),
      );
      if (!explained || !p.file.endsWith(`${JOB_NAME}.yaml`))
        problems.push(`unexpected refusal ${p.file}: ${p.path ?? ''}: ${p.message} (oracle expects ${JSON.stringify(refusals)})`);
    }
    for (const table of tablesOf(model)) check(`rows left in ${table.name} after the refusal`, observed.left.get(table.name), table.rows.map((r) => keyOf(table, r)).sort());
    return problems;
  }
  if (refusals.length > 0) return [`Sweeper ran a job it must refuse (${JSON.stringify(refusals)}): status ${observed.status}`];
  const run = expectedRun(model);
  if (observed.status !== (run.failures.length > 0 ? 'completed_with_failures' : 'succeeded'))
    problems.push(`status ${observed.status} (${observed.reason ?? ''}), oracle expects ${run.failures.length} failures`);
  for (const [table, keys] of run.left) check(`rows left in ${table}`, observed.left.get(table), keys);
  check('failure record keys', observed.failures.map((f) => f.key).sort(), run.failures);
  const codes = [...new Set(observed.failures.map((f) => f.code))];
  if (codes.some((c) => !FOREIGN_KEY_CODES[model.dialect].includes(c))) problems.push(`failure codes ${codes.join(', ')}`);
  run.queries.forEach((q, i) => check(`run queries[${i}] matched/deleted/failed/cascaded`, observed.queries[i], q));
  if (typeof observed.preview === 'string') return [...problems, observed.preview];
  const preview = observed.preview;
  expectedPreview(model).forEach((p, i) => {
    const shown = preview[i];
    check(`preview queries[${i}] matched/cascaded/predictedFailures`, shown && { matched: shown.matched, cascaded: shown.cascaded, predictedFailures: shown.predictedFailures }, p);
  });
  return problems;
}

import type { Knex } from 'knex';
import type pg from 'pg';
import type { CompiledStatement, StatementAlone, StatementsAloneSql } from './dialect';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const pgDriver = (): typeof pg => require('pg') as typeof pg;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const pgUtils = (): { prepareValue(value: unknown): unknown } => require('pg/lib/utils') as { prepareValue(value: unknown): unknown };

/** The transaction-local setting that carries the statements to the block, and their outcomes back. */
const SETTING = 'sweeper.statements_alone';
/** The prepared statement the block learns the parameters' types from (dropped before it tries any statement). */
const PROBE = 'sweeper_statements_alone';

/**
 * Each statement under an exception handler of its own (a subtransaction, as a savepoint is), all in
 * one PL/pgSQL block. The statements share one text, given as the `parts` around its `n`
 * parameters, with one row of `n` parameter values (their text, as the driver sends it) per statement.
 * Postgres infers each parameter's type once, by preparing the statement as the driver would send it;
 * each statement then runs with its own values bound (EXECUTE ... USING), each cast from its text to
 * that type as the driver's untyped text is read, and answers its row count or its error's SQLSTATE
 * and message. An error no handler may catch (a cancel) ends the block, and the transaction.
 */
const BLOCK = `DO $sweeper$
DECLARE
  input jsonb := current_setting('${SETTING}')::jsonb;
  parts text[] := ARRAY(SELECT p FROM jsonb_array_elements_text(input -> 'parts') WITH ORDINALITY AS e(p, o) ORDER BY o);
  n integer := cardinality(parts) - 1;
  statements integer := jsonb_array_length(input -> 'rows');
  native text := parts[1];
  typed text := parts[1];
  types regtype[];
  bound text[];
  counted bigint;
  failed_code text;
  failed_message text;
  -- One element per statement from the first on (an empty array assigned at [i] would start at i).
  changes bigint[] := array_fill(NULL::bigint, ARRAY[statements]);
  codes text[] := array_fill(NULL::text, ARRAY[statements]);
  messages text[] := array_fill(NULL::text, ARRAY[statements]);
BEGIN
  FOR k IN 1..n LOOP native := native || '$' || k || parts[k + 1]; END LOOP;
  IF EXISTS (SELECT FROM pg_prepared_statements WHERE name = '${PROBE}') THEN DEALLOCATE ${PROBE}; END IF;
  EXECUTE 'PREPARE ${PROBE} AS ' || native;
  SELECT parameter_types INTO types FROM pg_prepared_statements WHERE name = '${PROBE}';
  DEALLOCATE ${PROBE};
  FOR k IN 1..n LOOP typed := typed || format('CAST($1[%s] AS %s)', k, types[k]) || parts[k + 1]; END LOOP;
  FOR i IN 1..statements LOOP
    bound := ARRAY(SELECT v FROM jsonb_array_elements_text(input -> 'rows' -> (i - 1)) WITH ORDINALITY AS e(v, o) ORDER BY o);
    BEGIN
      EXECUTE typed USING bound;
      GET DIAGNOSTICS counted = ROW_COUNT;
      changes[i] := counted;
    EXCEPTION WHEN OTHERS THEN
      GET STACKED DIAGNOSTICS failed_code = RETURNED_SQLSTATE, failed_message = MESSAGE_TEXT;
      codes[i] := failed_code;
      messages[i] := failed_message;
    END;
  END LOOP;
  PERFORM set_config('${SETTING}', jsonb_build_object('changes', to_jsonb(changes), 'codes', to_jsonb(codes), 'messages', to_jsonb(messages))::text, true);
END
$sweeper$;
SELECT current_setting('${SETTING}') AS outcomes`;

/**
 * A statement's text split at its bindings, as knex finds them when it numbers them for Postgres
 * (positionBindings in knex's pg client: each `?` after an even number of backslashes is a binding,
 * and the backslashes go; after an odd number it is a `?`), so the parts joined by `$1`, `$2`, ...
 * are the statement knex would send.
 */
export function splitAtBindings(sql: string): string[] {
  const parts: string[] = [];
  let part = '';
  let from = 0;
  for (const match of sql.matchAll(/(\\*)\?/g)) {
    part += sql.slice(from, match.index);
    from = match.index + match[0].length;
    if (match[1]!.length % 2 === 1) part += '?';
    else {
      parts.push(part);
      part = '';
    }
  }
  parts.push(part + sql.slice(from));
  return parts;
}

/** A binding's text as the pg driver sends it (null for NULL); bytes as bytea's hex text. */
function parameterText(value: unknown): string | null {
  const prepared = pgUtils().prepareValue(value);
  if (prepared === null || prepared === undefined) return null;
  if (Buffer.isBuffer(prepared)) return `\\x${prepared.toString('hex')}`;
  return String(prepared);
}

interface Outcomes {
  changes: (number | string | null)[];
  codes: (string | null)[];
  messages: (string | null)[];
}

/** The error as the pg driver reports a statement's failure: a DatabaseError with its SQLSTATE as `code`. */
function databaseError(code: string, message: string): Error {
  const error = new (pgDriver().DatabaseError)(message, 0, 'error');
  return Object.assign(error, { severity: 'ERROR', code });
}

async function runShared(trx: Knex.Transaction, sql: string, statements: CompiledStatement[]): Promise<StatementAlone[]> {
  const parts = splitAtBindings(sql);
  const rows = statements.map((s) => {
    if (s.bindings.length !== parts.length - 1) throw new Error(`internal: a statement tried alone has ${s.bindings.length} binding(s) for ${parts.length - 1} place(s): ${sql}`);
    return s.bindings.map(parameterText);
  });
  // The input rides in the block's own round trip, as base64 text in the query (no quote, backslash
  // or `?` that the literal or knex's numbering of bindings could misread): one round trip, not two.
  const input = Buffer.from(JSON.stringify({ parts, rows }), 'utf8').toString('base64');
  const results = (await trx.raw(`SELECT set_config('${SETTING}', convert_from(decode('${input}', 'base64'), 'UTF8'), true);\n${BLOCK}`)) as { rows: { outcomes: string }[] }[];
  const outcomes = JSON.parse(results[2]!.rows[0]!.outcomes) as Outcomes;
  return statements.map((_, i) => {
    const code = outcomes.codes[i];
    if (code !== null && code !== undefined) return { error: databaseError(code, outcomes.messages[i] ?? '') };
    return { changes: Number(outcomes.changes[i]) };
  });
}

/**
 * `capabilities.statementsAlone` on Postgres: the statements of each text (a batch's held records
 * share one) are tried in one PL/pgSQL block, one round trip whatever their number (BLOCK, its
 * input set in the same query).
 */
export const statementsAlone: StatementsAloneSql = {
  async run(trx, statements) {
    const bySql = new Map<string, number[]>();
    statements.forEach((s, i) => {
      const same = bySql.get(s.sql);
      if (same) same.push(i);
      else bySql.set(s.sql, [i]);
    });
    const outcomes: StatementAlone[] = new Array(statements.length);
    for (const [sql, indexes] of bySql) {
      const tried = await runShared(trx, sql, indexes.map((i) => statements[i]!));
      indexes.forEach((i, j) => (outcomes[i] = tried[j]!));
    }
    return outcomes;
  },
};

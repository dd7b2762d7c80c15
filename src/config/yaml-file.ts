import { readFileSync, statSync } from 'node:fs';
import type { z } from 'zod';
import { toError, type Problem } from '../errors';
import { interpolate, mentionsVariable, type MissingVariable } from './interpolate';
import { explainIssueMap } from './issue-message';
import { parseYamlValue } from './yaml-value';

/** A config or job file is a page of YAML; anything larger is refused before it is parsed. */
export const MAX_FILE_BYTES = 1024 * 1024;

/** `usesVariables`: the file holds a `${VAR}`, so what it gives depends on the environment. */
type Result<T> = { value: T | null; problems: Problem[]; usesVariables?: boolean };

/**
 * Given the interpolated value and the variables that were not set, returns the ones that are a
 * problem; it may change the value so that what a command does not use is left out (see loadConfig).
 */
export type UnsetVariables = (value: Record<string, unknown>, missing: MissingVariable[]) => MissingVariable[];

/** Reads a YAML file, interpolates `${VAR}` and validates it; every problem is returned, none thrown. */
export function readYamlFile<T>(
  file: string,
  displayName: string,
  schema: z.ZodType<T>,
  env: Record<string, string | undefined>,
  unset: UnsetVariables = (_, missing) => missing,
): Result<T> {
  const read = readYamlText(file, displayName);
  return 'text' in read ? parseYamlText(read.text, displayName, { schema, env, unset }) : { value: null, problems: read.problems };
}

/** A config or job file's text, or why it cannot be read (missing, unreadable, larger than MAX_FILE_BYTES: refused before it is read). */
export function readYamlText(file: string, displayName: string): { text: string } | { problems: Problem[] } {
  const fail = (message: string) => ({ problems: [{ file: displayName, path: '', message }] });
  try {
    const size = statSync(file).size;
    if (size > MAX_FILE_BYTES) {
      return fail(`is ${size} bytes, more than the ${MAX_FILE_BYTES} (1 MiB) a config or job file may have: split it, one job per file`);
    }
    return { text: readFileSync(file, 'utf8') };
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : toError(error).message;
    return fail(`cannot read: ${reason}`);
  }
}

/** Parses the text of a YAML file (`displayName` in messages), interpolates `${VAR}` and validates it; every problem is returned, none thrown. */
export function parseYamlText<T>(
  text: string,
  displayName: string,
  o: { schema: z.ZodType<T>; env: Record<string, string | undefined>; unset?: UnsetVariables },
): Result<T> {
  const parsed = parseYamlValue(text, displayName);
  return 'value' in parsed ? validateYamlValue(parsed.value, displayName, o) : { value: null, problems: parsed.problems };
}

/** A YAML file's value as parsed (parseYamlValue, here or in a worker thread) with `${VAR}` interpolated and validated; every problem is returned. */
export function validateYamlValue<T>(
  raw: object,
  displayName: string,
  o: { schema: z.ZodType<T>; env: Record<string, string | undefined>; unset?: UnsetVariables },
): Result<T> {
  const { schema, env, unset = (_, missing) => missing } = o;
  const allMissing: MissingVariable[] = [];
  const interpolated = interpolate(raw, env, allMissing) as Record<string, unknown>;
  const missing = allMissing.length > 0 ? unset(interpolated, allMissing) : allMissing;
  const problems: Problem[] = missing.map((m) => ({
    file: displayName,
    path: m.path,
    message: `environment variable ${m.variable} is not set: export it, or write \${${m.variable}:-default} to give a default`,
  }));
  const parsed = schema.safeParse(interpolated, { error: explainIssueMap, reportInput: true });
  if (!parsed.success) {
    const unset = new Set(missing.map((m) => m.path));
    for (const issue of parsed.error.issues) {
      const { path, message } = explainIssue(issue, issue.path);
      // A value still holding an unset ${VAR} is already reported as such.
      if (!unset.has(formatPath(path))) problems.push({ file: displayName, path: formatPath(path), message });
    }
  }
  return { value: problems.length === 0 && parsed.success ? parsed.data : null, problems, usesVariables: mentionsVariable(raw) };
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out;
}

/**
 * A union fails in every branch. When the value's type fits none of them, the union's own message
 * says what is expected; otherwise report the branch whose shape fits best.
 */
function explainIssue(issue: z.core.$ZodIssue, path: readonly PropertyKey[]): { path: PropertyKey[]; message: string } {
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    if (isWrongType(issue)) return { path: [...path], message: issue.message };
    const score = (branch: z.core.$ZodIssue[]) =>
      branch.reduce((s, i) => s + (i.code === 'unrecognized_keys' || (i.code === 'invalid_type' && i.input === undefined) ? 100 : 1), 0);
    const best = [...issue.errors].sort((a, b) => score(a) - score(b))[0]!;
    if (best.length > 0 && score(best) < 100) return explainIssue(best[0]!, [...path, ...best[0]!.path]);
  }
  return { path: [...path], message: issue.message };
}

/** The value itself has a type no branch takes (rather than a problem inside it). */
function isWrongType(issue: z.core.$ZodIssue, nested = false): boolean {
  if (nested && issue.path.length > 0) return false;
  if (issue.code === 'invalid_union') return issue.errors.every((branch) => branch.length === 1 && isWrongType(branch[0]!, true));
  return issue.code === 'invalid_type' || issue.code === 'invalid_value';
}

import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import type { Problem } from '../errors';
import { interpolate, type MissingVariable } from './interpolate';

/** Reads a YAML file, interpolates `${VAR}` and validates it; every problem is returned, none thrown. */
export function readYamlFile<T>(
  file: string,
  displayName: string,
  schema: z.ZodType<T>,
  env: Record<string, string | undefined>,
): { value: T | null; problems: Problem[] } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (error as Error).message;
    return { value: null, problems: [{ file: displayName, path: '', message: `cannot read: ${reason}` }] };
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      value: null,
      problems: doc.errors.map((e) => {
        const pos = e.linePos?.[0];
        const where = pos ? `line ${pos.line}, column ${pos.col}: ` : '';
        const what = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
        return { file: displayName, path: '', message: `malformed YAML: ${where}${what}` };
      }),
    };
  }
  const raw: unknown = doc.toJS();
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { value: null, problems: [{ file: displayName, path: '', message: 'must be a YAML mapping (key: value lines)' }] };
  }
  const missing: MissingVariable[] = [];
  const interpolated = interpolate(raw, env, missing);
  const problems: Problem[] = missing.map((m) => ({
    file: displayName,
    path: m.path,
    message: `environment variable ${m.variable} is not set: export it, or write \${${m.variable}:-default} to give a default`,
  }));
  const parsed = schema.safeParse(interpolated);
  if (!parsed.success) {
    const unset = new Set(missing.map((m) => m.path));
    for (const issue of parsed.error.issues) {
      const { path, message } = explainIssue(issue, issue.path);
      // A value still holding an unset ${VAR} is already reported as such.
      if (!unset.has(formatPath(path))) problems.push({ file: displayName, path: formatPath(path), message });
    }
  }
  return { value: problems.length === 0 && parsed.success ? parsed.data : null, problems };
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out;
}

/**
 * A union (a condition) fails in every branch; report the branch whose shape fits best, so
 * `{ field: x, op: equals }` says the op is wrong instead of "not a valid condition".
 */
function explainIssue(issue: z.core.$ZodIssue, path: readonly PropertyKey[]): { path: PropertyKey[]; message: string } {
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    const score = (branch: z.core.$ZodIssue[]) =>
      branch.reduce((s, i) => s + (i.code === 'unrecognized_keys' || (i.code === 'invalid_type' && i.input === undefined) ? 100 : 1), 0);
    const best = [...issue.errors].sort((a, b) => score(a) - score(b))[0]!;
    if (best.length > 0 && score(best) < 100) return explainIssue(best[0]!, [...path, ...best[0]!.path]);
  }
  return { path: [...path], message: issueMessage(issue) };
}

function issueMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') {
    return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}: check the spelling against the job file reference in README.md`;
  }
  if (issue.code === 'invalid_type' && issue.input === undefined) return 'is required';
  if (issue.code === 'invalid_union') {
    return 'is not a valid condition: use all/any/not, { field, op, value }, { field, olderThan|newerThan }, or exists/notExists';
  }
  return issue.message;
}

import { readFileSync, statSync } from 'node:fs';
import { CST, Lexer, parseDocument, type YAMLError } from 'yaml';
import type { z } from 'zod';
import { toError, type Problem } from '../errors';
import { interpolate, mentionsVariable, type MissingVariable } from './interpolate';
import { explainIssueMap } from './issue-message';

/** A config or job file is a page of YAML; anything larger is refused before it is parsed. */
export const MAX_FILE_BYTES = 1024 * 1024;
/** Aliases (`*name`) a file may expand; a few are handy, thousands are an alias bomb. */
export const MAX_ALIAS_COUNT = 100;
/**
 * Nesting levels (indentation, `-`/`?`/`:` on one line, `[`/`{`) a file may have. The YAML parser
 * recurses per level and runs out of stack near 800, which Node cannot always recover from.
 */
export const MAX_NESTING = 100;

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
  const fail = (message: string): Result<T> => ({ value: null, problems: [{ file: displayName, path: '', message }] });
  // The tokens are counted only when a bound from the characters alone does not already rule it out.
  const depth = nestingBound(text) > MAX_NESTING ? nestingDepth(text) : 0;
  if (depth > MAX_NESTING) return fail(`nests ${depth} levels deep, more than the ${MAX_NESTING} a config or job file may have: flatten it`);
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) return { value: null, problems: doc.errors.map((e) => ({ file: displayName, path: '', message: yamlErrorMessage(e) })) };
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    const message = toError(error).message;
    if (/alias count/i.test(message)) {
      return fail(`its aliases (*name) expand to too many values (more than ${MAX_ALIAS_COUNT} expansions, a YAML alias bomb): write the values out`);
    }
    return fail(`malformed YAML: ${message}`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return fail('must be a YAML mapping (key: value lines)');
  return validate(raw, displayName, o.schema, o.env, o.unset ?? ((_, missing) => missing));
}

function validate<T>(raw: object, displayName: string, schema: z.ZodType<T>, env: Record<string, string | undefined>, unset: UnsetVariables): Result<T> {
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

/**
 * An upper bound of nestingDepth from the characters alone, in one pass without the lexer: the
 * longest run of spaces and tabs (a line's indentation is one) plus every character that can be an
 * indicator token (`-`, `?`, `:`) or open a flow collection (`[`, `{`). A job file of a few dozen
 * lines stays far below MAX_NESTING, and only a file above it has its tokens counted.
 */
export function nestingBound(text: string): number {
  let indicators = 0;
  let run = 0;
  let longestRun = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || c === 0x09) {
      run += 1;
      if (run > longestRun) longestRun = run;
      continue;
    }
    run = 0;
    // - ? : [ {
    if (c === 0x2d || c === 0x3f || c === 0x3a || c === 0x5b || c === 0x7b) indicators += 1;
  }
  return longestRun + indicators;
}

/**
 * An upper bound of how deep the parser will recurse, from the tokens alone (the lexer does not
 * recurse): indentation plus block indicators on a line, plus open flow collections.
 */
export function nestingDepth(text: string): number {
  let max = 0;
  let flow = 0;
  let line = 0;
  let atLineStart = true;
  let scalarNext = false;
  for (const token of new Lexer().lex(text)) {
    const type: string | null = scalarNext ? 'scalar-value' : CST.tokenType(token);
    scalarNext = type === 'scalar';
    if (type === 'newline') {
      [line, atLineStart] = [0, true];
      continue;
    }
    if (type === 'space' && atLineStart) line += token.length;
    // Inside [ ] and { } only the brackets nest: `{ a: 1, b: 2 }` is one level, not three.
    else if (flow === 0 && (type === 'seq-item-ind' || type === 'explicit-key-ind' || type === 'map-value-ind')) line += 1;
    else if (type === 'flow-seq-start' || type === 'flow-map-start') flow += 1;
    else if (type === 'flow-seq-end' || type === 'flow-map-end') flow -= 1;
    if (type !== 'scalar') atLineStart = false;
    max = Math.max(max, line + flow);
  }
  return max;
}

function yamlErrorMessage(e: YAMLError): string {
  const pos = e.linePos?.[0];
  const where = pos ? `line ${pos.line}, column ${pos.col}: ` : '';
  if (e.code === 'MULTIPLE_DOCS') {
    return `${where}the file holds more than one YAML document (a "---" line): one job per file; move what follows the "---" into a file of its own`;
  }
  const what = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  return `malformed YAML: ${where}${what}`;
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

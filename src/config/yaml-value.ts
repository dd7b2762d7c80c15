import { CST, Lexer, parseDocument, type YAMLError } from 'yaml';
import { toError, type Problem } from '../errors';
import { simpleYamlValue } from './simple-yaml';

/** Aliases (`*name`) a file may expand; a few are handy, thousands are an alias bomb. */
export const MAX_ALIAS_COUNT = 100;
/**
 * Nesting levels (indentation, `-`/`?`/`:` on one line, `[`/`{`) a file may have. The YAML parser
 * recurses per level and runs out of stack near 800, which Node cannot always recover from.
 */
export const MAX_NESTING = 100;

/** What parseYamlValue gives: the file's value (a mapping), or its problems. */
export type ParsedYaml = { value: object } | { problems: Problem[] };

/**
 * The value of a YAML file's text (`displayName` in messages), a mapping, before `${VAR}` and the
 * schema: or every problem that keeps it from being one (nesting too deep, malformed YAML, an alias
 * bomb, not a mapping). Pure and plain data in and out, so that a worker thread can parse many files
 * while the caller goes on (src/config/job-file-value.ts, job-file-value-worker.ts).
 */
export function parseYamlValue(text: string, displayName: string): ParsedYaml {
  const fail = (message: string) => ({ problems: [{ file: displayName, path: '', message }] });
  // The tokens are counted only when a bound from the characters alone does not already rule it out.
  const depth = nestingBound(text) > MAX_NESTING ? nestingDepth(text) : 0;
  if (depth > MAX_NESTING) return fail(`nests ${depth} levels deep, more than the ${MAX_NESTING} a config or job file may have: flatten it`);
  // Most job files are plain mappings, read without the full parser; anything else, and every mistake, is the full parser's.
  const simple = simpleYamlValue(text);
  if (simple) return { value: simple };
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) return { problems: doc.errors.map((e) => ({ file: displayName, path: '', message: yamlErrorMessage(e) })) };
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
  return { value: raw };
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

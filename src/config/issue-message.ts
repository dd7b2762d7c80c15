import { z } from 'zod';
import { closestName } from '../did-you-mean';

/**
 * Zod issues in the words of an operator: what was found, what is expected, and the fix. Used as the
 * error map of every parse of a config or job file (and of each condition, which parses on its own).
 */
export const explainIssueMap: z.core.$ZodErrorMap = (issue) => {
  const schema = issue.schema ?? (issue.inst as z.core.$ZodType | undefined);
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'is required';
      return `expected ${expectedOf(schema)}, found ${describeValue(issue.input)}${fixHint(schema, issue.input)}`;
    case 'invalid_value':
      return `expected ${expectedOf(schema)}, found ${describeValue(issue.input)}${suggest(issue.input, issue.values)}`;
    case 'unrecognized_keys':
      return issue.keys.map((k) => unknownFieldMessage(k, schema instanceof z.ZodObject ? Object.keys(schema.shape) : [])).join('; ');
    case 'invalid_key':
      return `${JSON.stringify(issue.input)} ${issue.issues.map((i) => i.message).join('; ')}`;
    case 'too_small':
    case 'too_big':
      return `expected ${sizeOf(issue) ?? expectedOf(schema)}, found ${describeValue(issue.input)}`;
    default:
      return undefined;
  }
};

/**
 * The error of a union (zod does not pass a union's own issue through the error map): when the value
 * has a type no branch takes, `expected <what>, found <value>`.
 */
export function unionError(what: string): { error: z.core.$ZodErrorMap } {
  return { error: (issue) => (issue.input === undefined ? 'is required' : `expected ${what}, found ${describeValue(issue.input)}`) };
}

/** A check's message led by the offending value: `"my job" is not a job name: ...`. */
export function valueError(text: string): { error: z.core.$ZodErrorMap } {
  return { error: (issue) => `${typeof issue.input === 'string' ? JSON.stringify(issue.input) : describeValue(issue.input)} ${text}` };
}

/** `unknown field "olderThen" (did you mean "olderThan"?)`, or the fields that are allowed there. */
export function unknownFieldMessage(key: string, known: readonly string[]): string {
  const close = closestName(key, known);
  if (close) return `unknown field "${key}" (did you mean "${close}"?)`;
  return known.length > 0
    ? `unknown field "${key}": remove it (the fields here are ${known.join(', ')})`
    : `unknown field "${key}": remove it`;
}

/** What a schema accepts, e.g. `a whole number from 1 to 100000`, `a list of texts`, `one of skip, once, all`. */
function expectedOf(schema: z.core.$ZodType | undefined, plural = false): string {
  if (!schema) return 'another value';
  const s = schema as z.ZodType;
  if (s.description) return s.description;
  if (s instanceof z.ZodOptional || s instanceof z.ZodDefault || s instanceof z.ZodNullable) return expectedOf(s.unwrap() as z.ZodType, plural);
  if (s instanceof z.ZodNumber) return numberOf(s, plural);
  if (s instanceof z.ZodString) return s.minLength ? (plural ? 'non-empty texts' : 'a non-empty text') : plural ? 'texts' : 'a text';
  if (s instanceof z.ZodBoolean) return 'true or false';
  if (s instanceof z.ZodEnum) return `one of ${s.options.join(', ')}`;
  if (s instanceof z.ZodArray) {
    const element = s.element as z.ZodType;
    return element.description ? `a list, each ${element.description}` : `a list of ${expectedOf(element, true)}`;
  }
  if (s instanceof z.ZodObject) return `${plural ? 'mappings' : 'a mapping'} with ${Object.keys(s.shape).join(', ')}`;
  if (s instanceof z.ZodRecord) return plural ? 'mappings (name: value)' : 'a mapping (name: value)';
  if (s instanceof z.ZodUnion) return s.options.map((o) => expectedOf(o as z.ZodType, plural)).join(' or ');
  return plural ? 'other values' : 'another value';
}

/** The size a list or text must have, from a too_small / too_big issue. */
function sizeOf(issue: z.core.$ZodRawIssue<z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig>): string | null {
  const [what, unit] = issue.origin === 'array' ? ['list', 'entries'] : issue.origin === 'string' ? ['text', 'characters'] : [null, null];
  if (!what) return null;
  if (issue.code === 'too_big') return `a ${what} of at most ${String(issue.maximum)} ${unit}`;
  return Number(issue.minimum) === 1 ? `a non-empty ${what}` : `a ${what} of at least ${String(issue.minimum)} ${unit}`;
}

function numberOf(s: z.ZodNumber, plural: boolean): string {
  const what = s.isInt ? (plural ? 'whole numbers' : 'a whole number') : plural ? 'numbers' : 'a number';
  const min = s.minValue !== null && Math.abs(s.minValue) < Number.MAX_SAFE_INTEGER ? s.minValue : null;
  const max = s.maxValue !== null && Math.abs(s.maxValue) < Number.MAX_SAFE_INTEGER ? s.maxValue : null;
  if (min !== null && max !== null) return `${what} from ${min} to ${max}`;
  if (min !== null) return `${what} of at least ${min}`;
  if (max !== null) return `${what} of at most ${max}`;
  return what;
}

/** A value as the operator wrote it: `the text "100"`, `the number 1.5`, `a mapping (a, b)`. */
export function describeValue(value: unknown): string {
  if (value === null) return 'nothing (an empty value)';
  if (typeof value === 'string') return value === '' ? 'an empty text' : `the text ${JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value)}`;
  if (typeof value === 'number' || typeof value === 'bigint') return `the number ${String(value)}`;
  if (typeof value === 'boolean') return `the value ${String(value)}`;
  if (value instanceof Date) return `the date-time ${value.toISOString()}`;
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (typeof value === 'object') {
    const keys = Object.keys(value);
    return keys.length === 0 ? 'an empty mapping' : `a mapping (${keys.slice(0, 6).join(', ')}${keys.length > 6 ? ', ...' : ''})`;
  }
  return `a value of type ${typeof value}`;
}

/** The usual slips: a number in quotes, or a single text where a list belongs. */
function fixHint(schema: z.core.$ZodType | undefined, input: unknown): string {
  const s = schema as z.ZodType | undefined;
  if (s instanceof z.ZodNumber && typeof input === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(input)) return ': write it without quotes';
  if (!(s instanceof z.ZodArray) || !(typeof input === 'string' || typeof input === 'number')) return '';
  const element = s.element as z.ZodType;
  return element instanceof z.ZodString || element instanceof z.ZodNumber ? `: write it as a list, e.g. [${String(input)}]` : '';
}

function suggest(input: unknown, values: readonly unknown[]): string {
  if (typeof input !== 'string') return '';
  const close = closestName(input, values.filter((v): v is string => typeof v === 'string'));
  return close ? ` (did you mean "${close}"?)` : '';
}

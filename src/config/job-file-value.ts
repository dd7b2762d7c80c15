import type { Problem } from '../errors';
import { jobSchema, type JobFileDefinition } from './schema';
import { validateYamlValue } from './yaml-file';
import { parseYamlValue } from './yaml-value';

/**
 * A job file's definition as written (YAML parsed, `${VAR}` replaced, validated against the job
 * schema), before the config's defaults and the checks that need the config: or its problems.
 */
export interface JobFileValue {
  value: JobFileDefinition | null;
  problems: Problem[];
  /** The file holds a `${VAR}`: another environment may give another value. */
  usesVariables?: boolean;
}

/**
 * The value of a job file's text (`displayName` in messages), with `${VAR}` read from `env`. Pure and
 * plain data in and out, so that a worker thread can parse and validate many files while the caller
 * goes on (src/config/job-file-value-worker.ts); loadJobFile gives it the config's defaults and checks.
 */
export function jobFileValue(text: string, displayName: string, env: Record<string, string | undefined>): JobFileValue {
  const parsed = parseYamlValue(text, displayName);
  if ('problems' in parsed) return { value: null, problems: parsed.problems };
  return validateYamlValue(parsed.value, displayName, { schema: jobSchema, env });
}

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
  /**
   * When every problem is in `notify`: the definition without it, so that the checks needing the
   * config and the target still run on the rest (validate shows every problem at once). Never a job.
   */
  withoutNotify?: JobFileDefinition;
}

const inNotify = (p: Problem) => p.path === 'notify' || p.path.startsWith('notify.') || p.path.startsWith('notify[');

/**
 * The value of a job file's text (`displayName` in messages), with `${VAR}` read from `env`. Pure and
 * plain data in and out, so that a worker thread can parse and validate many files while the caller
 * goes on (src/config/job-file-value-worker.ts); loadJobFile gives it the config's defaults and checks.
 */
export function jobFileValue(text: string, displayName: string, env: Record<string, string | undefined>): JobFileValue {
  const parsed = parseYamlValue(text, displayName);
  if ('problems' in parsed) return { value: null, problems: parsed.problems };
  const result = validateYamlValue(parsed.value, displayName, { schema: jobSchema, env });
  if (result.value || !result.problems.every(inNotify)) return result;
  const { notify: _notify, ...rest } = parsed.value as Record<string, unknown>;
  const without = validateYamlValue(rest, displayName, { schema: jobSchema, env });
  return without.value ? { ...result, withoutNotify: without.value } : result;
}

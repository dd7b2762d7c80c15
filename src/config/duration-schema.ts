import { z } from 'zod';
import { durationProblem, type DurationField } from '../duration';

/** A duration text checked for the range that is sane for `field` (see DURATION_BOUNDS). */
export function durationSchema(field: DurationField) {
  return z
    .string()
    .superRefine((text, ctx) => {
      const problem = durationProblem(text, field);
      if (problem) ctx.addIssue({ code: 'custom', message: problem, input: text });
    })
    .describe('a duration like "30d"');
}

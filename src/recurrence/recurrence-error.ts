import { SweeperError } from '../errors';
import type { ScheduleProblem } from './schedule';

/** A schedule that cannot be built; `problems` lists every reason, each saying how to fix it. */
export class RecurrenceError extends SweeperError {
  readonly problems: ScheduleProblem[];
  constructor(problems: ScheduleProblem[], options: { cause?: unknown } = {}) {
    super('INVALID_CONFIG', problems.map((p) => `${p.field}: ${p.message}`).join('\n'), {
      cause: options.cause,
      context: { problems },
    });
    this.problems = problems;
  }
}

/** The parts of each route's OpenAPI description that routes share: answers, error answers, security. */
import type { z } from 'zod';
import { errorSchema } from './api-schemas';

/** A documented answer: its description and the schema of its body. */
export function answer(description: string, schema: z.ZodType, type = 'application/json') {
  return { description, content: { [type]: { schema } } };
}

const error = (description: string) => answer(description, errorSchema);

/** Under /api and /metrics: a bearer token of http.tokens when any is configured. */
export const secured = { security: [{ bearer: [] }] };

export const readErrors = {
  400: error('bad parameter'),
  401: error('no token, or not one of http.tokens'),
  403: error(
    'sent by a page of another site (Origin, Sec-Fetch-Site), or to a Host the server does not listen as',
  ),
  404: error('no such job or run'),
};

export const controlErrors = {
  ...readErrors,
  403: error(
    'the token has the viewer role (control calls need operator), or the request came from another site',
  ),
  409: error('the state forbids it'),
  415: error('a non-empty body that is not application/json (an empty body of any type is accepted)'),
};

export const conflict = (description: string) => ({ 409: error(description) });

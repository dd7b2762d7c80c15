import { z } from 'zod';

/** Why `listen` is not `host:port` with a port a server can listen on (0 picks a free one), or null. */
export function listenProblem(listen: string): string | null {
  const m = /^([^:[\]\s]+|\[[^\]\s]+\]):(\d+)$/.exec(listen);
  const quoted = JSON.stringify(listen);
  if (!m) return `${quoted} is not host:port: write e.g. 127.0.0.1:8787 or [::1]:8787`;
  const port = Number(m[2]);
  if (port > 65535) return `${quoted}: port ${m[2]} is out of range: use a port from 1 to 65535, e.g. ${m[1]}:8787`;
  return null;
}

const tokenSchema = z.strictObject({
  name: z.string().min(1),
  // Never echo a secret: these messages say what is wrong without the value.
  token: z
    .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'expected a text: write the secret in quotes') })
    .min(16, 'must be at least 16 characters'),
  role: z.enum(['viewer', 'operator']),
});

/**
 * Each token string and each token name once: a secret listed twice would have the role of whichever
 * entry came first, and the name is what control actions record as their actor.
 */
const tokensSchema = z.array(tokenSchema).superRefine((tokens, ctx) => {
  const byToken = new Map<string, number>();
  const byName = new Map<string, number>();
  tokens.forEach((t, i) => {
    const sameToken = byToken.get(t.token);
    if (sameToken !== undefined) {
      const other = tokens[sameToken]!;
      ctx.addIssue({
        code: 'custom',
        path: [i, 'token'],
        message: `is the same secret as http.tokens[${sameToken}] ("${other.name}", ${other.role}): one secret would have two roles; give each token its own secret (e.g. openssl rand -hex 32)`,
      });
    } else byToken.set(t.token, i);
    const sameName = byName.get(t.name);
    if (sameName !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: [i, 'name'],
        message: `"${t.name}" is already the name of http.tokens[${sameName}]: give each token its own name (control actions record it as the actor)`,
      });
    } else byName.set(t.name, i);
  });
});

export const httpSchema = z.strictObject({
  listen: z.string().superRefine((listen, ctx) => {
    const problem = listenProblem(listen);
    if (problem) ctx.addIssue({ code: 'custom', message: problem, input: listen });
  }),
  /** The address operators reach Sweeper at (behind a proxy): its host and origin are the server's own too. */
  publicUrl: z
    .string()
    .refine((s) => /^https?:\/\/[^/?#@\s]+(\/[^\s]*)?$/i.test(s) && URL.canParse(s), {
      error: (iss) => `${JSON.stringify(iss.input)} is not an http(s) URL: write it as the dashboard's address, e.g. https://sweeper.example.com`,
    })
    .optional(),
  tokens: tokensSchema.default([]),
});

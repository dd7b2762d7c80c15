import { z } from 'zod';

const address = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+$/;

/**
 * Why `text` is not one email address for a mail header (`name@example.com` or `Name <name@example.com>`),
 * or null. A line break would let the text write headers of its own; a comma would hide a second recipient.
 */
export function addressProblem(text: string): string | null {
  const quoted = JSON.stringify(text);
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(text)) return `${quoted} contains a line break or control character: write the address on one line`;
  const unquoted = text.replace(/"[^"]*"/g, '""').trim();
  if (/[,;]/.test(unquoted)) {
    const parts = unquoted.split(/[,;]/).map((p) => p.trim()).filter((p) => p !== '');
    const list = parts.map((p) => (p.includes('<') ? JSON.stringify(p) : p)).join(', ');
    return `${quoted} holds more than one address: give each its own entry, e.g. [${list}]`;
  }
  const named = /^([^<>]*)<([^<>]*)>$/.exec(unquoted);
  const bare = named ? named[2]!.trim() : unquoted;
  if (address.test(bare) && !(named && /@/.test(named[1]!))) return null;
  return `${quoted} is not an email address: write name@example.com or "Name <name@example.com>"`;
}

/** One email address, as `addressProblem` accepts it. */
export const emailSchema = z
  .string()
  .superRefine((text, ctx) => {
    const problem = addressProblem(text);
    if (problem) ctx.addIssue({ code: 'custom', message: problem, input: text });
  })
  .describe('an email address like ops@example.com');

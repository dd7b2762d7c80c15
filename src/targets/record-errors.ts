/**
 * A driver error's own message for a failure record: knex prefixes the whole SQL statement, which is
 * left out (not thousands of bound keys). Which errors are record errors is the dialect's to say
 * (Dialect.classifyError).
 */
export function errorMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const dash = message.lastIndexOf(' - ');
  return (dash >= 0 ? message.slice(dash + 3) : message).slice(0, 1000);
}

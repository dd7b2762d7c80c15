/**
 * The one CSV writer of every listing a person may open in a spreadsheet: `-o csv` (jobs, runs,
 * `runs show`, preview, failures) and the dashboard's failure-log download. RFC 4180: a field with a
 * comma, semicolon (the separator of some locales), quote or line break is quoted, quotes doubled;
 * lines end with CRLF.
 *
 * Cells hold target data (keys, driver messages, trigger texts), so a text that a spreadsheet would
 * read as a formula (`=`, `+`, `-`, `@`, tab or carriage return first) is prefixed with a single quote,
 * as OWASP advises against CSV injection: `=HYPERLINK(...)` is written `'=HYPERLINK(...)`. A plain
 * decimal number (`-5`, `-0.5`) is not a formula and stays as it is. Archive files (src/archive) are
 * not written here: they must give restore back every value exactly.
 */
export type CsvCell = string | number | boolean | null | undefined;

const FORMULA_START = /^[=+\-@\t\r]/;
const PLAIN_NUMBER = /^-?\d+(\.\d+)?$/;
const NEEDS_QUOTES = /[",;\r\n]/;

/** A text cell as a spreadsheet will show it: text, never a formula. */
export function neutraliseFormula(text: string): string {
  return FORMULA_START.test(text) && !PLAIN_NUMBER.test(text) ? `'${text}` : text;
}

function csvField(value: CsvCell): string {
  if (value === null || value === undefined) return '';
  const s = typeof value === 'string' ? neutraliseFormula(value) : String(value);
  return NEEDS_QUOTES.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One CSV line, CRLF-terminated: also for files written row by row (the dashboard's download). */
export function csvLine(row: CsvCell[]): string {
  return row.map(csvField).join(',') + '\r\n';
}

/** A header line and one line per row. */
export function renderCsv(headers: string[], rows: CsvCell[][]): string {
  return [headers, ...rows].map(csvLine).join('');
}

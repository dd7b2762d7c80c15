import { stringify } from 'yaml';
import { UsageError } from '../errors';
import type { CommandContext } from './context';
import { renderCsv, type CsvCell } from '../api/csv';
import { renderTable, type Cell, type Column } from './table';

/**
 * How a listing prints, as kubectl's `-o`: `table` fits the terminal, `wide` cuts nothing, `json` and
 * `yaml` are the objects of the HTTP API, `csv` one line per row with the JSON's field names.
 */
export const OUTPUT_FORMATS = ['table', 'wide', 'json', 'yaml', 'csv'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export interface OutputOptions {
  output?: string;
  json?: boolean;
}

/** `-o` wins; `--json` is `-o json`; `legacy` is an older flag (`failures --format`) that says the same. */
export function outputFormat(opts: OutputOptions, legacy?: { flag: string; value: string | undefined }): OutputFormat {
  const chosen = opts.output ?? (opts.json ? 'json' : legacy?.value) ?? 'table';
  if (!(OUTPUT_FORMATS as readonly string[]).includes(chosen)) {
    const flag = opts.output !== undefined ? '-o' : (legacy?.flag ?? '-o');
    throw new UsageError(`${flag} "${chosen}" is not an output format: use one of ${OUTPUT_FORMATS.join(', ')}`);
  }
  return chosen as OutputFormat;
}

export interface Listing<T> {
  /** The objects `--json` prints. */
  items: T;
  columns: Column[];
  rows: Cell[][];
  /** CSV: field names and one row per line (defaults to the table's headers and rows). */
  csv?: { headers: string[]; rows: CsvCell[][] };
}

export function printListing<T>(ctx: CommandContext, format: OutputFormat, listing: Listing<T>): void {
  if (format === 'json') ctx.out(JSON.stringify(listing.items, null, 2));
  else if (format === 'yaml') ctx.out(stringify(listing.items).trimEnd());
  else if (format === 'csv') {
    const csv = listing.csv ?? { headers: listing.columns.map((c) => c.header), rows: listing.rows };
    printCsv(ctx, csv.headers, csv.rows);
  } else ctx.out(renderTable(listing.columns, listing.rows, { width: format === 'wide' ? undefined : ctx.width }));
}

/** `-o csv`: every line ends with CRLF, the last one too (ctx.out adds the final \n). */
export function printCsv(ctx: CommandContext, headers: string[], rows: CsvCell[][]): void {
  ctx.out(renderCsv(headers, rows).slice(0, -1));
}

/** A table as the format asks: cut to the terminal, or whole for `wide`. */
export function table(ctx: CommandContext, format: OutputFormat, columns: Column[], rows: Cell[][]): string {
  return renderTable(columns, rows, { width: format === 'wide' ? undefined : ctx.width });
}

/** Machine-readable formats print the objects only; tables get the explanatory lines. */
export function isStructured(format: OutputFormat): boolean {
  return format === 'json' || format === 'yaml' || format === 'csv';
}

/**
 * Plain aligned tables for a terminal: a header, a rule, and the rows. A table fits the width it is
 * given: free-text columns are cut with "…" (the widest first), numbers, ids, statuses and times are
 * never cut, and the columns marked `wide` are left out. Without a width (`-o wide`) every column is
 * shown and nothing is cut.
 */
import { formatCount as groupedCount } from '../notify/format';

export type Cell = string | number | null | undefined;

export interface Column {
  header: string;
  /**
   * `text`: free text, cut to fit (left-aligned); `number`: right-aligned, never cut; `fixed`: never cut
   * (names people type, ids, statuses, times). Default `fixed`.
   */
  kind?: 'text' | 'number' | 'fixed';
  /** Shown by `-o wide` only (as kubectl's extra columns), so the default table fits 80 columns. */
  wide?: boolean;
}

const GAP = 2;
/** A cut text column keeps at least this many characters (or its header's length). */
const MIN_TEXT = 8;

export function renderTable(allColumns: Column[], allRows: Cell[][], options: { width?: number } = {}): string {
  const shown = allColumns.flatMap((c, i) => (options.width === undefined || !c.wide ? [i] : []));
  const columns = shown.map((i) => allColumns[i]!);
  const cells = allRows.map((r) => shown.map((i) => oneLine(r[i])));
  const natural = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => length(r[i]!))));
  const widths = options.width === undefined ? natural : fit(columns, natural, options.width);
  const line = (r: string[]) =>
    r
      .map((c, i) => {
        const cut = clip(c, widths[i]!);
        return columns[i]!.kind === 'number' ? cut.padStart(widths[i]!) : cut.padEnd(widths[i]!);
      })
      .join(' '.repeat(GAP))
      .trimEnd();
  return [line(columns.map((c) => c.header)), widths.map((w) => '-'.repeat(w)).join(' '.repeat(GAP)), ...cells.map(line)].join('\n');
}

/**
 * Widths that fit `width`: the text columns share what the others leave, each getting at most what it
 * needs (the narrow ones whole, the rest an equal share). When even the minimums do not fit, the
 * table is wider than asked rather than cut below them.
 */
function fit(columns: Column[], natural: number[], width: number): number[] {
  const widths = [...natural];
  const text = columns.flatMap((c, i) => (c.kind === 'text' ? [i] : []));
  const total = () => widths.reduce((a, b) => a + b, 0) + GAP * (widths.length - 1);
  if (total() <= width || text.length === 0) return widths;
  let room = width - (total() - text.reduce((s, i) => s + widths[i]!, 0));
  const open = [...text].sort((a, b) => natural[a]! - natural[b]!);
  while (open.length > 0) {
    const share = Math.floor(room / open.length);
    const i = open[0]!;
    if (natural[i]! <= share) {
      widths[i] = natural[i]!;
      room -= natural[i]!;
      open.shift();
      continue;
    }
    const extra = room - share * open.length;
    open.forEach((j, n) => (widths[j] = Math.min(natural[j]!, Math.max(columns[j]!.header.length, MIN_TEXT, share + (n < extra ? 1 : 0)))));
    break;
  }
  return widths;
}

/** Characters as a terminal counts them (code points, so "…" is one). */
function length(s: string): number {
  return [...s].length;
}

function clip(s: string, max: number): string {
  const chars = [...s];
  return chars.length > max ? `${chars.slice(0, Math.max(0, max - 1)).join('')}…` : s;
}

function oneLine(c: Cell): string {
  return c === null || c === undefined ? '-' : String(c).replace(/\s+/g, ' ');
}

/** Whole numbers with the same grouping everywhere (notify's formatCount): the number columns and the numbers inside text; none is `-`. */
export function formatCount(n: number | null | undefined): string {
  return n === null || n === undefined ? '-' : groupedCount(n);
}

/**
 * Counts inside a sentence ("25036 deleted, 12 could not be deleted") grouped like the number columns.
 * Only a number followed by a word that counts records is a count: ids, years and times stay as they are.
 */
export function formatCountsIn(text: string | null | undefined): string | null {
  if (text === null || text === undefined) return null;
  return text.replace(/(?<![\d.,:#-])\b(\d{4,})\b(?= (?:deleted|failed|could not|records?|rows?|matched|cascaded)\b)/g, (d) => formatCount(Number(d)));
}

export function formatTime(d: Date | string | null | undefined): string {
  if (!d) return '-';
  const iso = typeof d === 'string' ? d : d.toISOString();
  return iso.replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');
}

/** A time to the minute, for tables that must fit 80 columns (`-o wide` and JSON have the seconds). */
export function formatMinute(d: Date | string | null | undefined): string {
  if (!d) return '-';
  return formatTime(d).replace(/:\d{2}Z$/, '');
}

/** How long ago, as kubectl's AGE: 45s, 12m, 3h, 5d. */
export function formatAge(d: Date | string | null | undefined, now: Date): string {
  if (!d) return '-';
  const seconds = Math.max(0, Math.floor((now.getTime() - new Date(d).getTime()) / 1000));
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 172_800) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86_400)}d`;
}

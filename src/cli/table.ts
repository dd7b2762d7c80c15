/** Plain aligned tables for a terminal: a header, a rule, and the rows; long cells are cut with "…". */
export function renderTable(headers: string[], rows: (string | number | null | undefined)[][], maxWidth = 60): string {
  const cells = rows.map((r) => r.map((c) => clip(c === null || c === undefined ? '-' : String(c), maxWidth)));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]?.length ?? 0)));
  const numeric = headers.map((_, i) => cells.length > 0 && cells.every((r) => /^-?[\d,.]+$|^-$/.test(r[i] ?? '')));
  const line = (r: string[]) => r.map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

function clip(s: string, max: number): string {
  const one = s.replace(/\s+/g, ' ');
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

export function formatCount(n: number | null | undefined): string {
  return n === null || n === undefined ? '-' : n.toLocaleString('en-US');
}

export function formatTime(d: Date | string | null | undefined): string {
  if (!d) return '-';
  const iso = typeof d === 'string' ? d : d.toISOString();
  return iso.replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');
}

/** RFC 4180 CSV: fields with a comma, quote or line break are quoted, quotes doubled. */
export function renderCsv(headers: string[], rows: (string | number | null)[][]): string {
  return [headers, ...rows].map(csvLine).join('');
}

/** One CSV line, CRLF-terminated (RFC 4180): also for files written row by row (the dashboard's download). */
export function csvLine(row: (string | number | null)[]): string {
  const field = (v: string | number | null) => {
    const s = v === null ? '' : String(v);
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return row.map(field).join(',') + '\r\n';
}

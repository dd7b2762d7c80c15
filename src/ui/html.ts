import { escapeHtml } from '../notify/format';

/**
 * HTML that is already safe to send: built only by `html` (which escapes every interpolated value) or
 * by `raw` for the page's own constant markup. Untrusted text (job names, error messages, keys) can
 * only reach a page through `html`, so it is always escaped.
 */
export class SafeHtml {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

/** A value `html` accepts: text is escaped, SafeHtml kept, lists joined, null/undefined/false dropped. */
export type HtmlValue = SafeHtml | string | number | null | undefined | false | HtmlValue[];

function render(value: HtmlValue): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof SafeHtml) return value.text;
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(value);
}

/** The constant parts of each template, laid out for the browser (see `compact`), once per call site. */
const layouts = new WeakMap<TemplateStringsArray, readonly string[]>();

/**
 * A template's constant parts without its source layout: every run of white space that holds a line
 * break becomes one space. A browser shows it the same (no template has a line break of its own inside
 * `<pre>`: the text there is interpolated, so kept), and a page of a thousand rows is about a tenth
 * smaller, so quicker to send and to read.
 */
function compact(strings: TemplateStringsArray): readonly string[] {
  let parts = layouts.get(strings);
  if (parts === undefined) {
    parts = strings.map((s) => s.replace(/[ \t]*\n\s*/g, ' '));
    layouts.set(strings, parts);
  }
  return parts;
}

/** The tagged template of every page: `html\`<td>${job.name}</td>\`` escapes the name. */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  const parts = compact(strings);
  let out = parts[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]!) + parts[i + 1]!;
  return new SafeHtml(out);
}

/** Markup written by Sweeper itself (styles, scripts): never pass text that came from a request or a store. */
export function raw(text: string): SafeHtml {
  return new SafeHtml(text);
}

/** A column of a dashboard table: its header and the class of its header cell (`num`, `hide-narrow`). */
export interface TableColumn {
  header: string;
  class?: string;
}

export interface DataTable {
  /** The columns; `false` leaves one out (a column some pages show). */
  columns: (TableColumn | false)[];
  /** One `<tr>` each. */
  rows: HtmlValue[];
  /** The one row's text when there are no rows (none: an empty body). */
  empty?: string;
  /** Each row a card on a narrow screen (`table.cards` in styles.ts). */
  cards?: boolean;
  /** A class of the `<table>` of its own: a card table whose labels are in the stylesheet (`cardLabels`). */
  class?: string;
  /** Attributes of the wrapping `div.table-wrap` (`id`, `data-live`: a part that refreshes itself). */
  attributes?: Record<string, string>;
  /** A `<tfoot>` row (totals). */
  foot?: SafeHtml;
}

/** The one home of the dashboard's tables: the scrolling wrapper, the header row, the rows, the row of an empty table. */
export function dataTable(t: DataTable): SafeHtml {
  const columns = t.columns.filter((c): c is TableColumn => Boolean(c));
  const attributes = Object.entries(t.attributes ?? {}).map(([name, value]) => html` ${raw(name)}="${value}"`);
  const head = columns.map((c) => (c.class ? html`<th class="${c.class}">${c.header}</th>` : html`<th>${c.header}</th>`));
  const body =
    t.rows.length === 0 && t.empty !== undefined
      ? html`<tr><td colspan="${columns.length}" class="muted">${t.empty}</td></tr>`
      : t.rows;
  const classes = [t.cards ? 'cards' : '', t.class ?? ''].filter(Boolean).join(' ');
  return html`<div class="table-wrap"${attributes}>
    <table${classes ? html` class="${classes}"` : ''}>
      <thead>
        <tr>${head}</tr>
      </thead>
      <tbody>
        ${body}
      </tbody>
      ${t.foot ? html`<tfoot>${t.foot}</tfoot>` : ''}
    </table>
  </div>`;
}

/**
 * The stylesheet's labels of the cards of `table.cards.<tableClass>`, one rule per column, in place of a
 * `data-label` on every cell: a table of up to a thousand rows (the failure log) sends its labels once,
 * not once per cell.
 */
export function cardLabels(tableClass: string, columns: TableColumn[]): string {
  return columns
    .map(
      (c, i) =>
        `table.cards.${tableClass} td:nth-child(${i + 1}):not([colspan])::before { content: ${JSON.stringify(c.header)}; }`,
    )
    .join('\n');
}

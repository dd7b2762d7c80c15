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
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

/** The tagged template of every page: `html\`<td>${job.name}</td>\`` escapes the name. */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]!) + strings[i + 1]!;
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
  return html`<div class="table-wrap"${attributes}>
    <table${t.cards ? raw(' class="cards"') : ''}>
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

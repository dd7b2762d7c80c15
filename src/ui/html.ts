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

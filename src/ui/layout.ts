import { DateTime } from 'luxon';
import type { Principal } from '../http/auth';
import { formatCount } from '../notify/format';
import { html, type SafeHtml } from './html';
import { CSRF_FIELD } from './session';

/** What every page knows about the request it answers. */
export interface PageContext {
  /** Null only on the sign-in page. */
  principal: Principal | null;
  /** The CSRF token for this page's forms. */
  csrf: string;
  /** A one-time message left by the last action. */
  notice: string | null;
  /** Whether sign-in is needed at all (tokens are configured). */
  signInNeeded: boolean;
}

export function canControl(ctx: PageContext): boolean {
  return ctx.principal?.role === 'operator';
}

const NAV: [string, string][] = [
  ['/ui/jobs', 'Jobs'],
  ['/ui/runs', 'Runs'],
  ['/ui/failures', 'Failures'],
];

/** The whole page: head, top bar (sections, who is signed in), the notice, the content. */
export function page(ctx: PageContext, o: { title: string; section?: string; body: SafeHtml }): SafeHtml {
  const nav = NAV.map(
    ([href, label]) =>
      html`<a href="${href}" ${o.section === href ? html` aria-current="page"` : ''}>${label}</a>`,
  );
  const who =
    ctx.principal && ctx.signInNeeded
      ? html`<span class="who"
          >${ctx.principal.name} (${ctx.principal.role})
          <form class="inline" method="post" action="/ui/sign-out">
            ${csrfField(ctx)}<button type="submit">Sign out</button>
          </form></span
        >`
      : ctx.principal
        ? html`<span class="who">no tokens configured: open on this machine</span>`
        : '';
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${o.title} · Sweeper</title>
        <link rel="stylesheet" href="/ui/assets/dashboard.css" />
        <script src="/ui/assets/live.js" defer></script>
      </head>
      <body>
        <header class="top">
          <a class="brand" href="/ui/jobs">Sweeper</a>
          <nav>${nav}</nav>
          ${who}
        </header>
        <main>${ctx.notice ? html`<p class="notice" role="status">${ctx.notice}</p>` : ''} ${o.body}</main>
      </body>
    </html> `;
}

export function csrfField(ctx: PageContext): SafeHtml {
  return html`<input type="hidden" name="${CSRF_FIELD}" value="${ctx.csrf}" />`;
}

/** A run status as a coloured badge, in the emails' colours for the three outcomes. */
export function statusBadge(status: string): SafeHtml {
  return html`<span class="status ${status}">${status.replace(/_/g, ' ')}</span>`;
}

/** `2026-12-01 02:00:00 UTC`, in `<time>` with the exact instant; `-` for none. */
export function time(instant: Date | string | null | undefined, zone = 'UTC'): SafeHtml {
  if (!instant) return html`<span class="muted">-</span>`;
  const d = typeof instant === 'string' ? new Date(instant) : instant;
  const iso = d.toISOString();
  // UTC without luxon: a page of a thousand failure records shows a thousand of these. No title: it
  // would say the instant shown again, to the millisecond.
  if (zone === 'UTC') return html`<time datetime="${iso}">${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC</time>`;
  const local = DateTime.fromJSDate(d, { zone });
  const shown = local.isValid ? local.toFormat('yyyy-MM-dd HH:mm:ss ZZ') : iso;
  return html`<time datetime="${iso}" title="${iso}">${shown}</time>`;
}

export function count(n: number | null | undefined): string {
  return n === null || n === undefined ? '-' : formatCount(n);
}

/** A link to a page of Sweeper with query parameters (empty ones left out). */
export function href(path: string, params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

/** Newer / older links of a keyset-paginated list (newest first). */
export function pager(o: {
  base: string;
  params: Record<string, string | number | undefined>;
  first: number | undefined;
  last: number | undefined;
  hasNewer: boolean;
  hasOlder: boolean;
}): SafeHtml {
  const newer =
    o.hasNewer && o.first !== undefined
      ? html`<a href="${href(o.base, { ...o.params, after: o.first })}" rel="prev">&larr; Newer</a>
          <a href="${href(o.base, o.params)}">Newest</a>`
      : '';
  const older =
    o.hasOlder && o.last !== undefined
      ? html`<a href="${href(o.base, { ...o.params, before: o.last })}" rel="next">Older &rarr;</a>`
      : '';
  return newer || older ? html`<nav class="pager" aria-label="pages">${newer}${older}</nav>` : html``;
}

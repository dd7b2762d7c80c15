import { html, type SafeHtml } from './html';
import { csrfField, page, type PageContext } from './layout';

/** Where a signed-in browser may be sent back to: a dashboard page of this server, nothing else. */
export function safeNext(next: unknown): string {
  // Printable ASCII only, no space (a header cannot hold control characters) and no backslash (some
  // browsers read it as a slash: /ui\@evil.example).
  return typeof next === 'string' && /^\/ui(\/[!-[\]-~]*)?$/.test(next) ? next : '/ui/jobs';
}

export function signInPage(ctx: PageContext, o: { next: string; problem?: string }): SafeHtml {
  return page(ctx, {
    title: 'Sign in',
    body: html`<div class="signin">
      <h1>Sign in</h1>
      <p class="lead">
        With a token of <code>http.tokens</code> in Sweeper's config. Viewers read; operators also run, pause,
        postpone and cancel.
      </p>
      ${o.problem ? html`<p class="problem" role="alert">${o.problem}</p>` : ''}
      <form method="post" action="/ui/sign-in">
        ${csrfField(ctx)}<input type="hidden" name="next" value="${o.next}" />
        <label
          >Token<input type="password" name="token" autocomplete="current-password" required autofocus
        /></label>
        <button type="submit" class="primary">Sign in</button>
      </form>
    </div>`,
  });
}

/** An error as a page: what went wrong and where to go from here. */
export function errorPage(ctx: PageContext, o: { status: number; message: string }): SafeHtml {
  return page(ctx, {
    title: `Error ${o.status}`,
    body: html`<h1>
        ${o.status === 403 ? 'Not allowed' : o.status === 404 ? 'Not found' : 'Something went wrong'}
      </h1>
      <p class="problem" role="alert">${o.message}</p>
      <p><a href="/ui/jobs">Back to the jobs</a></p>`,
  });
}

/** A page that loads `url` again at once from this origin (no script: a meta refresh, allowed by the CSP). */
export function reloadHere(url: string): SafeHtml {
  const target = safeNext(url);
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta http-equiv="refresh" content="0;url=${target}" />
        <title>Opening · Sweeper</title>
      </head>
      <body>
        <p><a href="${target}">Open ${target}</a></p>
      </body>
    </html> `;
}

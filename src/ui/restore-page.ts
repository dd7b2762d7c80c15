import type { RunJson } from '../api/json';
import type { RestoreOutcome } from '../archive/restore';
import { dataTable, html, type SafeHtml } from './html';
import { canControl, count, csrfField, page, type PageContext } from './layout';

/**
 * What restoring a run would put back (the dry run: per entity, query and depth, parents first, and
 * how many keys exist again), and for operators the form that asks for the job's name to confirm, as
 * run-now does.
 */
export function restorePage(
  ctx: PageContext,
  o: { run: RunJson; plan: RestoreOutcome; problem?: string },
): SafeHtml {
  const { run, plan } = o;
  const pending = plan.groups.reduce((n, g) => n + g.pending, 0);
  // Records holding a value of a column their table no longer has stay in the archive (missing-columns.ts).
  const stay = plan.groups.reduce((n, g) => n + g.columnMissing, 0);
  const rows = plan.groups.map(
    (g) =>
      html`<tr>
        <td data-label="Entity">${g.entity}</td>
        <td data-label="Archive">${g.table}</td>
        <td data-label="Query" class="num">${g.queryIndex}</td>
        <td data-label="Depth" class="num">${g.depth}</td>
        <td data-label="To restore" class="num">${count(g.pending)}</td>
        <td data-label="Key exists again" class="num">${g.keyExists === null ? '-' : count(g.keyExists)}</td>
        <td data-label="Column missing" class="num">${count(g.columnMissing)}</td>
      </tr>`,
  );
  const confirm =
    pending === 0
      ? html`<p class="muted">Nothing left to restore: the run archived nothing, or all of it went back already.</p>`
      : canControl(ctx)
        ? html`<h2>Restore</h2>
            ${o.problem ? html`<p class="problem" role="alert">${o.problem}</p>` : ''}
            <form method="post" action="/ui/runs/${run.id}/restore" class="controls">
              ${csrfField(ctx)}
              <label
                >Put these records back into target "${plan.target}"? Type the job name to confirm<input
                  name="confirm"
                  autocomplete="off"
                  required
                  spellcheck="false"
              /></label>
              <button type="submit" class="danger">Restore</button>
            </form>
            <p class="muted">
              The restored records may still match the job's queries: pause "${run.job}" or change it, or its
              next run deletes them again.
            </p>`
        : html`<p class="muted">Restoring a run needs an operator token.</p>`;
  return page(ctx, {
    title: `Restore run ${run.id}`,
    section: '/ui/runs',
    body: html`<h1>Restore <a href="/ui/runs/${run.id}">run ${run.id}</a> of ${run.job}</h1>
      <p class="lead">
        ${count(pending - stay)} archived records would go back, parents before children${stay > 0 ? html`; ${count(stay)} stay in the archive` : ''}. Nothing has been written.
      </p>
      ${dataTable({
        cards: true,
        columns: [
          { header: 'Entity' },
          { header: 'Archive' },
          { header: 'Query', class: 'num' },
          { header: 'Depth', class: 'num' },
          { header: 'To restore', class: 'num' },
          { header: 'Key exists again', class: 'num' },
          { header: 'Column missing', class: 'num' },
        ],
        rows,
      })}
      ${[...new Set(plan.failures.map((f) => `${f.entity}: ${f.message}`))].map(
        (m) => html`<p class="problem">Will not go back: ${m}</p>`,
      )}
      ${confirm}`,
  });
}

/** The run page's archive section: where and how many, what restores left behind, and the way to restore. */
export function archiveSection(
  ctx: PageContext,
  run: RunJson,
  restoreFailures: number,
  active: boolean,
): SafeHtml {
  if (!run.archive) return html``;
  return html`<h2>Archive</h2>
    <p>
      ${count(run.archive.archived)} rows archived to ${run.archive.where}.
      ${restoreFailures > 0
        ? html`<a href="/ui/failures?kind=restore&amp;run=${run.id}">${count(restoreFailures)} could not go back</a> on
            restore.`
        : ''}
      ${!active && canControl(ctx) ? html`<a class="button" href="/ui/runs/${run.id}/restore">Restore…</a>` : ''}
    </p>`;
}

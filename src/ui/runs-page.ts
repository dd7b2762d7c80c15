import { RUN_STATUSES, type RunRecord } from '../store/runs-repository';
import { dataTable, html, type SafeHtml } from './html';
import type { KeysetPage } from './keyset';
import { count, page, pager, statusBadge, time, type PageContext } from './layout';

export interface RunsFilter {
  job?: string;
  status?: string;
}

export function runsTable(runs: RunRecord[], o: { showJob: boolean }): SafeHtml {
  const rows = runs.map(
    (r) =>
      html`<tr>
        <td data-label="Run" class="num"><a href="/ui/runs/${r.id}">${r.id}</a></td>
        ${o.showJob ? html`<td data-label="Job"><a href="/ui/jobs/${encodeURIComponent(r.job)}">${r.job}</a></td>` : ''}
        <td data-label="Status">${statusBadge(r.status)}</td>
        <td data-label="Trigger" class="hide-narrow">${r.trigger}</td>
        <td data-label="Scheduled" class="nowrap hide-narrow">${time(r.scheduledFor ?? r.startedAt)}</td>
        <td data-label="Finished" class="nowrap">${time(r.finishedAt)}</td>
        <td data-label="Deleted" class="num">${count(r.deleted)}</td>
        <td data-label="Failed" class="num">${count(r.failed)}</td>
        <td data-label="Reason" class="text hide-narrow">${r.reason ?? ''}</td>
      </tr>`,
  );
  return dataTable({
    cards: true,
    columns: [
      { header: 'Run', class: 'num' },
      o.showJob && { header: 'Job' },
      { header: 'Status' },
      { header: 'Trigger', class: 'hide-narrow' },
      { header: 'Scheduled / started', class: 'hide-narrow' },
      { header: 'Finished' },
      { header: 'Deleted', class: 'num' },
      { header: 'Failed', class: 'num' },
      { header: 'Reason', class: 'hide-narrow' },
    ],
    rows,
    empty: 'no runs match',
  });
}

export function runsPage(
  ctx: PageContext,
  o: { filter: RunsFilter; jobs: string[]; runs: KeysetPage<RunRecord>; limit: number },
): SafeHtml {
  const { filter, runs } = o;
  const jobOptions = o.jobs.map((j) => html`<option${filter.job === j ? html` selected` : ''}>${j}</option>`);
  const statusOptions = RUN_STATUSES.map(
    (s) =>
      html`<option value="${s}" ${filter.status === s ? html` selected` : ''}>
        ${s.replace(/_/g, ' ')}
      </option>`,
  );
  const params = { job: filter.job, status: filter.status, limit: o.limit === 50 ? undefined : o.limit };
  const nav = pager({
    base: '/ui/runs',
    params,
    first: (runs.items[0] as RunRecord | undefined)?.id,
    last: runs.items.at(-1)?.id,
    hasNewer: runs.hasNewer,
    hasOlder: runs.hasOlder,
  });
  return page(ctx, {
    title: 'Runs',
    section: '/ui/runs',
    body: html`<h1>Runs</h1>
      <form class="filters" method="get" action="/ui/runs">
        <label
          >Job<select name="job">
            <option value="">all jobs</option>
            ${jobOptions}
          </select></label
        >
        <label
          >Status<select name="status">
            <option value="">any status</option>
            ${statusOptions}
          </select></label
        >
        <button type="submit">Filter</button> <a href="/ui/runs">Clear</a>
      </form>
      ${runsTable(runs.items, { showJob: true })} ${nav}`,
  });
}

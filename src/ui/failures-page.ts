import type { FailureRecord } from '../store/failures-repository';
import { dataTable, html, type SafeHtml, type TableColumn } from './html';
import type { KeysetPage } from './keyset';
import { href, page, pager, time, type PageContext } from './layout';

/** The filters of `sweeper failures`, as the form shows them (text as typed). */
export interface FailuresFormValues {
  job?: string;
  run?: string;
  entity?: string;
  code?: string;
  /** `restore`: the records restores could not put back; else those runs could not delete. */
  kind?: string;
  since?: string;
  limit?: string;
}

/** A row of the failure log: a failure record, or a restore failure (its query may be unknown). */
export type FailureRow = Omit<FailureRecord, 'queryIndex'> & { queryIndex: number | null };

export const FAILURES_PAGE_SIZE = 100;

function input(
  label: string,
  name: keyof FailuresFormValues,
  values: FailuresFormValues,
  extra: SafeHtml = html``,
): SafeHtml {
  return html`<label>${label}<input name="${name}" value="${values[name] ?? ''}" ${extra} /></label>`;
}

/** The failure log's columns; their headers label the cards on a phone (styles.ts, through `cardLabels`). */
export const FAILURE_LOG_COLUMNS: TableColumn[] = [
  { header: 'ID', class: 'num hide-narrow' },
  { header: 'Run', class: 'num' },
  { header: 'Job', class: 'hide-narrow' },
  { header: 'Query', class: 'num hide-narrow' },
  { header: 'Entity' },
  { header: 'Key' },
  { header: 'Code' },
  { header: 'Message' },
  { header: 'At', class: 'hide-narrow' },
];

/** The class of the failure log's table, which its card labels in the stylesheet are for. */
export const FAILURE_LOG_TABLE = 'failure-log';

/**
 * The failure log's rows, in the order of FAILURE_LOG_COLUMNS. A page holds up to a thousand of them,
 * so no markup is spent per cell that the stylesheet can say once: the cards' labels are its rules, and
 * no cell is `hide-narrow` (a card shows every field).
 */
export function failuresTable(items: FailureRow[]): SafeHtml {
  const rows = items.map(
    (f) =>
      html`<tr data-id="${f.id}">
        <td class="num">${f.id}</td>
        <td class="num"><a href="/ui/runs/${f.runId}">${f.runId}</a></td>
        <td><a href="/ui/jobs/${encodeURIComponent(f.job)}">${f.job}</a></td>
        <td class="num">${f.queryIndex ?? '-'}</td>
        <td>${f.entity}</td>
        <td class="key">${f.key}</td>
        <td><code>${f.code}</code></td>
        <td class="text">${f.message}</td>
        <td class="nowrap">${time(f.at)}</td>
      </tr>`,
  );
  return dataTable({
    cards: true,
    class: FAILURE_LOG_TABLE,
    columns: FAILURE_LOG_COLUMNS,
    rows,
    empty: 'no failure records match',
  });
}

export function failuresPage(
  ctx: PageContext,
  o: {
    values: FailuresFormValues;
    jobs: string[];
    failures: KeysetPage<FailureRow>;
    limit: number;
    sinceInstant?: Date;
  },
): SafeHtml {
  const { values, failures } = o;
  const jobOptions = [...new Set([...o.jobs, ...(values.job ? [values.job] : [])])].map(
    (j) => html`<option${values.job === j ? html` selected` : ''}>${j}</option>`,
  );
  const restore = values.kind === 'restore';
  const filters = { job: values.job, run: values.run, entity: values.entity, code: values.code, kind: restore ? 'restore' : undefined };
  const pageParams = {
    ...filters,
    since: o.sinceInstant?.toISOString(),
    limit: o.limit === FAILURES_PAGE_SIZE ? undefined : o.limit,
  };
  const download = { ...filters, since: values.since };
  return page(ctx, {
    title: 'Failures',
    section: '/ui/failures',
    body: html`<h1>Failure records</h1>
      <p class="lead">
        ${restore ? "Records a restore could not put back, with the database's own error code; newest first." : "Records a run could not delete, with the database's own error code; newest first."}
      </p>
      <form class="filters" method="get" action="/ui/failures">
        <label
          >Job<select name="job">
            <option value="">all jobs</option>
            ${jobOptions}
          </select></label
        >
        <label
          >Kind<select name="kind">
            <option value="">could not delete</option>
            <option value="restore"${restore ? html` selected` : ''}>could not go back (restore)</option>
          </select></label
        >
        ${input('Run', 'run', values, html` inputmode="numeric" size="6"`)}
        ${input('Entity', 'entity', values)}
        ${input('Code', 'code', values, html` placeholder="SQLITE_CONSTRAINT_FOREIGNKEY"`)}
        ${input('Since', 'since', values, html` placeholder="24h or 2026-11-01T00:00Z"`)}
        <label
          >Per page<input
            name="limit"
            type="number"
            min="1"
            max="1000"
            value="${values.limit ?? ''}"
            placeholder="${FAILURES_PAGE_SIZE}"
        /></label>
        <button type="submit">Filter</button> <a href="/ui/failures">Clear</a>
      </form>
      <div class="downloads">
        Download every matching ${restore ? 'restore failure' : 'record'}:
        <a href="${href('/ui/failures.csv', download)}" download>CSV</a>
        <a href="${href('/ui/failures.json', download)}" download>JSON</a>
      </div>
      ${failuresTable(failures.items)}
      ${pager({ base: '/ui/failures', params: pageParams, first: failures.items[0]?.id, last: failures.items.at(-1)?.id, hasNewer: failures.hasNewer, hasOlder: failures.hasOlder })}`,
  });
}

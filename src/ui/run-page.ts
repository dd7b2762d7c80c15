import type { RunJson } from '../api/json';
import type { runPageData } from '../api/queries';
import { formatDuration } from '../notify/format';
import { ACTIVE_STATUSES, type RunStatus } from '../store/runs-repository';
import { dataTable, html, type SafeHtml } from './html';
import { canControl, count, csrfField, href, page, statusBadge, time, type PageContext } from './layout';
import { archiveSection } from './restore-page';

export type RunPageData = Awaited<ReturnType<typeof runPageData>> & { now: Date; timezone: string };

export function isActive(run: RunJson): boolean {
  return ACTIVE_STATUSES.includes(run.status as RunStatus);
}

/** Done of matched, the rate since the run started and the time left at that rate (as `runs show`). */
export function progressOf(
  run: RunJson,
  now: Date,
): { done: number; matched: number | null; rate: number; secondsLeft: number | null } {
  const counted = run.queries.every((q) => q.matched !== null);
  const matched = counted ? run.queries.reduce((s, q) => s + (q.matched ?? 0), 0) : null;
  const done = run.deleted + run.failed;
  const elapsed = run.startedAt ? (now.getTime() - Date.parse(run.startedAt)) / 1000 : 0;
  const rate = elapsed > 0 ? run.deleted / elapsed : 0;
  const secondsLeft =
    matched !== null && rate > 0 && run.status === 'running'
      ? Math.ceil(Math.max(0, matched - done) / rate)
      : null;
  return { done, matched, rate, secondsLeft };
}

function progress(run: RunJson, now: Date): SafeHtml {
  const p = progressOf(run, now);
  if (p.matched === null)
    return html`<div class="progress">
      <progress aria-label="progress"></progress>
      <div class="line">counting the records each query matches…</div>
    </div>`;
  const left = p.secondsLeft === null ? '' : `, about ${formatDuration(p.secondsLeft * 1000)} left`;
  return html`<div class="progress">
    <progress aria-label="progress" value="${p.done}" max="${Math.max(p.matched, 1)}"></progress>
    <div class="line">
      <strong data-progress-done="${p.done}">${count(run.deleted)} deleted</strong>, ${count(run.failed)}
      failed of ${count(p.matched)} matched · ${count(Math.round(p.rate))} records/s${left}
    </div>
  </div>`;
}

function facts(data: RunPageData): SafeHtml {
  const { run, now, timezone } = data;
  const started = run.startedAt ? Date.parse(run.startedAt) : null;
  const ended = run.finishedAt ? Date.parse(run.finishedAt) : now.getTime();
  return html`<dl class="facts">
    <dt>Reason</dt>
    <dd>${run.reason ?? '-'}</dd>
    <dt>Trigger</dt>
    <dd>${run.trigger === 'manual' ? 'manual (run now)' : 'scheduled'}</dd>
    <dt>Scheduled for</dt>
    <dd>${run.scheduledFor ? time(run.scheduledFor, timezone) : 'none (manual run)'}</dd>
    <dt>As of</dt>
    <dd>${time(run.asOf, timezone)}</dd>
    <dt>Started</dt>
    <dd>${time(run.startedAt, timezone)}</dd>
    <dt>Finished</dt>
    <dd>${time(run.finishedAt, timezone)}</dd>
    <dt>Duration</dt>
    <dd>${started === null ? '-' : formatDuration(ended - started)}</dd>
    <dt>Notification</dt>
    <dd>${notification(data)}</dd>
  </dl>`;
}

function notification(data: RunPageData): SafeHtml {
  const n = data.notification;
  if (!n) return html`<span class="muted">none${isActive(data.run) ? ' yet' : ''}</span>`;
  const to = [...n.to, ...n.cc].join(', ');
  if (n.status === 'sent')
    return html`sent ${time(n.sentAt, data.timezone)} to ${to} (${n.attempts}
    attempt${n.attempts === 1 ? '' : 's'})`;
  return html`${n.status} to ${to}, ${n.attempts}
  attempt${n.attempts === 1 ? '' : 's'}${n.lastError ? html`: <span class="muted">${n.lastError}</span>` : ''}${n.status === 'pending' ? html`; next attempt ${time(n.nextAttemptAt, data.timezone)}` : ''}`;
}

function queriesTable(run: RunJson): SafeHtml {
  const rows = run.queries.map(
    (q) =>
      html`<tr>
        <td data-label="#" class="num">${q.index}</td>
        <td data-label="Entity">${q.entity}</td>
        <td data-label="Matched" class="num">${count(q.matched)}</td>
        <td data-label="Deleted" class="num">${count(q.deleted)}</td>
        <td data-label="Failed" class="num">${count(q.failed)}</td>
        <td data-label="Cascaded" class="num">${count(q.cascaded)}</td>
      </tr>`,
  );
  return dataTable({
    cards: true,
    columns: [
      { header: '#', class: 'num' },
      { header: 'Entity' },
      { header: 'Matched', class: 'num' },
      { header: 'Deleted', class: 'num' },
      { header: 'Failed', class: 'num' },
      { header: 'Cascaded', class: 'num' },
    ],
    rows,
    empty: 'no queries (skipped)',
    foot: html`<tr>
      <th></th>
      <th>Total</th>
      <th data-label="Matched" class="num">
        ${count(run.queries.every((q) => q.matched !== null) ? run.queries.reduce((s, q) => s + (q.matched ?? 0), 0) : null)}
      </th>
      <th data-label="Deleted" class="num">${count(run.deleted)}</th>
      <th data-label="Failed" class="num">${count(run.failed)}</th>
      <th data-label="Cascaded" class="num">${count(run.queries.reduce((s, q) => s + q.cascaded, 0))}</th>
    </tr>`,
  });
}

function failures(data: RunPageData): SafeHtml {
  const { run, failureGroups } = data;
  if (failureGroups.length === 0) return html`<p class="muted">no failure records</p>`;
  const groups = failureGroups.map(
    (g) =>
      html`<h3>
          <a href="${href('/ui/failures', { run: run.id, code: g.code })}"><code>${g.code}</code></a
          >: ${count(g.count)}
        </h3>
        ${dataTable({
          columns: [{ header: 'Entity' }, { header: 'Key' }, { header: 'Message' }],
          rows: g.examples.map(
            (f) =>
              html`<tr>
                <td>${f.entity}</td>
                <td class="key">${f.key}</td>
                <td class="text">${f.message}</td>
              </tr>`,
          ),
        })}
        ${g.count > g.examples.length ? html`<p class="muted">… and ${count(g.count - g.examples.length)} more</p>` : ''}`,
  );
  return html`${groups}
    <p>
      <a href="${href('/ui/failures', { run: run.id })}"
        >All ${count(run.failed)} failure records of run ${run.id}</a
      >
    </p>`;
}

function timeline(data: RunPageData): SafeHtml {
  return html`<ol class="timeline">
    ${data.events.map(
      (e) =>
        html`<li>
          <span class="when">${time(e.at, data.timezone)}</span> ${statusBadge(e.status)} ${e.reason ?? ''}
          ${e.reason?.includes(e.actor) ? '' : html`<span class="muted">· ${e.actor}</span>`}
        </li>`,
    )}
  </ol>`;
}

/** Everything below the title; while the run is active it refreshes itself from `?part=live`. */
export function runLivePart(ctx: PageContext, data: RunPageData): SafeHtml {
  const { run } = data;
  const active = isActive(run);
  const stop = data.stopRequested;
  const cancel =
    stop && active
      ? html`<p class="notice">
          ${stop.kind === 'cancel' ? 'Cancel' : 'Pause'} asked by ${stop.by}: the run stops at its next batch
          boundary.
        </p>`
      : active && canControl(ctx)
        ? html`<form class="controls" method="post" action="/ui/runs/${run.id}/cancel">
            ${csrfField(ctx)}<button type="submit" class="danger">Cancel run</button
            >${run.status === 'running' ? html` <span class="muted">a running run stops at its next batch boundary</span>` : ''}
          </form>`
        : '';
  return html`<div
    id="run-live"
    ${active ? html` data-live="/ui/runs/${run.id}?part=live" data-live-every="1000"` : ''}
  >
    <p>${statusBadge(run.status)}</p>
    ${active ? progress(run, data.now) : ''} ${cancel} ${facts(data)}
    <h2>Queries</h2>
    ${queriesTable(run)} ${archiveSection(ctx, run, data.restoreFailures, active)}
    <h2>Failures by code</h2>
    ${failures(data)}
    <h2>Timeline</h2>
    ${timeline(data)}
  </div>`;
}

export function runPage(ctx: PageContext, data: RunPageData): SafeHtml {
  const { run } = data;
  return page(ctx, {
    title: `Run ${run.id} of ${run.job}`,
    section: '/ui/runs',
    body: html`<h1>Run ${run.id} of <a href="/ui/jobs/${encodeURIComponent(run.job)}">${run.job}</a></h1>
      ${runLivePart(ctx, data)}`,
  });
}

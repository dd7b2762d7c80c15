import type { JobOverview } from '../api/queries';
import { scheduleInWords } from '../recurrence/schedule-words';
import { dataTable, html, type SafeHtml } from './html';
import { page, statusBadge, time, type PageContext } from './layout';

/** The last runs as a row of bars, oldest left, each in its status colour and linking to the run. */
export function recentRunsBar(recent: JobOverview['recent']): SafeHtml {
  if (recent.length === 0) return html`<span class="muted">no runs yet</span>`;
  const w = 7;
  const bars = [...recent].reverse().map(
    (r, i) =>
      html`<a href="/ui/runs/${r.id}"
        ><rect class="${r.status}" x="${i * (w + 2)}" y="0" width="${w}" height="18"
          ><title>run ${r.id}: ${r.status}</title></rect
        ></a
      >`,
  );
  return html`<svg
    class="recent"
    role="img"
    aria-label="last ${recent.length} runs"
    width="${recent.length * (w + 2)}"
    height="18"
    viewBox="0 0 ${recent.length * (w + 2)} 18"
  >
    ${bars}
  </svg>`;
}

/** The schedule in words (the rule as written where it has no faithful words), in the job's zone. */
function scheduleWords(job: JobOverview['job'], now: Date): string {
  const definition = JSON.parse(job.definition) as { recurrence?: string; cron?: string };
  return (
    scheduleInWords(
      { recurrence: definition.recurrence, cron: definition.cron, startAt: job.startAt, timezone: job.timezone },
      now,
    ) ?? job.schedule
  );
}

/** The schedule in words and the zone it is read in; the rule itself on hover. */
export function scheduleInZone(job: JobOverview['job'], now: Date): SafeHtml {
  return html`<span title="${job.schedule}">${scheduleWords(job, now)}</span> <span class="muted">(${job.timezone})</span>`;
}

/** What holds a job back: paused (with why) or postponed (until when). */
export function jobFlags(job: JobOverview['job'], now: Date): SafeHtml {
  return html`${job.paused ? html`<span class="flag" title="${job.pausedReason ?? ''}">paused</span> ` : ''}${
    job.postponedUntil && job.postponedUntil.getTime() > now.getTime()
      ? html`<span class="flag">postponed until ${time(job.postponedUntil, job.timezone)}</span>`
      : ''
  }`;
}

function row(o: JobOverview, now: Date): SafeHtml {
  const { job, lastRun } = o;
  return html`<tr>
    <td data-label="Job"><span><a href="/ui/jobs/${encodeURIComponent(job.name)}">${job.name}</a> ${jobFlags(job, now)}</span></td>
    <td data-label="Target">${job.target}</td>
    <td data-label="Schedule" class="text">${scheduleInZone(job, now)}</td>
    <td data-label="Next run" class="nowrap">
      ${job.paused ? html`<span class="muted">paused</span>` : time(job.nextRunAt, job.timezone)}
    </td>
    <td data-label="Last outcome" class="nowrap">
      ${lastRun ? html`<span><a href="/ui/runs/${lastRun.id}">${statusBadge(lastRun.status)}</a> ${time(lastRun.finishedAt, job.timezone)}</span>` : html`<span class="muted">-</span>`}
    </td>
    <td data-label="Last runs">${recentRunsBar(o.recent)}</td>
  </tr>`;
}

/** The jobs table: the part of the page that refreshes itself. */
export function jobsTable(jobs: JobOverview[], now: Date): SafeHtml {
  return dataTable({
    cards: true,
    attributes: { id: 'jobs', 'data-live': '/ui/jobs?part=table', 'data-live-every': '5000' },
    columns: [
      { header: 'Job' },
      { header: 'Target' },
      { header: 'Schedule' },
      { header: 'Next run' },
      { header: 'Last outcome' },
      { header: 'Last runs' },
    ],
    rows: jobs.map((j) => row(j, now)),
    empty: 'no jobs: add job files to the jobs folder',
  });
}

export function jobsPage(ctx: PageContext, jobs: JobOverview[], now: Date): SafeHtml {
  return page(ctx, {
    title: 'Jobs',
    section: '/ui/jobs',
    body: html`<h1>Jobs</h1>
      <p class="lead">Every job of the jobs folder; times in each job's own time zone.</p>
      ${jobsTable(jobs, now)}`,
  });
}

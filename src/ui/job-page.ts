import { stringify } from 'yaml';
import type { PreviewJson } from '../api/json';
import type { JobRecord } from '../store/jobs-repository';
import type { RunRecord } from '../store/runs-repository';
import { dataTable, html, type SafeHtml } from './html';
import { canControl, count, csrfField, href, page, time, type PageContext } from './layout';
import { jobFlags, scheduleInZone } from './jobs-page';
import { runsTable } from './runs-page';

export interface JobPageData {
  job: JobRecord;
  runs: RunRecord[];
  events: { at: Date; action: string; reason: string | null; actor: string }[];
  now: Date;
}

/** The job's definition as stored, in the YAML of its file (defaults applied; the file's path left out). */
function definitionYaml(job: JobRecord): string {
  const definition = JSON.parse(job.definition) as Record<string, unknown>;
  delete definition.file;
  return stringify(definition, { lineWidth: 0 });
}

function queriesTable(job: JobRecord): SafeHtml {
  const definition = JSON.parse(job.definition) as {
    queries?: { entity: string; where?: unknown; allRecords?: boolean }[];
  };
  const rows = (definition.queries ?? []).map(
    (q, i) =>
      html`<tr>
        <td class="num">${i}</td>
        <td>${q.entity}</td>
        <td class="key">
          ${q.where === undefined ? (q.allRecords ? 'all records' : '-') : stringify(q.where, { lineWidth: 0, flowCollectionPadding: false, collectionStyle: 'flow' }).trim()}
        </td>
      </tr>`,
  );
  return dataTable({ columns: [{ header: '#', class: 'num' }, { header: 'Entity' }, { header: 'Condition' }], rows });
}

/** Pause (with a reason) or resume, postpone until a local time, run now: for operators only. */
function controls(ctx: PageContext, job: JobRecord): SafeHtml {
  const name = encodeURIComponent(job.name);
  const preview = html`<a class="button" href="/ui/jobs/${name}/preview"
    >Preview${canControl(ctx) ? ' and run now' : ''}</a
  >`;
  if (!canControl(ctx)) return html`<div class="controls">${preview}</div>`;
  const hold = job.paused
    ? html`<form method="post" action="/ui/jobs/${name}/resume">
        ${csrfField(ctx)}<label
          >Reason<input name="reason" maxlength="500" placeholder="why it may run again" /></label
        ><button type="submit">Resume</button>
      </form>`
    : html`<form method="post" action="/ui/jobs/${name}/pause">
        ${csrfField(ctx)}<label
          >Reason<input name="reason" maxlength="500" placeholder="why it is held" /></label
        ><button type="submit">Pause</button>
      </form>`;
  return html`<div class="controls">
    ${preview}${hold}
    <form method="post" action="/ui/jobs/${name}/postpone">
      ${csrfField(ctx)}<label
        >Postpone until (${job.timezone})<input type="datetime-local" name="until" required /></label
      ><button type="submit">Postpone</button>
    </form>
  </div>`;
}

function history(data: JobPageData): SafeHtml {
  if (data.events.length === 0) return html`<p class="muted">no pause, resume or postpone yet</p>`;
  return html`<ol class="timeline">
    ${[...data.events].reverse().map(
      (e) =>
        html`<li>
          <span class="when">${time(e.at, data.job.timezone)}</span>
          <strong>${e.action}</strong> ${e.reason ?? ''} <span class="muted">by ${e.actor}</span>
        </li>`,
    )}
  </ol>`;
}

export function jobPage(ctx: PageContext, data: JobPageData): SafeHtml {
  const { job } = data;
  return page(ctx, {
    title: job.name,
    section: '/ui/jobs',
    body: html`<h1>${job.name} ${jobFlags(job, data.now)}</h1>
      <dl class="facts">
        <dt>Target</dt>
        <dd>${job.target}</dd>
        <dt>Schedule</dt>
        <dd>${scheduleInZone(job, data.now)}</dd>
        <dt>Rule</dt>
        <dd><code>${job.schedule}</code></dd>
        <dt>Next run</dt>
        <dd>${job.paused ? html`paused: ${job.pausedReason ?? ''}` : time(job.nextRunAt, job.timezone)}</dd>
        <dt>Version</dt>
        <dd>${job.version}</dd>
      </dl>
      ${controls(ctx, job)}
      <h2>Runs</h2>
      <div
        id="job-runs"
        data-live="${href(`/ui/jobs/${encodeURIComponent(job.name)}`, { part: 'runs' })}"
        data-live-every="3000"
      >
        ${runsTable(data.runs, { showJob: false })}
      </div>
      <p>
        <a href="${href('/ui/runs', { job: job.name })}">All runs of ${job.name}</a> ·
        <a href="${href('/ui/failures', { job: job.name })}">Its failure records</a>
      </p>
      <h2>Query set</h2>
      ${queriesTable(job)}
      <h2>Pause, resume and postpone</h2>
      ${history(data)}
      <h2>Definition</h2>
      <pre class="yaml">${definitionYaml(job)}</pre>`,
  });
}

export function jobRunsPart(job: JobRecord, runs: RunRecord[]): SafeHtml {
  return html`<div
    id="job-runs"
    data-live="${href(`/ui/jobs/${encodeURIComponent(job.name)}`, { part: 'runs' })}"
    data-live-every="3000"
  >
    ${runsTable(runs, { showJob: false })}
  </div>`;
}

/** What run-now would delete, and for operators the form that asks for the job's name to confirm. */
export function previewPage(
  ctx: PageContext,
  o: { job: JobRecord; preview: PreviewJson; problem?: string },
): SafeHtml {
  const { job, preview } = o;
  const total = preview.queries.reduce((s, q) => s + q.matched, 0);
  const rows = preview.queries.map(
    (q) =>
      html`<tr>
        <td data-label="#" class="num">${q.index}</td>
        <td data-label="Entity">${q.entity}</td>
        <td data-label="Matched" class="num">${count(q.matched)}</td>
        <td data-label="Cascaded" class="num">${q.cascadedComplete ? '' : 'at least '}${count(q.cascaded)}</td>
        <td data-label="Predicted failures" class="num">${count(q.predictedFailures)}</td>
        <td data-label="Sample keys" class="key">${q.sample.map((s) => JSON.stringify(s)).join(' ')}</td>
      </tr>`,
  );
  const confirm = canControl(ctx)
    ? html`<h2>Run now</h2>
        ${o.problem ? html`<p class="problem" role="alert">${o.problem}</p>` : ''}
        <form method="post" action="/ui/jobs/${encodeURIComponent(job.name)}/run" class="controls">
          ${csrfField(ctx)}
          <label
            >Delete these records from target "${job.target}"? Type the job name to confirm<input
              name="confirm"
              autocomplete="off"
              required
              spellcheck="false"
          /></label>
          <button type="submit" class="danger">Run now</button>
        </form>`
    : html`<p class="muted">Running a job needs an operator token.</p>`;
  return page(ctx, {
    title: `Preview of ${job.name}`,
    section: '/ui/jobs',
    body: html`<h1>Preview of <a href="/ui/jobs/${encodeURIComponent(job.name)}">${job.name}</a></h1>
      <p class="lead">
        As of ${time(preview.asOf, job.timezone)}: ${count(total)} records match now. Nothing has been
        deleted.${preview.queries.length > 1 ? ' Each query is counted as the data is now: later queries may match more once earlier ones have deleted.' : ''}
      </p>
      ${dataTable({
        cards: true,
        columns: [
          { header: '#', class: 'num' },
          { header: 'Entity' },
          { header: 'Matched', class: 'num' },
          { header: 'Cascaded', class: 'num' },
          { header: 'Predicted failures', class: 'num' },
          { header: 'Sample keys' },
        ],
        rows,
      })}
      ${preview.warnings.map((w) => html`<p class="problem" role="alert">${w}</p>`)}
      ${confirm}`,
  });
}

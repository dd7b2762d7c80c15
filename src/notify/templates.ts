import { escapeHtml, formatCount, formatDuration, formatInstant, oneLine, plural } from './format';
import { OUTCOME_STYLES } from './outcome';
import type { RenderedNotification, RunOutcome, RunReport } from './report';

/**
 * Notification emails, pure: a RunReport in, subject + text + HTML out.
 *
 * Each outcome has a small template (wording and colour); the body is built once as a list of blocks
 * and rendered twice, as plain text and as HTML, so both always carry the same content.
 */

/** Failure examples shown per error code; the rest are counted and reached with `failuresCommand`. */
export const EXAMPLES_PER_CODE = 5;

interface OutcomeTemplate {
  /** Subject text after the label: the counts, or the reason for a failed run. */
  subjectDetail(report: RunReport): string;
  /** First sentence of the body. */
  summary(report: RunReport): string;
}

const outcomeTemplates: Record<RunOutcome, OutcomeTemplate> = {
  succeeded: {
    subjectDetail: ({ run }) => `${formatCount(run.deleted)} deleted`,
    summary: ({ run }) => `Deleted ${plural(run.deleted, 'record')}.`,
  },
  completed_with_failures: {
    subjectDetail: ({ run }) => `${formatCount(run.deleted)} deleted, ${formatCount(run.failed)} failed`,
    summary: ({ run }) =>
      `Deleted ${plural(run.deleted, 'record')}; ${plural(run.failed, 'record')} could not be deleted.`,
  },
  failed: {
    subjectDetail: ({ run }) => {
      const reason = oneLine(run.reason ?? 'no reason recorded', 90);
      const counts = run.deleted > 0 || run.failed > 0 ? ` (${formatCount(run.deleted)} deleted)` : '';
      return `${reason}${counts}`;
    },
    summary: ({ run }) => {
      if (run.deleted === 0 && run.failed === 0) return 'The run failed; nothing was deleted.';
      const failed = run.failed > 0 ? `; ${plural(run.failed, 'record')} could not be deleted` : '';
      return `The run failed after deleting ${plural(run.deleted, 'record')}${failed}.`;
    },
  },
};

interface Field {
  label: string;
  value: string;
  /** The value is this address: a link in HTML. */
  href?: string;
}

interface FailureGroup {
  code: string;
  count: number;
  examples: { entity: string; key: string; message: string }[];
  /** Failures of this code not shown as examples. */
  more: number;
}

type Block =
  | { kind: 'fields'; fields: Field[] }
  | { kind: 'queries'; title: string; head: string[]; rows: string[][]; total: string[] }
  | { kind: 'failures'; title: string; groups: FailureGroup[]; command: string }
  | { kind: 'footer'; text: string };

interface NotificationDocument {
  subject: string;
  headline: string;
  summary: string;
  colour: string;
  blocks: Block[];
}

export function renderNotification(report: RunReport): RenderedNotification {
  const doc = buildDocument(report);
  return { subject: doc.subject, text: renderText(doc), html: renderHtml(doc) };
}

function buildDocument(report: RunReport): NotificationDocument {
  const { run, job } = report;
  const template = outcomeTemplates[run.status];
  const style = OUTCOME_STYLES[run.status];
  if (!template || !style) {
    throw new Error(
      `cannot render a notification for run ${run.id} of job "${job.name}": status "${String(run.status)}" ` +
        `is not one of ${Object.keys(outcomeTemplates).join(', ')}`,
    );
  }
  const zone = job.timezone;
  const headline = `${job.name} ${style.label}`;
  const fields: Field[] = [
    { label: 'Run', value: String(run.id) },
    { label: 'Job', value: `${job.name} (target ${job.target})` },
    ...(job.description ? [{ label: 'Description', value: oneLine(job.description, 300) }] : []),
    { label: 'Trigger', value: run.trigger === 'manual' ? `manual (run now, asked by ${oneLine(run.requestedBy, 100)})` : 'scheduled' },
    ...(run.resumed ? [{ label: 'Resumed', value: 'after an interruption, from its checkpoint' }] : []),
    ...(report.runPageUrl ? [{ label: 'Run page', value: report.runPageUrl, href: report.runPageUrl }] : []),
    {
      label: 'Scheduled for',
      value: run.scheduledFor ? formatInstant(run.scheduledFor, zone) : 'none (manual run)',
    },
    { label: 'As of', value: formatInstant(run.asOf, zone) },
    { label: 'Started', value: formatInstant(run.startedAt, zone) },
    { label: 'Finished', value: formatInstant(run.finishedAt, zone) },
    { label: 'Duration', value: formatDuration(run.finishedAt.getTime() - run.startedAt.getTime()) },
    { label: 'Deleted', value: formatCount(run.deleted) },
    { label: 'Failed', value: formatCount(run.failed) },
    ...(report.archive ? [{ label: 'Archived', value: `${report.archive.archived === null ? 'unknown' : formatCount(report.archive.archived)} (${report.archive.where})` }] : []),
  ];
  if (run.status === 'failed') fields.push({ label: 'Reason', value: run.reason ?? 'no reason recorded' });

  const blocks: Block[] = [{ kind: 'fields', fields }, queriesBlock(report)];
  const groups = failureGroups(report);
  if (groups.length > 0 || run.failed > 0) {
    blocks.push({
      kind: 'failures',
      title: 'Failures by error code',
      groups,
      command: report.failuresCommand,
    });
  }
  blocks.push({
    kind: 'fields',
    fields: [
      {
        label: 'Next run',
        value: report.nextRunAt ? formatInstant(report.nextRunAt, zone) : 'none (one-off)',
      },
    ],
  });
  blocks.push({ kind: 'footer', text: whyYouGetThis(report) });

  return {
    subject: `[sweeper] ${oneLine(job.name, 100)} ${style.label}: ${template.subjectDetail(report)}`,
    headline,
    summary: run.resumed ? `${template.summary(report)} The run was resumed after an interruption.` : template.summary(report),
    colour: style.colour,
    blocks,
  };
}

/** The footer: why the reader gets this message and where that is set. */
function whyYouGetThis({ job }: RunReport): string {
  const which = job.notifyOn === 'always' ? 'every run of it is mailed' : 'runs of it with failures are mailed';
  return (
    `You get this email because you are in notify.to or notify.cc of the Sweeper job ${job.name}, ` +
    `whose notify.on is ${job.notifyOn}: ${which}. Change notify in the job's file to stop or change it.`
  );
}

function queriesBlock(report: RunReport): Block {
  const queries = [...report.queries].sort((a, b) => a.index - b.index);
  const sum = (pick: (q: RunReport['queries'][number]) => number) => queries.reduce((n, q) => n + pick(q), 0);
  return {
    kind: 'queries',
    title: 'Queries',
    head: ['#', 'entity', 'matched', 'deleted', 'failed', 'cascaded'],
    rows: queries.map((q) => [
      String(q.index),
      q.entity,
      formatCount(q.matched),
      formatCount(q.deleted),
      formatCount(q.failed),
      formatCount(q.cascaded),
    ]),
    total: [
      '',
      'total',
      formatCount(sum((q) => q.matched)),
      formatCount(sum((q) => q.deleted)),
      formatCount(sum((q) => q.failed)),
      formatCount(sum((q) => q.cascaded)),
    ],
  };
}

/** Largest group first (ties by code), at most EXAMPLES_PER_CODE examples each, one line per value. */
function failureGroups(report: RunReport): FailureGroup[] {
  return [...report.failuresByCode]
    .sort((a, b) => b.count - a.count || a.code.localeCompare(b.code))
    .map((g) => {
      const examples = g.examples.slice(0, EXAMPLES_PER_CODE).map((e) => ({
        entity: oneLine(e.entity, 100),
        key: oneLine(e.key, 200),
        message: oneLine(e.message, 300),
      }));
      return {
        code: oneLine(g.code, 100),
        count: g.count,
        examples,
        more: Math.max(0, g.count - examples.length),
      };
    });
}

// ---------------------------------------------------------------- text

function renderText(doc: NotificationDocument): string {
  const out: string[] = [doc.headline, doc.summary];
  const width = Math.max(
    ...doc.blocks.flatMap((b) => (b.kind === 'fields' ? b.fields.map((f) => f.label.length) : [])),
  );
  for (const block of doc.blocks) {
    out.push('');
    switch (block.kind) {
      case 'fields': {
        // A multi-line value (a failure reason) continues under the value column.
        const indent = '\n' + ' '.repeat(width + 2);
        for (const f of block.fields)
          out.push(`${f.label.padEnd(width)}  ${f.value.split(/\r?\n/).join(indent)}`);
        break;
      }
      case 'queries': {
        out.push(block.title);
        const rows = [block.head, ...block.rows, block.total];
        const widths = block.head.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
        const line = (r: string[]) =>
          '  ' +
          r
            .map((cell, i) => (i <= 1 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
            .join('  ')
            .trimEnd();
        out.push(...rows.map(line));
        break;
      }
      case 'failures': {
        out.push(block.title);
        if (block.groups.length === 0) out.push('  (no failure records found)');
        for (const g of block.groups) {
          out.push(`  ${g.code}: ${plural(g.count, 'record')}`);
          for (const e of g.examples) out.push(`    - ${e.entity} ${e.key}: ${e.message}`);
          if (g.more > 0) out.push(`    ... and ${formatCount(g.more)} more`);
        }
        out.push(`  List them all: ${block.command}`);
        break;
      }
      case 'footer':
        // "-- " (with its space) is the signature separator mail clients recognise (RFC 3676).
        out.push('-- ', block.text);
        break;
    }
  }
  return out.join('\n') + '\n';
}

// ---------------------------------------------------------------- HTML

const FONT = 'font-family:Arial,Helvetica,sans-serif;font-size:14px;color:#1f2328';
/** Long values (keys, messages, paths) wrap anywhere, so a table fits a 375 px phone screen. */
const WRAP = 'overflow-wrap:anywhere;word-break:break-word';
const CELL = `padding:4px 6px;border:1px solid #d0d7de;vertical-align:top;${WRAP}`;
const HEAD_CELL = `${CELL};background:#f6f8fa;font-weight:bold`;
const LABEL_CELL = 'padding:2px 12px 2px 0;vertical-align:top;font-weight:bold;white-space:nowrap';
const TABLE = 'border-collapse:collapse;margin:4px 0 12px 0';

function renderHtml(doc: NotificationDocument): string {
  const h = escapeHtml;
  const sections = doc.blocks.map(
    (block) => `<tr><td style="padding:8px 12px">${htmlBlock(block)}</td></tr>`,
  );
  return [
    '<!DOCTYPE html>',
    '<html><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${h(doc.subject)}</title></head>`,
    `<body style="margin:0;padding:8px;background:#ffffff;${FONT}">`,
    `<table role="presentation" cellpadding="0" cellspacing="0" width="100%" style="border-collapse:collapse;width:100%;max-width:760px;${FONT}">`,
    `<tr><td style="padding:12px;background:${doc.colour};color:#ffffff;font-size:18px;font-weight:bold;${WRAP}">${h(doc.headline)}</td></tr>`,
    `<tr><td style="padding:12px 12px 4px 12px">${h(doc.summary)}</td></tr>`,
    ...sections,
    '</table>',
    '</body></html>',
    '',
  ].join('\n');
}

function htmlBlock(block: Block): string {
  const h = escapeHtml;
  switch (block.kind) {
    case 'fields':
      return (
        `<table role="presentation" cellpadding="0" cellspacing="0" style="${TABLE};${FONT}">` +
        block.fields
          .map(
            (f) =>
              `<tr><td style="${LABEL_CELL}">${h(f.label)}</td><td style="padding:2px 0;white-space:pre-wrap;${WRAP}">${f.href && /^https?:\/\//i.test(f.href) ? `<a href="${h(f.href)}">${h(f.value)}</a>` : h(f.value)}</td></tr>`,
          )
          .join('') +
        '</table>'
      );
    case 'queries': {
      const align = (i: number) => (i <= 1 ? 'left' : 'right');
      const row = (cells: string[], style: string, tag: 'td' | 'th') =>
        '<tr>' +
        cells
          .map(
            (c, i) => `<${tag} align="${align(i)}" style="${style};text-align:${align(i)}">${h(c)}</${tag}>`,
          )
          .join('') +
        '</tr>';
      return (
        `<div style="font-weight:bold;margin-top:4px">${h(block.title)}</div>` +
        // 12px: six columns with their headings fit the 335 px a 375 px phone leaves inside the margins.
        `<table cellpadding="0" cellspacing="0" style="${TABLE};${FONT};font-size:12px">` +
        row(block.head, HEAD_CELL, 'th') +
        block.rows.map((r) => row(r, CELL, 'td')).join('') +
        row(block.total, `${CELL};font-weight:bold`, 'td') +
        '</table>'
      );
    }
    case 'failures': {
      const groups = block.groups.map((g) => {
        const examples = g.examples
          .map(
            (e) =>
              `<tr><td style="${CELL}">${h(e.entity)}</td><td style="${CELL}">${h(e.key)}</td><td style="${CELL}">${h(e.message)}</td></tr>`,
          )
          .join('');
        const more =
          g.more > 0 ? `<div style="color:#59636e">... and ${h(formatCount(g.more))} more</div>` : '';
        return (
          `<div style="margin-top:8px"><code>${h(g.code)}</code>: ${h(plural(g.count, 'record'))}</div>` +
          (examples
            ? `<table cellpadding="0" cellspacing="0" style="${TABLE};${FONT}">` +
              `<tr><th align="left" style="${HEAD_CELL}">entity</th><th align="left" style="${HEAD_CELL}">key</th><th align="left" style="${HEAD_CELL}">message</th></tr>` +
              examples +
              '</table>'
            : '') +
          more
        );
      });
      const none = block.groups.length === 0 ? '<div>(no failure records found)</div>' : '';
      return (
        `<div style="font-weight:bold;margin-top:4px">${h(block.title)}</div>` +
        none +
        groups.join('') +
        `<div style="margin-top:8px">List them all: <code style="background:#f6f8fa;padding:2px 4px;${WRAP}">${h(block.command)}</code></div>`
      );
    }
    case 'footer':
      return `<div style="border-top:1px solid #d0d7de;padding-top:8px;color:#59636e;font-size:12px">${h(block.text)}</div>`;
  }
}


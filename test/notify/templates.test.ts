import { escapeHtml, formatDuration, formatInstant } from '../../src/notify/format';
import type { RunReport } from '../../src/notify/report';
import { renderNotification } from '../../src/notify/templates';

const HOSTILE = `<script>alert("x&y")</script> 'quoted'`;

function report(
  overrides: { run?: Partial<RunReport['run']> } & Partial<Omit<RunReport, 'run'>> = {},
): RunReport {
  const { run, ...rest } = overrides;
  return {
    run: {
      id: 42,
      job: 'purge-expired-sessions',
      status: 'succeeded',
      reason: null,
      trigger: 'scheduled',
      scheduledFor: new Date('2026-12-01T01:00:00Z'),
      asOf: new Date('2026-12-01T01:00:00.250Z'),
      startedAt: new Date('2026-12-01T01:00:01Z'),
      finishedAt: new Date('2026-12-01T01:02:15Z'),
      deleted: 1204,
      failed: 0,
      requestedBy: 'scheduler',
      resumed: false,
      ...run,
    },
    job: {
      name: 'purge-expired-sessions',
      description: 'Sessions expire after 30 days of inactivity',
      target: 'app',
      timezone: 'Europe/Berlin',
      notifyOn: 'always',
    },
    queries: [
      { index: 1, entity: 'sessions', matched: 204, deleted: 204, failed: 0, cascaded: 3 },
      { index: 0, entity: 'session_events', matched: 1000, deleted: 1000, failed: 0, cascaded: 0 },
    ],
    failuresByCode: [],
    nextRunAt: new Date('2026-12-02T01:00:00Z'),
    failuresCommand: 'sweeper --config /etc/sweeper.yaml failures --run 42',
    runPageUrl: null,
    ...rest,
  };
}

function withFailures(): RunReport {
  const examples = (n: number, entity: string) =>
    Array.from({ length: n }, (_, i) => ({
      entity,
      key: String(100 + i),
      message: `FOREIGN KEY constraint failed (${i})`,
    }));
  return report({
    run: { status: 'completed_with_failures', deleted: 1180, failed: 24 },
    queries: [
      { index: 0, entity: 'session_events', matched: 1000, deleted: 1000, failed: 0, cascaded: 0 },
      { index: 1, entity: 'sessions', matched: 204, deleted: 180, failed: 24, cascaded: 12 },
    ],
    failuresByCode: [
      { code: 'SQLITE_BUSY', count: 2, examples: examples(2, 'sessions') },
      { code: 'SQLITE_CONSTRAINT_FOREIGNKEY', count: 22, examples: examples(8, 'sessions') },
    ],
  });
}

function lines(text: string): string[] {
  return text.split('\n').map((l) => l.replace(/\s+/g, ' ').trim());
}

describe('renderNotification: succeeded', () => {
  const out = renderNotification(report());

  it('says job, outcome and count in the subject', () => {
    expect(out.subject).toBe('[sweeper] purge-expired-sessions succeeded: 1,204 deleted');
  });

  it('lists run id, trigger, times in UTC and the job zone, and the duration', () => {
    const text = lines(out.text);
    expect(text[0]).toBe('purge-expired-sessions succeeded');
    expect(text).toContain('Deleted 1,204 records.');
    expect(text).toContain('Run 42');
    expect(text).toContain('Job purge-expired-sessions (target app)');
    expect(text).toContain('Description Sessions expire after 30 days of inactivity');
    expect(text).toContain('Trigger scheduled');
    expect(text).toContain('Scheduled for 2026-12-01T01:00:00Z (2026-12-01 02:00:00 +01:00 Europe/Berlin)');
    expect(text).toContain('As of 2026-12-01T01:00:00.250Z (2026-12-01 02:00:00 +01:00 Europe/Berlin)');
    expect(text).toContain('Started 2026-12-01T01:00:01Z (2026-12-01 02:00:01 +01:00 Europe/Berlin)');
    expect(text).toContain('Finished 2026-12-01T01:02:15Z (2026-12-01 02:02:15 +01:00 Europe/Berlin)');
    expect(text).toContain('Duration 2m 14s');
    expect(text).toContain('Next run 2026-12-02T01:00:00Z (2026-12-02 02:00:00 +01:00 Europe/Berlin)');
  });

  it('has a per-query table in index order with a total row', () => {
    const text = lines(out.text);
    const head = text.indexOf('# entity matched deleted failed cascaded');
    expect(head).toBeGreaterThan(0);
    expect(text.slice(head + 1, head + 4)).toEqual([
      '0 session_events 1,000 1,000 0 0',
      '1 sessions 204 204 0 3',
      'total 1,204 1,204 0 3',
    ]);
  });

  it('has no failure section and no reason', () => {
    expect(out.text).not.toContain('Failures by error code');
    expect(out.text).not.toContain('Reason');
    expect(out.text).not.toContain('List them all');
  });

  it('carries the same content in HTML', () => {
    expect(out.html).toContain('<td style="padding:2px 0;white-space:pre-wrap;overflow-wrap:anywhere;word-break:break-word">2m 14s</td>');
    expect(out.html).toMatch(/<th[^>]*>cascaded<\/th>/);
    expect(out.html).toMatch(/<td[^>]*>session_events<\/td>/);
    expect(out.html).toContain('#1a7f37');
  });
});

describe('renderNotification: completed with failures', () => {
  const out = renderNotification(withFailures());

  it('says deleted and failed counts in the subject', () => {
    expect(out.subject).toBe(
      '[sweeper] purge-expired-sessions completed with failures: 1,180 deleted, 24 failed',
    );
    expect(lines(out.text)).toContain('Deleted 1,180 records; 24 records could not be deleted.');
  });

  it('groups failures by code, largest first, with at most 5 examples and the rest counted', () => {
    const text = lines(out.text);
    const fk = text.indexOf('SQLITE_CONSTRAINT_FOREIGNKEY: 22 records');
    const busy = text.indexOf('SQLITE_BUSY: 2 records');
    expect(fk).toBeGreaterThan(text.indexOf('Failures by error code'));
    expect(busy).toBeGreaterThan(fk);
    expect(text.slice(fk + 1, busy)).toEqual([
      '- sessions 100: FOREIGN KEY constraint failed (0)',
      '- sessions 101: FOREIGN KEY constraint failed (1)',
      '- sessions 102: FOREIGN KEY constraint failed (2)',
      '- sessions 103: FOREIGN KEY constraint failed (3)',
      '- sessions 104: FOREIGN KEY constraint failed (4)',
      '... and 17 more',
    ]);
    expect(text.slice(busy + 1, busy + 4)).toEqual([
      '- sessions 100: FOREIGN KEY constraint failed (0)',
      '- sessions 101: FOREIGN KEY constraint failed (1)',
      'List them all: sweeper --config /etc/sweeper.yaml failures --run 42',
    ]);
    expect(out.text).not.toContain('(5)');
  });

  it('shows the failure groups in HTML too', () => {
    expect(out.html).toContain('<code>SQLITE_CONSTRAINT_FOREIGNKEY</code>: 22 records');
    expect(out.html).toContain('... and 17 more');
    expect(out.html).toContain('sweeper --config /etc/sweeper.yaml failures --run 42</code>');
    expect(out.html).toContain('#9a6700');
  });
});

describe('renderNotification: failed', () => {
  it('puts the shortened reason in the subject and the full reason in the body', () => {
    const reason = `maxDeletes exceeded: the query set matches 812,345 records, more than limits.maxDeletes 500,000;\nraise the limit or narrow the queries`;
    const out = renderNotification(report({ run: { status: 'failed', reason, deleted: 0, failed: 0 } }));
    expect(out.subject).toMatch(
      /^\[sweeper\] purge-expired-sessions failed: maxDeletes exceeded: the query set matches 812,345 records, more than .*…$/,
    );
    expect(out.subject).not.toContain('\n');
    expect(out.subject.length).toBeLessThan(150);
    expect(out.text).toContain(
      'Reason         maxDeletes exceeded: the query set matches 812,345 records, more than limits.maxDeletes 500,000;\n' +
        '               raise the limit or narrow the queries\n',
    );
    expect(lines(out.text)).toContain('The run failed; nothing was deleted.');
    expect(out.html).toContain('#cf222e');
  });

  it('adds the count to the subject when the run deleted something before failing', () => {
    const out = renderNotification(
      report({ run: { status: 'failed', reason: 'target unavailable', deleted: 3000 } }),
    );
    expect(out.subject).toBe('[sweeper] purge-expired-sessions failed: target unavailable (3,000 deleted)');
    expect(lines(out.text)).toContain('The run failed after deleting 3,000 records.');
  });

  it('still renders without a recorded reason', () => {
    const out = renderNotification(report({ run: { status: 'failed', reason: null, deleted: 0 } }));
    expect(out.subject).toBe('[sweeper] purge-expired-sessions failed: no reason recorded');
  });

  it('refuses a status that is not an outcome, naming the run', () => {
    const bad = report({ run: { status: 'canceled' as never } });
    expect(() => renderNotification(bad)).toThrow(
      /run 42 of job "purge-expired-sessions": status "canceled"/,
    );
  });
});

describe('renderNotification: manual one-off runs', () => {
  const out = renderNotification(
    report({
      run: { trigger: 'manual', scheduledFor: null, requestedBy: 'cli:alice' },
      nextRunAt: null,
      job: { name: 'once', target: 'crm', timezone: 'UTC', notifyOn: 'always' },
    }),
  );

  it('says there is no next run and no schedule', () => {
    const text = lines(out.text);
    expect(text).toContain('Next run none (one-off)');
    expect(text).toContain('Scheduled for none (manual run)');
    expect(text).toContain('Trigger manual (run now, asked by cli:alice)');
    expect(out.html).toContain('none (one-off)');
  });

  it('shows UTC times once for a UTC job', () => {
    expect(lines(out.text)).toContain('Started 2026-12-01T01:00:01Z');
  });
});

describe('HTML escaping', () => {
  it('escapes the five HTML special characters', () => {
    expect(escapeHtml(HOSTILE)).toBe(
      '&lt;script&gt;alert(&quot;x&amp;y&quot;)&lt;/script&gt; &#39;quoted&#39;',
    );
    expect(escapeHtml('&amp;')).toBe('&amp;amp;');
    expect(escapeHtml('plain text 123')).toBe('plain text 123');
  });

  it('escapes every interpolated value in the HTML body', () => {
    const hostile = report({
      run: { status: 'failed', reason: HOSTILE, failed: 1 },
      job: { name: `job<b>"'&`, description: HOSTILE, target: `<t>`, timezone: 'UTC', notifyOn: 'failures' },
      runPageUrl: `https://sweeper.example.com/ui/runs/42?"><script>`,
      queries: [
        {
          index: 0,
          entity: `<img src=x onerror="alert(1)">`,
          matched: 1,
          deleted: 0,
          failed: 1,
          cascaded: 0,
        },
      ],
      failuresByCode: [
        { code: `<c>`, count: 1, examples: [{ entity: `<e>`, key: `{"id":"<k>&"}`, message: HOSTILE }] },
      ],
      failuresCommand: `sweeper failures --run 42 --entity '<x>'`,
    });
    const { html, text } = renderNotification(hostile);
    // Only tags the template writes itself may appear.
    const tags = new Set([...html.matchAll(/<\/?([a-zA-Z!]+)/g)].map((m) => m[1]!.toLowerCase()));
    expect([...tags].sort()).toEqual([
      '!doctype',
      'a',
      'body',
      'code',
      'div',
      'head',
      'html',
      'meta',
      'table',
      'td',
      'th',
      'title',
      'tr',
    ]);
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img');
    expect(html).not.toContain(`"alert`);
    expect(html).toContain('&lt;script&gt;alert(&quot;x&amp;y&quot;)&lt;/script&gt; &#39;quoted&#39;');
    expect(html).toContain('job&lt;b&gt;&quot;&#39;&amp;');
    expect(html).toContain('{&quot;id&quot;:&quot;&lt;k&gt;&amp;&quot;}');
    expect(html).toContain('--entity &#39;&lt;x&gt;&#39;');
    expect(html).toContain('<a href="https://sweeper.example.com/ui/runs/42?&quot;&gt;&lt;script&gt;">');
    // The text part is not HTML: values stay as they are.
    expect(text).toContain(`- <e> {"id":"<k>&"}: ${HOSTILE}`);
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [-5, '0s'],
    [350, '350ms'],
    [1000, '1s'],
    [14_999, '14s'],
    [134_000, '2m 14s'],
    [120_000, '2m'],
    [3_600_000 + 5_000, '1h'],
    [3_600_000 + 5 * 60_000 + 9_000, '1h 5m'],
    [3 * 86_400_000 + 4 * 3_600_000 + 59_000, '3d 4h'],
  ])('%d ms is "%s"', (ms, expected) => {
    expect(formatDuration(ms)).toBe(expected);
  });
});

describe('formatInstant', () => {
  it('shows the local time across a DST change with its offset', () => {
    expect(formatInstant(new Date('2026-07-01T00:30:00Z'), 'Europe/Berlin')).toBe(
      '2026-07-01T00:30:00Z (2026-07-01 02:30:00 +02:00 Europe/Berlin)',
    );
    expect(formatInstant(new Date('2026-03-08T10:00:00Z'), 'America/New_York')).toBe(
      '2026-03-08T10:00:00Z (2026-03-08 06:00:00 -04:00 America/New_York)',
    );
  });

  it('says so when the zone is not valid instead of guessing', () => {
    expect(formatInstant(new Date('2026-07-01T00:30:00Z'), 'Mars/Olympus')).toBe(
      '2026-07-01T00:30:00Z (time zone "Mars/Olympus" is not valid)',
    );
  });
});

describe('renderNotification: why, where and how the run went', () => {
  it('says a run was resumed after an interruption, in the summary and the fields', () => {
    const out = renderNotification(report({ run: { resumed: true } }));
    expect(lines(out.text)[1]).toBe('Deleted 1,204 records. The run was resumed after an interruption.');
    expect(lines(out.text)).toContain('Resumed after an interruption, from its checkpoint');
    expect(out.html).toContain('resumed after an interruption');
    expect(renderNotification(report()).text).not.toContain('Resumed');
  });

  it("links the run's page when http.publicUrl is set, and says nothing of it otherwise", () => {
    const url = 'https://sweeper.example.com/ui/runs/42';
    const out = renderNotification(report({ runPageUrl: url }));
    expect(lines(out.text)).toContain(`Run page ${url}`);
    expect(out.html).toContain(`<a href="${url}">${url}</a>`);
    const without = renderNotification(report());
    expect(without.text).not.toContain('Run page');
    expect(without.html).not.toContain('<a href');
  });

  it('ends with a footer saying why the reader gets it: notify.on of the job', () => {
    const always = renderNotification(report());
    const text = always.text.trimEnd().split('\n');
    expect(text[text.length - 2]).toBe('-- ');
    expect(text[text.length - 1]).toBe(
      'You get this email because you are in notify.to or notify.cc of the Sweeper job purge-expired-sessions, ' +
        "whose notify.on is always: every run of it is mailed. Change notify in the job's file to stop or change it.",
    );
    expect(always.html).toContain('whose notify.on is always');
    const failures = renderNotification(report({ job: { ...report().job, notifyOn: 'failures' } }));
    expect(failures.text).toContain('whose notify.on is failures: runs of it with failures are mailed');
  });

  it('fits a 375 px phone: a viewport meta, no fixed widths, long values wrap', () => {
    const html = renderNotification(withFailures()).html;
    expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    // Widths in px beyond the screen would force a sideways scroll; only max-width may exceed it.
    const widths = [...html.matchAll(/(?<![-\w])(?:min-)?width\s*[:=]\s*"?(\d+)(?:px)?/g)].map((m) => Number(m[1]));
    expect(widths.filter((w) => w > 335)).toEqual([]);
    expect(html).not.toMatch(/min-width/);
    // Every table cell with data (keys, messages, entity names) may break long words.
    const cells = [...html.matchAll(/<td style="([^"]*)">(?!<table)/g)].map((m) => m[1]!);
    const labels = cells.filter((c) => c.includes('white-space:nowrap'));
    expect(cells.length - labels.length).toBeGreaterThan(10);
    for (const style of cells.filter((c) => !c.includes('white-space:nowrap') && !c.startsWith('padding:8px 12px') && !c.startsWith('padding:12px 12px 4px'))) {
      expect(style).toContain('overflow-wrap:anywhere');
    }
    // The queries table is the widest: its six columns use the small font.
    expect(html).toMatch(/<table cellpadding="0" cellspacing="0" style="[^"]*font-size:12px"><tr><th[^>]*>#<\/th>/);
  });
});

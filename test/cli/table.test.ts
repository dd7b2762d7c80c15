import { outputWidth } from '../../src/cli/context';
import type { CommandContext } from '../../src/cli/context';
import { outputFormat, printListing } from '../../src/cli/output';
import { notificationLine } from '../../src/cli/runs-command';
import { formatAge, formatCountsIn, renderTable, type Column } from '../../src/cli/table';
import type { OutboxMessage } from '../../src/store/outbox-repository';

const COLUMNS: Column[] = [
  { header: 'RUN', kind: 'number' },
  { header: 'JOB', kind: 'text' },
  { header: 'STATUS' },
  { header: 'TRIGGER', wide: true },
  { header: 'DELETED', kind: 'number' },
  { header: 'REASON', kind: 'text' },
];
const ROWS = [
  [1234, 'purge-expired-sessions-of-the-whole-fleet', 'completed_with_failures', 'scheduled', '1,234,567', 'maxRuntime 2h reached at a batch boundary after 1234567 deleted; the rest waits for the next run'],
  [7, 'short', 'succeeded', 'manual', '0', 'started'],
];

describe('tables fit the terminal', () => {
  it('at 80 columns every line fits; free text is cut with …, numbers, statuses and ids are whole', () => {
    const text = renderTable(COLUMNS, ROWS, { width: 80 });
    const lines = text.split('\n');
    for (const line of lines) expect([...line].length).toBeLessThanOrEqual(80);
    expect(lines[2]).toContain('1234');
    expect(lines[2]).toContain('completed_with_failures');
    expect(lines[2]).toContain('1,234,567');
    expect(lines[2]).toMatch(/purge-expired-\w*…/);
    expect(lines[2]).toMatch(/maxRuntime 2h.*…$/);
    // A text that fits is not cut; the narrow column keeps its width.
    expect(lines[3]).toMatch(/short +succeeded/);
    // -o wide columns are left out.
    expect(lines[0]).not.toContain('TRIGGER');
  });

  it('at 40 columns the text columns keep at least their headers (the table is wider rather than cut below them)', () => {
    const lines = renderTable(COLUMNS, ROWS, { width: 40 }).split('\n');
    expect(lines[0]).toMatch(/^ RUN {2}JOB +STATUS +DELETED {2}REASON$/);
    expect(lines[2]).toContain('1,234,567');
  });

  it('wide (no width): every column, nothing cut; numbers right-aligned', () => {
    const lines = renderTable(COLUMNS, ROWS).split('\n');
    expect(lines[0]).toContain('TRIGGER');
    expect(lines[2]).toContain('purge-expired-sessions-of-the-whole-fleet');
    expect(lines[2]).toContain('the rest waits for the next run');
    expect(lines[3]).toMatch(/^ {3}7 /);
  });

  it('counts inside text are grouped like the number columns; ids, years and times are left alone', () => {
    expect(formatCountsIn('25036 deleted')).toBe('25,036 deleted');
    expect(formatCountsIn('25036 deleted, 679 could not be deleted')).toBe('25,036 deleted, 679 could not be deleted');
    expect(formatCountsIn('after 1234567 deleted; the rest waits')).toBe('after 1,234,567 deleted; the rest waits');
    expect(formatCountsIn('postponed until 2026-12-24 08:00 by cli:ops')).toBe('postponed until 2026-12-24 08:00 by cli:ops');
    expect(formatCountsIn('run #12345 deleted')).toBe('run #12345 deleted');
    expect(formatCountsIn(null)).toBeNull();
  });

  it('the width: the terminal, else $COLUMNS, else 80', () => {
    expect(outputWidth(132, { COLUMNS: '60' })).toBe(132);
    expect(outputWidth(undefined, { COLUMNS: '60' })).toBe(60);
    expect(outputWidth(undefined, { COLUMNS: 'wide' })).toBe(80);
    expect(outputWidth(undefined, {})).toBe(80);
  });

  it('ages as kubectl shows them', () => {
    const now = new Date('2026-12-01T12:00:00Z');
    expect(formatAge(new Date('2026-12-01T11:59:15Z'), now)).toBe('45s');
    expect(formatAge(new Date('2026-12-01T11:00:00Z'), now)).toBe('60m');
    expect(formatAge(new Date('2026-11-30T09:00:00Z'), now)).toBe('27h');
    expect(formatAge(new Date('2026-11-21T12:00:00Z'), now)).toBe('10d');
    expect(formatAge(null, now)).toBe('-');
  });
});

describe('-o', () => {
  it('-o wins, --json is -o json, failures --format is the same flag', () => {
    expect(outputFormat({})).toBe('table');
    expect(outputFormat({ json: true })).toBe('json');
    expect(outputFormat({ output: 'yaml', json: true })).toBe('yaml');
    expect(outputFormat({}, { flag: '--format', value: 'csv' })).toBe('csv');
    expect(() => outputFormat({}, { flag: '--format', value: 'xml' })).toThrow('--format "xml" is not an output format: use one of table, wide, json, yaml, csv');
  });

  it('-o csv ends every line with CRLF, the last one too', () => {
    let printed = '';
    const ctx = { out: (text: string) => (printed += `${text}\n`), width: 80 } as unknown as CommandContext;
    printListing(ctx, 'csv', { items: [], columns: [{ header: 'id' }, { header: 'note' }], rows: [[1, 'a'], [2, 'b ']] });
    expect(printed).toBe('id,note\r\n1,a\r\n2,b \r\n');
  });
});

describe('runs show: where the notification went', () => {
  const message = (m: Partial<OutboxMessage>): OutboxMessage => ({
    id: 1,
    runId: 1,
    channel: 'email',
    messageId: 'sweeper.run-1.test@localhost',
    job: null,
    status: 'sent',
    to: ['ops@example.com'],
    cc: [],
    subject: 's',
    text: '',
    html: '',
    fileName: 'x.eml',
    attempts: 1,
    nextAttemptAt: new Date(),
    lastError: null,
    location: null,
    sentAt: new Date(),
    ...m,
  });
  const display = (f: string) => f.replace('/srv/sweeper/', '');

  it('a written .eml file, one attempt', () => {
    expect(notificationLine(message({ location: '/srv/sweeper/data/outbox/run-1.eml' }), display)).toBe('written to file data/outbox/run-1.eml (1 attempt)');
  });
  it('sent via SMTP, with the server answer', () => {
    expect(notificationLine(message({ location: 'smtp.example.com:587: 250 OK queued', attempts: 3 }), display)).toBe('sent via SMTP (smtp.example.com:587: 250 OK queued) (3 attempts)');
  });
  it('waiting, and given up', () => {
    expect(notificationLine(message({ status: 'pending', attempts: 0 }), display)).toBe('waiting in the outbox (not tried yet)');
    expect(notificationLine(message({ status: 'pending', attempts: 2, lastError: 'ECONNREFUSED' }), display)).toBe(
      'waiting in the outbox, retried with backoff (2 attempts so far; last error: ECONNREFUSED)',
    );
    expect(notificationLine(message({ status: 'dead', attempts: 12, lastError: '550 no such user' }), display)).toBe('not delivered, given up after 12 attempts: 550 no such user');
    expect(notificationLine(null, display)).toMatch(/^none/);
  });
});

/**
 * The `recurrence` of a job: an RFC 5545 RRULE body, checked strictly. rrule's own parser is lenient
 * (FREQ=DAYLY parses to no frequency, BYHOUR=25 is kept, and some combinations make its iterator loop
 * forever), so every part is checked here; rrule's parser still runs first so its message is shown
 * for text it cannot read.
 */
import { Frequency, RRule } from 'rrule';
import { wallOf, type WallTime } from './civil-calendar';

export const RRULE_EXAMPLE = 'FREQ=WEEKLY;BYDAY=MO,WE;BYHOUR=2';
/** COUNT is expanded once when the schedule is built; this keeps that bounded. */
export const MAX_COUNT = 100_000;

export type UntilBound =
  /** UNTIL=...Z: an absolute instant. */
  | { kind: 'instant'; instant: number }
  /** UNTIL without Z: local wall time in the job's zone (a date alone means the end of that day). */
  | { kind: 'wall'; wall: WallTime };

export interface WeekdayRule {
  /** rrule's numbering: 0 = MO ... 6 = SU. */
  weekday: number;
  /** Ordinal (+1 = first, -1 = last), for MONTHLY and YEARLY. */
  n?: number;
}

export interface RecurrenceRule {
  /** The text as written, without a leading "RRULE:". */
  text: string;
  freq: Frequency;
  interval: number;
  count?: number;
  until?: UntilBound;
  /** 0 = MO ... 6 = SU */
  wkst?: number;
  bymonth?: number[];
  byweekno?: number[];
  byyearday?: number[];
  bymonthday?: number[];
  byday?: WeekdayRule[];
  byhour?: number[];
  byminute?: number[];
  bysecond?: number[];
  bysetpos?: number[];
}

const FREQUENCIES: Record<string, Frequency> = {
  YEARLY: Frequency.YEARLY,
  MONTHLY: Frequency.MONTHLY,
  WEEKLY: Frequency.WEEKLY,
  DAILY: Frequency.DAILY,
  HOURLY: Frequency.HOURLY,
  MINUTELY: Frequency.MINUTELY,
  SECONDLY: Frequency.SECONDLY,
};
const WEEKDAYS = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'];

type ListKey =
  'bymonth' | 'byweekno' | 'byyearday' | 'bymonthday' | 'byhour' | 'byminute' | 'bysecond' | 'bysetpos';
const NUMBER_LISTS: Record<
  string,
  { key: ListKey; min: number; max: number; signed: boolean; note?: string }
> = {
  BYSECOND: { key: 'bysecond', min: 0, max: 59, signed: false, note: 'leap second 60 is not supported' },
  BYMINUTE: { key: 'byminute', min: 0, max: 59, signed: false },
  BYHOUR: { key: 'byhour', min: 0, max: 23, signed: false },
  BYMONTHDAY: { key: 'bymonthday', min: 1, max: 31, signed: true },
  BYYEARDAY: { key: 'byyearday', min: 1, max: 366, signed: true },
  BYWEEKNO: { key: 'byweekno', min: 1, max: 53, signed: true },
  BYMONTH: { key: 'bymonth', min: 1, max: 12, signed: false },
  BYSETPOS: { key: 'bysetpos', min: 1, max: 366, signed: true },
};

/** The rule, or every problem found in it (messages start with `recurrence "<text>"`). */
export function parseRecurrence(source: string): { rule: RecurrenceRule | null; problems: string[] } {
  const text = source.trim().replace(/^RRULE:/i, '');
  const label = `recurrence "${source}"`;
  if (text.trim() === '')
    return fail(
      `${label} is empty: write an RRULE such as ${RRULE_EXAMPLE}, or leave it out for a one-off job`,
    );
  if (/DTSTART/i.test(text)) {
    return fail(
      `${label} contains DTSTART: the first occurrence comes from "start" (local time in the job's timezone); ` +
        `remove DTSTART and write e.g. start: 2026-12-01T02:00:00 with recurrence: FREQ=DAILY`,
    );
  }
  if (/[\r\n]/.test(text))
    return fail(`${label} has several lines: give only the RRULE body, e.g. ${RRULE_EXAMPLE}`);
  const malformed = text.split(';').find((p) => p !== '' && !/^[A-Za-z]+=[^=]+$/.test(p));
  if (malformed !== undefined)
    return fail(`${label}: "${malformed}" is not KEY=VALUE; write it like ${RRULE_EXAMPLE}`);
  try {
    RRule.parseString(text.toUpperCase());
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return fail(`${label} is not a valid RRULE (${why}): write it like ${RRULE_EXAMPLE} (RFC 5545)`);
  }
  const problems: string[] = [];
  const rule: RecurrenceRule = { text, freq: Frequency.DAILY, interval: 1 };
  const seen = new Set<string>();
  for (const part of text
    .toUpperCase()
    .split(';')
    .filter((p) => p !== '')) {
    const [key = '', value = ''] = part.split('=');
    const bad = (why: string): void => void problems.push(`${label}: ${why}`);
    if (seen.has(key)) {
      bad(`${key} is given twice; keep one`);
      continue;
    }
    seen.add(key);
    const list = NUMBER_LISTS[key];
    if (list) {
      const numbers = parseNumberList(value, list.min, list.max, list.signed);
      if (typeof numbers === 'string')
        bad(`${key}=${value}: ${numbers}${list.note ? ` (${list.note})` : ''}`);
      else rule[list.key] = numbers;
      continue;
    }
    switch (key) {
      case 'FREQ': {
        const freq = FREQUENCIES[value];
        if (freq === undefined)
          bad(`FREQ=${value} is not one of ${Object.keys(FREQUENCIES).join(', ')}; e.g. FREQ=DAILY`);
        else rule.freq = freq;
        break;
      }
      case 'INTERVAL':
      case 'COUNT': {
        const n = /^\d+$/.test(value) ? Number(value) : NaN;
        if (!(n >= 1)) bad(`${key}=${value} must be a whole number of at least 1`);
        else if (key === 'COUNT' && n > MAX_COUNT)
          bad(`COUNT=${value} is more than ${MAX_COUNT}; use UNTIL=<date> instead`);
        else if (key === 'COUNT') rule.count = n;
        else rule.interval = n;
        break;
      }
      case 'UNTIL': {
        const until = parseUntil(value);
        if (!until)
          bad(
            `UNTIL=${value} is not a date like 20261231, 20261231T235959 (local) or 20261231T225959Z (UTC)`,
          );
        else rule.until = until;
        break;
      }
      case 'WKST': {
        const wkst = WEEKDAYS.indexOf(value);
        if (wkst < 0) bad(`WKST=${value} is not one of ${WEEKDAYS.join(', ')}`);
        else rule.wkst = wkst;
        break;
      }
      case 'BYDAY': {
        const days = parseByDay(value);
        if (typeof days === 'string') bad(`BYDAY=${value}: ${days}`);
        else rule.byday = days;
        break;
      }
      case 'TZID':
        bad('TZID is not allowed: the zone comes from "timezone"; remove TZID');
        break;
      default:
        bad(
          `${key} is not an RFC 5545 rule part; use FREQ, INTERVAL, COUNT, UNTIL, WKST, BYSETPOS and BYMONTH, BYWEEKNO, BYYEARDAY, BYMONTHDAY, BYDAY, BYHOUR, BYMINUTE, BYSECOND`,
        );
    }
  }
  if (!seen.has('FREQ'))
    problems.push(
      `${label} has no FREQ: start it with FREQ=DAILY (or YEARLY, MONTHLY, WEEKLY, HOURLY, MINUTELY, SECONDLY)`,
    );
  if (problems.length === 0) problems.push(...combinationProblems(rule, label));
  return problems.length ? { rule: null, problems } : { rule, problems };
}

function fail(message: string): { rule: null; problems: string[] } {
  return { rule: null, problems: [message] };
}

function parseNumberList(value: string, min: number, max: number, signed: boolean): number[] | string {
  const numbers: number[] = [];
  for (const item of value.split(',')) {
    const n = (signed ? /^[+-]?\d{1,3}$/ : /^\d{1,3}$/).test(item) ? Number(item) : NaN;
    if (Number.isNaN(n) || Math.abs(n) < min || Math.abs(n) > max || (signed && n === 0)) {
      const range = signed ? `${min} to ${max} or -${max} to -${min}` : `${min} to ${max}`;
      return `"${item}" is not a number from ${range}`;
    }
    numbers.push(n);
  }
  // Sorted and distinct: rrule yields times in the order BYHOUR/BYMINUTE/BYSECOND list them.
  return [...new Set(numbers)].sort((a, b) => a - b);
}

function parseByDay(value: string): WeekdayRule[] | string {
  const days: WeekdayRule[] = [];
  for (const item of value.split(',')) {
    const m = /^([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$/.exec(item);
    const n = m?.[1] === undefined ? undefined : Number(m[1]);
    if (!m || n === 0 || (n !== undefined && Math.abs(n) > 53)) {
      return `"${item}" is not a weekday (MO, TU, WE, TH, FR, SA, SU), optionally with an ordinal like 1MO or -1FR`;
    }
    days.push(
      n === undefined ? { weekday: WEEKDAYS.indexOf(m[2]!) } : { weekday: WEEKDAYS.indexOf(m[2]!), n },
    );
  }
  return days;
}

function parseUntil(value: string): UntilBound | null {
  const m = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})(Z?))?$/.exec(value);
  if (!m) return null;
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4], m[5], m[6]].map((v) => Number(v ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const wall = wallOf(y, mo, d, h, mi, s);
  const back = new Date(wall);
  if (back.getUTCMonth() + 1 !== mo || back.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) return null;
  if (m[7] === 'Z') return { kind: 'instant', instant: wall };
  // A date alone includes the whole of that day in the job's zone.
  return { kind: 'wall', wall: m[4] === undefined ? wallOf(y, mo, d + 1) - 1 : wall };
}

/** The combinations RFC 5545 forbids, and those rrule cannot iterate without looping forever. */
function combinationProblems(rule: RecurrenceRule, label: string): string[] {
  const problems: string[] = [];
  const freq = Frequency[rule.freq];
  const say = (why: string): void => void problems.push(`${label}: ${why}`);
  if (rule.count !== undefined && rule.until !== undefined)
    say('COUNT and UNTIL cannot both be given (RFC 5545); keep one');
  if (rule.byweekno && rule.freq !== Frequency.YEARLY) say(`BYWEEKNO needs FREQ=YEARLY, not FREQ=${freq}`);
  if (rule.byyearday && [Frequency.MONTHLY, Frequency.WEEKLY, Frequency.DAILY].includes(rule.freq)) {
    say(`BYYEARDAY cannot be used with FREQ=${freq} (RFC 5545); use FREQ=YEARLY`);
  }
  if (rule.bymonthday && rule.freq === Frequency.WEEKLY)
    say('BYMONTHDAY cannot be used with FREQ=WEEKLY (RFC 5545); use FREQ=MONTHLY or DAILY');
  const ordinals = (rule.byday ?? []).filter((d) => d.n !== undefined);
  if (ordinals.length > 0) {
    if (rule.freq !== Frequency.MONTHLY && rule.freq !== Frequency.YEARLY) {
      say(`BYDAY with an ordinal (like 1MO) needs FREQ=MONTHLY or YEARLY, not FREQ=${freq}`);
    } else if (rule.freq === Frequency.YEARLY && rule.byweekno) {
      say('BYDAY with an ordinal (like 1MO) cannot be combined with BYWEEKNO (RFC 5545)');
    } else if (rule.freq === Frequency.MONTHLY && ordinals.some((d) => Math.abs(d.n ?? 0) > 5)) {
      say('BYDAY ordinals in a month go from 1 to 5 (or -1 to -5), e.g. 2TU for the second Tuesday');
    }
  }
  const otherBy = [
    'bymonth',
    'byweekno',
    'byyearday',
    'bymonthday',
    'byday',
    'byhour',
    'byminute',
    'bysecond',
  ] as const;
  if (rule.bysetpos && !otherBy.some((k) => rule[k]))
    say(
      'BYSETPOS needs another BYxxx part to select from, e.g. FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1',
    );
  if (rule.bysetpos && (rule.freq === Frequency.MINUTELY || rule.freq === Frequency.SECONDLY)) {
    say(`BYSETPOS with FREQ=${freq} is not supported; list the times with BYHOUR/BYMINUTE/BYSECOND instead`);
  }
  // rrule steps sub-daily counters until they hit BYHOUR/BYMINUTE/BYSECOND; with a step that does not
  // divide the day's cycle it can step forever, so those combinations are refused.
  const cycle = rule.freq === Frequency.HOURLY ? 24 : 60;
  const limited =
    (rule.freq === Frequency.HOURLY && rule.byhour) ||
    (rule.freq === Frequency.MINUTELY && (rule.byhour || rule.byminute)) ||
    (rule.freq === Frequency.SECONDLY && (rule.byhour || rule.byminute || rule.bysecond));
  if (limited && cycle % rule.interval !== 0) {
    const unit =
      rule.freq === Frequency.HOURLY
        ? 'BYHOUR'
        : rule.freq === Frequency.MINUTELY
          ? 'BYHOUR/BYMINUTE'
          : 'BYHOUR/BYMINUTE/BYSECOND';
    const listed =
      rule.freq === Frequency.HOURLY
        ? 'FREQ=DAILY;BYHOUR='
        : rule.freq === Frequency.MINUTELY
          ? 'FREQ=HOURLY;BYMINUTE='
          : 'FREQ=MINUTELY;BYSECOND=';
    const times = Array.from({ length: Math.ceil(cycle / rule.interval) }, (_, i) => i * rule.interval).join(
      ',',
    );
    say(
      `INTERVAL=${rule.interval} with FREQ=${freq} and ${unit} is not supported: the interval must divide ${cycle} ` +
        `so that the same times come back each ${cycle === 24 ? 'day' : rule.freq === Frequency.MINUTELY ? 'hour' : 'minute'}; list the times instead, e.g. ${listed}${times}`,
    );
  }
  return problems;
}

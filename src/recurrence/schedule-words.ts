/**
 * A job's schedule in plain words for people ("every Monday at 04:30", "every day at 02:00 from
 * 2099-01-01"), read in the job's own zone. Pure. Where a rule has no faithful wording here, the rule
 * itself is the answer (`cron 0 2 1-7 * 1`): never words that say something else than the rule does.
 */
import { DateTime } from 'luxon';
import { RRule } from 'rrule';

export interface ScheduleWordsInput {
  /** RFC 5545 RRULE body as the job file gives it. */
  recurrence?: string;
  cron?: string;
  /** The first occurrence's instant (the job's resolved start). */
  startAt: Date;
  timezone: string;
}

const DAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const DAY_ABBREVIATIONS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const MONTH_NAMES = [
  'January', 'February', 'March', 'April', 'May', 'June',
  'July', 'August', 'September', 'October', 'November', 'December',
];
const MONTH_ABBREVIATIONS = MONTH_NAMES.map((m) => m.slice(0, 3).toLowerCase());

const two = (n: number): string => String(n).padStart(2, '0');

/** "a", "a and b", "a, b and c". */
function list(items: string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)!}`;
}

/** A cron field of plain numbers or names (`1`, `1,3`, `mon-fri`): its values, or null for anything else. */
function cronValues(field: string, names: string[], first: number): number[] | null {
  const values: number[] = [];
  const value = (text: string): number | null => {
    const byName = names.indexOf(text.toLowerCase());
    if (byName >= 0) return byName + first;
    return /^\d+$/.test(text) ? Number(text) : null;
  };
  for (const part of field.split(',')) {
    const range = /^([a-z0-9]+)-([a-z0-9]+)$/i.exec(part);
    if (range) {
      const [from, to] = [value(range[1]!), value(range[2]!)];
      if (from === null || to === null || to < from) return null;
      for (let v = from; v <= to; v++) values.push(v);
    } else {
      const v = value(part);
      if (v === null) return null;
      values.push(v);
    }
  }
  return values;
}

/** The days of a cron pattern in words ("every day", "every Monday and Friday"), or null. */
function cronDays(dayOfMonth: string, month: string, dayOfWeek: string): string | null {
  const months = month === '*' ? null : cronValues(month, MONTH_ABBREVIATIONS, 1);
  if (month !== '*' && (!months || months.some((m) => m < 1 || m > 12))) return null;
  const inMonths = months ? ` in ${list(months.map((m) => MONTH_NAMES[m - 1]!))}` : '';
  if (dayOfMonth === '*' && dayOfWeek === '*') return `every day${inMonths}`;
  if (dayOfMonth === '*') {
    const days = cronValues(dayOfWeek, DAY_ABBREVIATIONS, 0);
    if (!days || days.some((d) => d > 7)) return null;
    // Monday first; three or more days in a row as a span ("Monday to Friday").
    const order = [...new Set(days.map((d) => (d + 6) % 7))].sort((a, b) => a - b);
    const spans: string[] = [];
    for (let i = 0; i < order.length; ) {
      let j = i;
      while (j + 1 < order.length && order[j + 1] === order[j]! + 1) j++;
      const name = (k: number) => DAY_NAMES[(order[k]! + 1) % 7]!;
      if (j - i >= 2) spans.push(`${name(i)} to ${name(j)}`);
      else for (let k = i; k <= j; k++) spans.push(name(k));
      i = j + 1;
    }
    return `every ${list(spans)}${inMonths}`;
  }
  if (dayOfWeek === '*') {
    const days = cronValues(dayOfMonth, [], 0);
    if (!days || days.some((d) => d < 1 || d > 31)) return null;
    return `on day ${list(days.map(String))} of ${months ? list(months.map((m) => MONTH_NAMES[m - 1]!)) : 'every month'}`;
  }
  // Both a day of the month and of the week: cron runs on either, easy to misread in words.
  return null;
}

/** A 5- or 6-field cron pattern in words, or null where it has none here. */
export function cronInWords(pattern: string): string | null {
  const fields = pattern.trim().split(/\s+/);
  if (fields.length === 6) {
    if (fields[0] !== '0') return null;
    fields.shift();
  }
  if (fields.length !== 5) return null;
  const [minute, hour, dayOfMonth, month, dayOfWeek] = fields as [string, string, string, string, string];
  const days = cronDays(dayOfMonth, month, dayOfWeek);
  if (days === null) return null;
  const everyDay = days === 'every day';
  const step = /^\*\/(\d+)$/.exec(minute);
  if (hour === '*' && (minute === '*' || step)) {
    const often = minute === '*' ? 'every minute' : `every ${step![1]} minutes`;
    return everyDay ? often : `${often}, ${days}`;
  }
  const minutes = cronValues(minute, [], 0);
  if (!minutes || minutes.some((m) => m > 59)) return null;
  if (hour === '*') {
    const at = `every hour at minute ${list(minutes.map(String))}`;
    return everyDay ? at : `${at}, ${days}`;
  }
  const hours = cronValues(hour, [], 0);
  if (!hours || hours.some((h) => h > 23) || hours.length * minutes.length > 6) return null;
  const times = hours.flatMap((h) => minutes.map((m) => `${two(h)}:${two(m)}`));
  return `${days} at ${list(times)}`;
}

/** The parts of an RRULE body by name (upper case), as written. */
function ruleParts(text: string): Map<string, string> {
  const parts = new Map<string, string>();
  for (const part of text.replace(/^RRULE:/i, '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) parts.set(part.slice(0, eq).trim().toUpperCase(), part.slice(eq + 1).trim());
  }
  return parts;
}

/**
 * An RRULE in words, its times of day from BYHOUR/BYMINUTE or else from the start, or null. The start
 * is said when it is still ahead (`upcoming`) or when the occurrences count from it (an INTERVAL, a
 * rule within the day).
 */
export function rruleInWords(text: string, start: DateTime, upcoming: boolean): string | null {
  const parts = ruleParts(text);
  if (parts.has('BYSECOND') || parts.has('BYSETPOS')) return null;
  const freq = parts.get('FREQ')?.toUpperCase();
  const hours = parts.get('BYHOUR')?.split(',').map(Number) ?? null;
  const minutes = parts.get('BYMINUTE')?.split(',').map(Number) ?? null;
  const rest = [...parts].filter(([k]) => k !== 'BYHOUR' && k !== 'BYMINUTE').map(([k, v]) => `${k}=${v}`);
  let days: string;
  try {
    const rule = RRule.fromString(rest.join(';'));
    if (!rule.isFullyConvertibleToText()) return null;
    days = rule.toText();
  } catch {
    // A rule rrule cannot put in words is shown as written (the job's validation reports real errors).
    return null;
  }
  if (freq === 'SECONDLY' || freq === 'MINUTELY' || freq === 'HOURLY') {
    if (hours || minutes) return null;
    return `${days} from ${start.toFormat('yyyy-MM-dd HH:mm')}`;
  }
  const from = upcoming || Number(parts.get('INTERVAL') ?? 1) > 1 ? ` from ${start.toFormat('yyyy-MM-dd')}` : '';
  const atHours = hours ?? [start.hour];
  const atMinutes = minutes ?? [start.minute];
  if (atHours.length * atMinutes.length > 6) return null;
  const times = atHours.flatMap((h) => atMinutes.map((m) => `${two(h)}:${two(m)}`));
  // rrule's words for a count or an end come last ("every day for 5 times"): the times go before them.
  const end = /( for \d+ times?| until .*)$/.exec(days)?.[0] ?? '';
  return `${days.slice(0, days.length - end.length)} at ${list(times)}${end}${from}`;
}

/** The schedule in words as of `now`, or null where only the rule itself says it exactly. */
export function scheduleInWords(spec: ScheduleWordsInput, now: Date): string | null {
  const start = DateTime.fromJSDate(spec.startAt, { zone: spec.timezone });
  if (!start.isValid) return null;
  const upcoming = spec.startAt.getTime() > now.getTime();
  if (spec.cron !== undefined) {
    const words = cronInWords(spec.cron);
    return words && (upcoming ? `${words}, from ${start.toFormat('yyyy-MM-dd HH:mm')}` : words);
  }
  if (spec.recurrence !== undefined) return rruleInWords(spec.recurrence, start, upcoming);
  return `once, at ${start.toFormat('yyyy-MM-dd HH:mm')}`;
}

import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DateTime } from 'luxon';
import { targetProblem } from '../config/check-targets';
import { loadConfig, displayPath } from '../config/load';
import { closestName } from '../did-you-mean';
import { ConfigError, EXIT, UsageError } from '../errors';
import { Targets } from '../targets/registry';
import type { Entity, TargetSchema } from '../targets/schema';
import type { CommandContext } from './context';

export interface InitOptions {
  target?: string;
  entity?: string;
  name?: string;
}

/** Column kinds a relative time (`olderThan`) compares, best first. */
const TIME_KINDS = ['timestamp', 'date'];
const TIME_NAME = /(^|_)(created|updated|last|seen|expires?|deleted|modified|at|on|time|date)(_|$)|_at$/i;

/** The column an `olderThan` condition most likely wants: a timestamp, else a column named like one. */
export function timeColumn(entity: Entity): string | null {
  const columns = [...entity.columns.values()];
  const typed = columns.find((c) => TIME_KINDS.includes(c.kind));
  if (typed) return typed.name;
  return columns.find((c) => TIME_NAME.test(c.name) && (c.kind === 'text' || c.kind === 'integer' || c.kind === 'number'))?.name ?? null;
}

const yamlString = (s: string) => (/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(s) ? s : JSON.stringify(s));

/** The job file `init` writes: every field explained, the entity's real columns and references listed. */
export function jobFileText(o: { name: string; target: string; entity: Entity; schema: TargetSchema; timezone: string; start: string }): string {
  const { entity, schema } = o;
  const time = timeColumn(entity);
  const key = entity.primaryKey.length > 0 ? entity.primaryKey : null;
  // Without a primary key, a unique index over NOT NULL columns can be the job's `key:`.
  const uniqueKey = key ? null : (entity.uniqueKeys.find((u) => u.every((c) => entity.columns.get(c)?.nullable === false)) ?? null);
  const width = Math.max(...[...entity.columns.keys()].map((c) => c.length));
  const columnLines = [...entity.columns.values()].map((c) => {
    const notes = [c.type || c.kind, c.nullable ? 'null' : 'not null', entity.primaryKey.includes(c.name) ? 'primary key' : ''].filter(Boolean).join(', ');
    return `#   ${c.name.padEnd(width)}  ${notes}`;
  });
  const parents = entity.foreignKeys.map((fk) => `#   (${fk.columns.join(', ')}) -> ${fk.parent} (${fk.parentColumns.join(', ')})`);
  const children = [...schema.entities.values()].flatMap((child) =>
    child.foreignKeys
      .filter((fk) => fk.parent === entity.name)
      .map((fk) => {
        const effect = fk.onDelete === 'CASCADE' ? 'deleted with it (ON DELETE CASCADE)' : fk.onDelete === 'SET NULL' ? 'set to null' : 'blocks the delete: delete these first, in an earlier query';
        return `#   ${child.name} (${fk.columns.join(', ')}) -> ${fk.onDelete}: ${effect}`;
      }),
  );
  const where = time
    ? [`    where: { field: ${yamlString(time)}, olderThan: 90d }   # measured from the run's start; e.g. 30d, 12h, P1M`]
    : [
        `    # "${entity.name}" has no time column: write the condition that picks the records to delete.`,
        `    # This placeholder matches nothing, so the job deletes nothing until you change it.`,
        `    where: { field: ${yamlString(key?.[0] ?? [...entity.columns.keys()][0]!)}, op: isNull }`,
      ];
  return [
    `# Written by "sweeper init" for ${o.target}.${entity.name}. Check what it would delete before it first`,
    `# runs (${o.start} in ${o.timezone}):  sweeper preview ${o.name}`,
    `# Reference: README "Job files". Every entity and field is checked against the target's real schema.`,
    `#`,
    `# Columns of ${entity.name}:`,
    ...columnLines,
    ...(parents.length > 0 ? ['#', `# ${entity.name} refers to:`, ...parents] : []),
    ...(children.length > 0 ? ['#', `# Rows that refer to ${entity.name}:`, ...children] : []),
    ...(key
      ? []
      : uniqueKey
        ? ['#', `# ${entity.name} has no primary key: "key" names the columns of a unique index over NOT NULL columns.`]
        : ['#', `# ${entity.name} has no primary key and no unique index over NOT NULL columns: Sweeper deletes by key, so`, `# it refuses this job until the table has one (CREATE UNIQUE INDEX ...) and "key" names its columns.`]),
    `name: ${yamlString(o.name)}`,
    `description: Records of ${entity.name} that are no longer needed`,
    `target: ${yamlString(o.target)}`,
    `start: ${o.start}            # first run, local time in "timezone"`,
    `timezone: ${o.timezone}`,
    `recurrence: FREQ=DAILY;INTERVAL=1     # RFC 5545 RRULE; or cron: "0 3 * * *"`,
    `catchUp: skip                        # occurrences missed while no daemon ran: skip | once | all`,
    `queries:                             # in order: children before parents`,
    `  - entity: ${yamlString(entity.name)}`,
    ...(key ? [] : [`    key: [${(uniqueKey ?? [...entity.columns.keys()].slice(0, 1)).map(yamlString).join(', ')}]   # columns unique together`]),
    ...where,
    `    # Conditions: all: [...], any: [...], not: {...}, { field, op, value } with op eq ne lt lte gt gte in`,
    `    # notIn like notLike isNull notNull between, olderThan/newerThan, exists/notExists: { entity, on }`,
    `notify:`,
    `  to: []                             # e.g. [ops@example.com]; no recipients, no email`,
    `  on: failures                       # always | failures | never`,
    `limits:`,
    `  maxDeletes: 10000                  # a run matching more deletes nothing and fails: raise it once preview looks right`,
    `  # batchSize: 1000                  # default: adapts to keep each batch transaction short`,
    `  # maxRuntime: 1h`,
    '',
  ].join('\n');
}

/** `what` names one of `names` ("table of target \"app\""), `whatPlural` all of them ("tables of target \"app\""). */
function pick(what: string, whatPlural: string, given: string | undefined, names: string[], option: string): string {
  if (given !== undefined) {
    if (names.includes(given)) return given;
    const close = closestName(given, names);
    throw new UsageError(`${option} "${given}" is not a ${what}${close ? ` (did you mean "${close}"?)` : ''}: ${whatPlural} are ${names.join(', ') || 'none'}`);
  }
  if (names.length === 1) return names[0]!;
  throw new UsageError(`choose the ${what} with ${option} (one of: ${names.join(', ') || 'none'})`);
}

/**
 * `sweeper init`: writes `jobs/<name>.yaml` for an entity of a target, its real columns listed. Never
 * overwrites a file. The job first runs tomorrow at 03:00 and refuses runs over 10,000 records, so a
 * daemon that picks the file up at once deletes nothing before the operator has looked at a preview.
 */
export async function initCommand(ctx: CommandContext, opts: InitOptions): Promise<number> {
  const config = loadConfig(ctx.configFile, ctx.env, { uses: ['targets'] });
  const target = pick('target', 'targets', opts.target, Object.keys(config.targets), '--target');
  const targets = new Targets(config.targets);
  let schema: TargetSchema;
  try {
    schema = await targets.schema(target);
  } catch (error) {
    // As validate, preview and run report it: a target that cannot be opened is a problem of the config (exit 2).
    throw new ConfigError([targetProblem(target, error, config.displayFile)]);
  } finally {
    await targets.close();
  }
  const entity = schema.entities.get(pick(`table of target "${target}"`, `tables of target "${target}"`, opts.entity, [...schema.entities.keys()].sort(), '--entity'))!;
  const name = opts.name ?? `purge-${entity.name.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '')}`;
  if (!/^[a-z0-9][a-z0-9_.-]*$/i.test(name)) throw new UsageError(`--name "${name}" is not a job name: use letters, digits, ".", "-" and "_"`);
  const file = path.join(config.jobs, `${name}.yaml`);
  if (existsSync(file)) throw new UsageError(`${displayPath(file)} already exists: init never overwrites a job file; choose another --name`);
  const start = DateTime.fromJSDate(ctx.clock.now(), { zone: config.timezone }).plus({ days: 1 }).set({ hour: 3, minute: 0, second: 0, millisecond: 0 }).toFormat("yyyy-MM-dd'T'HH:mm:ss");
  mkdirSync(config.jobs, { recursive: true });
  writeFileSync(file, jobFileText({ name, target, entity, schema, timezone: config.timezone, start }), { flag: 'wx' });
  ctx.out(`${displayPath(file)} written: job "${name}" on ${target}.${entity.name}, first run ${start} (${config.timezone})`);
  ctx.out(`check it: sweeper validate && sweeper preview ${name}`);
  return EXIT.ok;
}

import { z } from 'zod';
import { durationSchema } from '../config/duration-schema';
import { explainIssueMap, unionError, unknownFieldMessage } from '../config/issue-message';

/** Leaf operators of SPEC's condition language. */
export const LEAF_OPS = [
  'eq', 'ne', 'lt', 'lte', 'gt', 'gte', 'in', 'notIn', 'like', 'notLike', 'isNull', 'notNull', 'between',
] as const;
export type LeafOp = (typeof LEAF_OPS)[number];

export type Scalar = string | number | boolean | null;

/**
 * What a numeric time column holds, when a condition says so (`format: epoch-ms`) because its values
 * cannot tell: epoch seconds, epoch milliseconds, or each row by its magnitude (epoch-mixed).
 */
export const DECLARED_TIME_FORMATS = ['epoch-s', 'epoch-ms', 'epoch-mixed'] as const;
export type DeclaredTimeFormat = (typeof DECLARED_TIME_FORMATS)[number];

export interface LeafCondition {
  field: string;
  op: LeafOp;
  value?: Scalar | Scalar[];
  format?: DeclaredTimeFormat;
}
export interface RelativeTimeCondition {
  field: string;
  olderThan?: string;
  newerThan?: string;
  format?: DeclaredTimeFormat;
}
export interface RelatedCondition {
  entity: string;
  /** Related entity's field (key) -> this entity's field (value). */
  on: Record<string, string>;
  where?: Condition;
}
export type Condition =
  | { all: Condition[] }
  | { any: Condition[] }
  | { not: Condition }
  | LeafCondition
  | RelativeTimeCondition
  | { exists: RelatedCondition }
  | { notExists: RelatedCondition };

/**
 * YAML reads numbers as doubles: an integer beyond 2^53 (a snowflake id) comes back rounded, and a
 * condition on the rounded value would match another record. Such a number is refused; quoted, the
 * text reaches the database as written and compares exactly with an integer column.
 */
const exactNumber = z.number().refine((n) => Math.abs(n) <= Number.MAX_SAFE_INTEGER, {
  error: (issue) =>
    `${String(issue.input)} is beyond 2^53 (${Number.MAX_SAFE_INTEGER}) and cannot be read exactly from YAML (it is rounded): write the number in quotes, e.g. "1400000000000000001"`,
});
const scalar = z.union([z.string(), exactNumber, z.boolean(), z.null()]);

const format = z
  .enum(DECLARED_TIME_FORMATS, { message: `must be one of ${DECLARED_TIME_FORMATS.join(', ')}` })
  .optional();

const NOT_A_CONDITION =
  'is not a condition: use all/any/not, { field, op, value }, { field, olderThan|newerThan }, or exists/notExists';

/** Every key a condition may have, in any of its forms. */
const CONDITION_KEYS = ['all', 'any', 'not', 'exists', 'notExists', 'field', 'op', 'value', 'olderThan', 'newerThan', 'format'];

const branches = {
  all: z.strictObject({ all: z.array(z.lazy(() => conditionSchema)).min(1, 'needs at least one condition') }),
  any: z.strictObject({ any: z.array(z.lazy(() => conditionSchema)).min(1, 'needs at least one condition') }),
  not: z.strictObject({ not: z.lazy(() => conditionSchema) }),
  exists: z.strictObject({ exists: z.lazy(() => relatedSchema) }),
  notExists: z.strictObject({ notExists: z.lazy(() => relatedSchema) }),
  relative: z
    .strictObject({
      field: z.string().min(1),
      olderThan: durationSchema('olderThan').optional(),
      newerThan: durationSchema('newerThan').optional(),
      format,
    })
    .refine((c) => (c.olderThan === undefined) !== (c.newerThan === undefined), {
      message: 'give exactly one of olderThan or newerThan',
    }),
  leaf: z.strictObject({
    field: z.string().min(1),
    op: z.enum(LEAF_OPS),
    value: z.union([scalar, z.array(scalar)], unionError('a text, a number, true/false or null, or a list of them')).optional(),
    format,
  }),
};

/** The forms a condition takes, for the job file's JSON Schema (the parse dispatches on keys instead). */
export const CONDITION_FORMS: readonly z.ZodType[] = Object.values(branches);

/** The branch a condition means, by its keys: its errors are then about what the user wrote. */
function branchOf(value: unknown): z.ZodType | null {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return null;
  for (const key of ['all', 'any', 'not', 'exists', 'notExists'] as const) if (key in value) return branches[key];
  if ('op' in value) return branches.leaf;
  if ('olderThan' in value || 'newerThan' in value) return branches.relative;
  if ('field' in value) return branches.leaf;
  return null;
}

/** `{ field: x, olderThen: 30d }` is one typo, not also a leaf without `op`: unknown keys are reported alone. */
function unknownKeys(value: unknown): string[] {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return [];
  return Object.keys(value).filter((k) => !CONDITION_KEYS.includes(k));
}

/**
 * A condition. Not a plain z.union: zod reports the branch whose errors do not abort, so a typo in `op`
 * would read as "unknown fields op, value" of the olderThan branch. Dispatching on the keys keeps
 * every message about the branch the user meant.
 */
export const conditionSchema: z.ZodType<Condition> = z.unknown().transform((value, ctx): Condition => {
  const unknown = unknownKeys(value);
  if (unknown.length > 0) {
    for (const key of unknown) ctx.addIssue({ code: 'custom', message: unknownFieldMessage(key, CONDITION_KEYS), input: value });
    return z.NEVER;
  }
  const branch = branchOf(value);
  if (!branch) {
    ctx.addIssue({ code: 'custom', message: NOT_A_CONDITION, input: value });
    return z.NEVER;
  }
  const result = branch.safeParse(value, { error: explainIssueMap, reportInput: true });
  if (result.success) return result.data as Condition;
  for (const issue of result.error.issues) ctx.addIssue(issue as Parameters<typeof ctx.addIssue>[0]);
  return z.NEVER;
}) as unknown as z.ZodType<Condition>;

const relatedSchema: z.ZodType<RelatedCondition> = z.lazy(() =>
  z.strictObject({
    entity: z.string().min(1),
    on: z.record(z.string(), z.string()).refine((o) => Object.keys(o).length > 0, 'maps at least one field'),
    where: conditionSchema.optional(),
  }),
);

export function isLeaf(c: Condition): c is LeafCondition {
  return 'op' in c;
}
export function isRelativeTime(c: Condition): c is RelativeTimeCondition {
  return 'field' in c && !('op' in c);
}

/** The entities a condition's `exists` / `notExists` read, at any depth. */
export function relatedEntities(c: Condition): string[] {
  if ('all' in c) return c.all.flatMap(relatedEntities);
  if ('any' in c) return c.any.flatMap(relatedEntities);
  if ('not' in c) return relatedEntities(c.not);
  const related = 'exists' in c ? c.exists : 'notExists' in c ? c.notExists : null;
  if (!related) return [];
  return [related.entity, ...(related.where ? relatedEntities(related.where) : [])];
}

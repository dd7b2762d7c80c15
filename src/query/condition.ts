import { z } from 'zod';

/** Leaf operators of SPEC's condition language. */
export const LEAF_OPS = [
  'eq', 'ne', 'lt', 'lte', 'gt', 'gte', 'in', 'notIn', 'like', 'notLike', 'isNull', 'notNull', 'between',
] as const;
export type LeafOp = (typeof LEAF_OPS)[number];

export type Scalar = string | number | boolean | null;

export interface LeafCondition {
  field: string;
  op: LeafOp;
  value?: Scalar | Scalar[];
}
export interface RelativeTimeCondition {
  field: string;
  olderThan?: string;
  newerThan?: string;
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

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);

export const conditionSchema: z.ZodType<Condition> = z.lazy(() =>
  z.union([
    z.strictObject({ all: z.array(conditionSchema).min(1, 'needs at least one condition') }),
    z.strictObject({ any: z.array(conditionSchema).min(1, 'needs at least one condition') }),
    z.strictObject({ not: conditionSchema }),
    z.strictObject({ exists: relatedSchema }),
    z.strictObject({ notExists: relatedSchema }),
    z
      .strictObject({ field: z.string().min(1), olderThan: z.string().optional(), newerThan: z.string().optional() })
      .refine((c) => (c.olderThan === undefined) !== (c.newerThan === undefined), {
        message: 'give exactly one of olderThan or newerThan',
      }),
    z.strictObject({ field: z.string().min(1), op: z.enum(LEAF_OPS), value: z.union([scalar, z.array(scalar)]).optional() }),
  ]),
);

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

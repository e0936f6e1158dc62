import { defaultFieldResolver, isListType, isNonNullType, isObjectType, type GraphQLField, type GraphQLSchema } from 'graphql';
import { Extensions } from 'type-graphql';

/**
 * Field extensions that bound what a list can hold, read by the cost estimator
 * (operation-cost.ts) and enforced by `capListFields`. Every list field of the schema
 * declares `maxItems` (tests/list-sizes.spec.ts walks the schema): a list the cost
 * counts as one item could answer a million objects for the price of one.
 */
export interface ListSizeExtensions {
  /** Most items the list ever holds; its resolver's answer is cut there. */
  maxItems?: number;
  /**
   * The list holds one item per unit of its parent field's size (`first` of a connection,
   * the inputs of a batch); lists of one parent that say so share that size.
   */
  sizedByParent?: boolean;
  /** On a field returning an object with `sizedByParent` lists: the argument that sizes them. */
  sizeArgument?: string;
}

/** Declares the most items a list field holds (see ListSizeExtensions). */
export function MaxItems(maxItems: number, options: { sizedByParent?: boolean } = {}) {
  const extensions: ListSizeExtensions = { maxItems, ...(options.sizedByParent ? { sizedByParent: true } : {}) };
  return Extensions(extensions as Record<string, unknown>);
}

/** Declares the argument whose size (a list's length or an Int) sizes the `sizedByParent` lists of the field's value. */
export function SizedBy(argument: string) {
  const extensions: ListSizeExtensions = { sizeArgument: argument };
  return Extensions(extensions as Record<string, unknown>);
}

export const listSizeOf = (field: GraphQLField<unknown, unknown>): ListSizeExtensions => field.extensions as ListSizeExtensions;

/** Whether a field's type is a list (under an optional non-null). */
export const isListField = (field: GraphQLField<unknown, unknown>): boolean =>
  isListType(isNonNullType(field.type) ? field.type.ofType : field.type);

const cap = (value: unknown, maxItems: number): unknown => (Array.isArray(value) && value.length > maxItems ? value.slice(0, maxItems) : value);

/**
 * Wraps the resolver of every field that declares `maxItems` so that its answer holds at
 * most that many items, whatever the service returned: the cost an operation was admitted
 * at stays an upper bound of what it answers. Services cap their queries too (so the rows
 * are not read at all); this is the guarantee, not the optimisation.
 */
export function capListFields(schema: GraphQLSchema): GraphQLSchema {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      const { maxItems } = listSizeOf(field);
      if (maxItems === undefined || !isListField(field)) continue;
      const resolve = field.resolve ?? defaultFieldResolver;
      field.resolve = (source, args, context, info) => {
        const value = resolve(source, args, context, info);
        return value instanceof Promise ? value.then((items) => cap(items, maxItems)) : cap(value, maxItems);
      };
    }
  }
  return schema;
}

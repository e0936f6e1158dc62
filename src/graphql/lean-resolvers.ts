import { GraphQLScalarType, isObjectType, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';
import { getMetadataStorage } from 'type-graphql';

/**
 * type-graphql wraps every field in a resolver of its own: for a `@FieldResolver` method it
 * sorts the parameter list, converts and validates each argument (an `async` step, so a
 * promise and a `Promise.all` per field even for an enum), and runs the middleware chain;
 * for a plain `@Field` property it allocates the same resolver data to read one property.
 * On a page of 50 sub-accounts that is hundreds of calls per request, and in the read
 * bench it cost more CPU than the SQL.
 *
 * This pass, run once on the built schema, gives the fields where none of that can do
 * anything a direct resolver instead: no middleware and no `@Authorized` anywhere in this
 * code base (checked below: the pass refuses to run otherwise), parameters that are only
 * the root, the context, the info, or arguments of scalar or enum types, which type-graphql
 * passes through unchanged and never validates (it validates objects only). A field with
 * anything else (an `@Args()` class, an input object argument) keeps type-graphql's
 * resolver, and so does a call whose input-object argument is not null or whose root is
 * not an instance of the class the method declares (type-graphql would convert it).
 */
export function leanResolvers(schema: GraphQLSchema): GraphQLSchema {
  const storage = getMetadataStorage() as unknown as Storage;
  if (storage.middlewares.length || storage.resolverMiddlewares.length || storage.authorizedFields.length || storage.authorizedResolver.length) {
    return schema; // middleware or authorization would be skipped: keep type-graphql's resolvers everywhere
  }
  const typeNames = new Map<Function | undefined, string>(storage.objectTypes.map((t) => [t.target, t.name]));
  const instances = new Map<Function, Record<string, Function>>();

  for (const resolverClass of storage.resolverClasses) {
    let objectTypeName: string | undefined;
    try {
      objectTypeName = typeNames.get(resolverClass.getObjectType());
    } catch {
      continue; // a resolver class without an object type (queries and mutations only)
    }
    const type = objectTypeName ? schema.getType(objectTypeName) : undefined;
    if (!isObjectType(type)) continue;
    const fields = type.getFields();
    for (const definition of storage.fieldResolvers) {
      if (definition.target !== resolverClass.target || definition.kind !== 'external') continue;
      const field = fields[definition.schemaName];
      if (!field?.resolve) continue;
      const params = storage.params
        .filter((p) => p.target === definition.target && p.methodName === definition.methodName)
        .sort((a, b) => a.index - b.index);
      const plan = paramPlan(params);
      if (!plan) continue;
      let instance = instances.get(resolverClass.target);
      if (!instance) {
        instance = new (resolverClass.target as new () => Record<string, Function>)();
        instances.set(resolverClass.target, instance);
      }
      field.resolve = directResolver(instance, definition.methodName, plan, field.resolve);
    }
  }

  // Plain properties: read them as type-graphql does (`root[name]`), without its wrapper.
  const withResolver = new Set(
    storage.fieldResolvers.map((f) => `${typeNames.get(f.kind === 'external' ? objectTypeOf(storage, f.target) : f.target)}.${f.schemaName}`),
  );
  for (const objectType of storage.objectTypes) {
    const type = schema.getType(objectType.name);
    if (!isObjectType(type)) continue;
    const fields = type.getFields();
    for (const property of storage.fields) {
      const inherited = objectType.target === property.target || objectType.target.prototype instanceof property.target;
      if (!inherited || property.name !== property.schemaName || withResolver.has(`${objectType.name}.${property.schemaName}`)) continue;
      const field = fields[property.schemaName];
      if (!field?.resolve) continue;
      const name = property.name;
      field.resolve = (source: Record<string, unknown>) => source[name];
    }
  }
  return schema;
}

type ParamStep =
  | { kind: 'root'; type?: Function }
  | { kind: 'context' }
  | { kind: 'info' }
  | { kind: 'arg'; name: string; nullOnly: boolean };

const PASSED_THROUGH = new Set<unknown>([String, Number, Boolean, Date]);

/** How to build the method's arguments without type-graphql, or undefined when it must stay. */
function paramPlan(params: StoredParam[]): ParamStep[] | undefined {
  const steps: ParamStep[] = [];
  for (const param of params) {
    if (param.kind === 'root') {
      if (param.propertyName) return undefined;
      const type = param.getType?.();
      steps.push({ kind: 'root', type: typeof type === 'function' && type !== Object ? type : undefined });
    } else if (param.kind === 'context') {
      if (param.propertyName) return undefined;
      steps.push({ kind: 'context' });
    } else if (param.kind === 'info') {
      steps.push({ kind: 'info' });
    } else if (param.kind === 'arg') {
      if (param.validateFn) return undefined;
      const type = param.getType();
      const plain = type instanceof GraphQLScalarType || PASSED_THROUGH.has(type) || (typeof type === 'object' && type !== null);
      steps.push({ kind: 'arg', name: param.name!, nullOnly: !plain });
    } else {
      return undefined;
    }
  }
  return steps;
}

function directResolver(
  instance: Record<string, Function>,
  methodName: string,
  plan: ParamStep[],
  original: GraphQLFieldResolver<unknown, unknown>,
): GraphQLFieldResolver<unknown, unknown> {
  const method = instance[methodName];
  return (root, args: Record<string, unknown>, context, info) => {
    const values = new Array(plan.length);
    for (let i = 0; i < plan.length; i++) {
      const step = plan[i];
      if (step.kind === 'root') {
        if (step.type && !(root instanceof step.type)) return original(root, args, context, info);
        values[i] = root;
      } else if (step.kind === 'context') {
        values[i] = context;
      } else if (step.kind === 'info') {
        values[i] = info;
      } else {
        const value = args[step.name];
        if (step.nullOnly && value != null) return original(root, args, context, info);
        values[i] = value;
      }
    }
    return method.apply(instance, values);
  };
}

function objectTypeOf(storage: Storage, resolverTarget: Function): Function | undefined {
  try {
    return storage.resolverClasses.find((r) => r.target === resolverTarget)?.getObjectType();
  } catch {
    return undefined;
  }
}

/** The parts of type-graphql's metadata storage this pass reads (its class is not exported). */
interface StoredParam {
  kind: string;
  target: Function;
  methodName: string;
  index: number;
  name?: string;
  propertyName?: string;
  getType: () => unknown;
  validateFn?: unknown;
}
interface StoredFieldResolver {
  kind: 'external' | 'internal';
  target: Function;
  methodName: string;
  schemaName: string;
}
interface Storage {
  resolverClasses: Array<{ target: Function; getObjectType: () => Function }>;
  objectTypes: Array<{ target: Function; name: string }>;
  fields: Array<{ target: Function; name: string; schemaName: string }>;
  fieldResolvers: StoredFieldResolver[];
  params: StoredParam[];
  middlewares: unknown[];
  resolverMiddlewares: unknown[];
  authorizedFields: unknown[];
  authorizedResolver: unknown[];
}

import {
  getNamedType, getVariableValues, isCompositeType, Kind, visit,
  type DirectiveNode, type DocumentNode, type FieldNode, type FragmentDefinitionNode, type GraphQLCompositeType, type GraphQLField,
  type GraphQLSchema, type OperationDefinitionNode, type SelectionSetNode, type ValueNode,
} from 'graphql';
import { DEFAULT_PAGE_SIZE } from './common.types';
import { isListField, listSizeOf } from './list-size';

/**
 * What a list costs when its field declares no maximum. tests/list-sizes.spec.ts keeps
 * every list declared; this only keeps a forgotten one from costing 1.
 */
const UNDECLARED_LIST_ITEMS = 1_000;

/**
 * The cost of a selection set: `fixed` objects it answers whatever its parent, and per
 * `sizedByParent` list (by field name) what one unit of the parent's size adds.
 */
interface SelectionCost {
  fixed: number;
  perParentUnit: Map<string, number>;
}

/**
 * The estimated cost of an operation: an upper bound of the objects its answer holds.
 * A field whose value is an object costs 1 plus its children; a list of objects costs its
 * maximum size (its field's `maxItems`) times what one item costs; a connection's `edges`
 * count `first` items (20 without it), a batch's results one per input. Lists sized by one
 * parent share its size (a batch of n answers n calls and errors in all), so they count by
 * the most expensive of them. Scalars cost nothing: each object holds at most its type's
 * fields plus 15 aliases of them, and the token limit bounds the rest.
 *
 * Linear in the document: a fragment's cost does not depend on where it is spread, so it
 * is computed once per fragment and reused at every spread (a hand-written estimator for
 * that reason: graphql-query-complexity expands a fragment again at every spread, and
 * graphql-armor's cost-limit knows neither list sizes nor `first` given in a variable).
 * Inline fragments of an abstract type are all added (the bound stays an upper bound).
 * Introspection (`__schema`, `__type`) costs 0: graphql-js's MaxIntrospectionDepthRule
 * bounds it, and the introspection query GraphiQL sends must always pass.
 */
class CostEstimator {
  private readonly fragments = new Map<string, FragmentDefinitionNode>();
  private readonly fragmentCosts = new Map<string, SelectionCost | 'computing'>();

  constructor(
    private readonly schema: GraphQLSchema,
    document: DocumentNode,
    private readonly variables: Record<string, unknown>,
  ) {
    for (const definition of document.definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) this.fragments.set(definition.name.value, definition);
    }
  }

  operationCost(operation: OperationDefinitionNode): number {
    const root = this.schema.getRootType(operation.operation);
    return root ? this.close(this.selectionSet(operation.selectionSet, root), undefined) : 0;
  }

  /**
   * A selection set's values once its parent's size is known. A parent that gives none (no
   * field of the schema does that) is costed at the largest declared list.
   */
  private close(cost: SelectionCost, parentSize: number | undefined): number {
    let perUnit = 0;
    for (const value of cost.perParentUnit.values()) perUnit = Math.max(perUnit, value);
    return cost.fixed + (parentSize ?? UNDECLARED_LIST_ITEMS) * perUnit;
  }

  private selectionSet(selectionSet: SelectionSetNode, type: GraphQLCompositeType): SelectionCost {
    const cost: SelectionCost = { fixed: 0, perParentUnit: new Map() };
    const add = (other: SelectionCost) => {
      cost.fixed += other.fixed;
      for (const [name, value] of other.perParentUnit) cost.perParentUnit.set(name, (cost.perParentUnit.get(name) ?? 0) + value);
    };
    for (const selection of selectionSet.selections) {
      if (!this.included(selection.directives)) continue;
      if (selection.kind === Kind.FIELD) this.field(selection, type, cost);
      else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const condition = selection.typeCondition ? this.schema.getType(selection.typeCondition.name.value) : type;
        if (condition && isCompositeType(condition)) add(this.selectionSet(selection.selectionSet, condition));
      } else add(this.fragment(selection.name.value));
    }
    return cost;
  }

  private fragment(name: string): SelectionCost {
    const known = this.fragmentCosts.get(name);
    if (known === 'computing') return { fixed: 0, perParentUnit: new Map() }; // a cycle: validation refuses it anyway
    if (known) return known;
    const fragment = this.fragments.get(name);
    const type = fragment && this.schema.getType(fragment.typeCondition.name.value);
    if (!fragment || !type || !isCompositeType(type)) return { fixed: 0, perParentUnit: new Map() };
    this.fragmentCosts.set(name, 'computing');
    const cost = this.selectionSet(fragment.selectionSet, type);
    this.fragmentCosts.set(name, cost);
    return cost;
  }

  private field(node: FieldNode, parentType: GraphQLCompositeType, into: SelectionCost): void {
    const name = node.name.value;
    if (name === '__schema' || name === '__type') return;
    if (name === '__typename' || !('getFields' in parentType)) return;
    const field = parentType.getFields()[name] as GraphQLField<unknown, unknown> | undefined;
    const named = field && getNamedType(field.type);
    if (!field || !named || !isCompositeType(named) || !node.selectionSet) return; // a scalar, or invalid (validation reports it)
    const declared = listSizeOf(field);
    const childrenCost = this.close(this.selectionSet(node.selectionSet, named), this.sizeOf(field, node));
    if (!isListField(field)) {
      into.fixed += 1 + childrenCost;
      return;
    }
    const perItem = 1 + childrenCost;
    if (declared.sizedByParent) into.perParentUnit.set(name, (into.perParentUnit.get(name) ?? 0) + perItem);
    else into.fixed += (declared.maxItems ?? UNDECLARED_LIST_ITEMS) * perItem;
  }

  /** The size a field gives its `sizedByParent` lists: `first` of a connection, the length of a `sizeArgument`. */
  private sizeOf(field: GraphQLField<unknown, unknown>, node: FieldNode): number | undefined {
    const isConnection = getNamedType(field.type).name.endsWith('Connection');
    const argumentName = listSizeOf(field).sizeArgument ?? (isConnection ? 'first' : undefined);
    if (!argumentName) return undefined;
    const value = this.argumentValue(node, argumentName);
    if (Array.isArray(value)) return value.length;
    if (typeof value === 'number') return Math.max(0, value);
    if (value === undefined || value === null) return isConnection ? DEFAULT_PAGE_SIZE : 0;
    return 1; // a single value where a list is expected is coerced to a list of one
  }

  private argumentValue(node: FieldNode, name: string): unknown {
    const argument = node.arguments?.find((candidate) => candidate.name.value === name);
    return argument ? this.value(argument.value) : undefined;
  }

  private value(node: ValueNode): unknown {
    switch (node.kind) {
      case Kind.VARIABLE:
        return this.variables[node.name.value];
      case Kind.INT:
        return Number(node.value);
      case Kind.BOOLEAN:
        return node.value;
      case Kind.LIST:
        return node.values; // only the length is read
      case Kind.NULL:
        return null;
      default:
        return node;
    }
  }

  /** `@skip` / `@include` as execution will apply them. */
  private included(directives: readonly DirectiveNode[] | undefined): boolean {
    for (const directive of directives ?? []) {
      const name = directive.name.value;
      if (name !== 'skip' && name !== 'include') continue;
      const argument = directive.arguments?.find((candidate) => candidate.name.value === 'if');
      const condition = argument ? this.value(argument.value) === true : false;
      if (name === 'skip' && condition) return false;
      if (name === 'include' && !condition) return false;
    }
    return true;
  }
}

const containsVariable = (value: ValueNode): boolean => {
  let found = false;
  visit(value, { Variable: () => { found = true; } });
  return found;
};

/** Arguments whose value sizes lists: `first` and every `sizeArgument` of the schema. */
const sizeArgumentsOf = new WeakMap<GraphQLSchema, Set<string>>();
function sizeArguments(schema: GraphQLSchema): Set<string> {
  let names = sizeArgumentsOf.get(schema);
  if (!names) {
    names = new Set(['first']);
    for (const type of Object.values(schema.getTypeMap())) {
      if (!('getFields' in type) || type.name.startsWith('__')) continue;
      for (const field of Object.values(type.getFields())) {
        const argument = (field.extensions as { sizeArgument?: string } | undefined)?.sizeArgument;
        if (argument) names.add(argument);
      }
    }
    sizeArgumentsOf.set(schema, names);
  }
  return names;
}

/** Whether a variable can change the document's cost: through a size argument, or `@include` / `@skip`. */
function costDependsOnVariables(schema: GraphQLSchema, document: DocumentNode): boolean {
  const names = sizeArguments(schema);
  let depends = false;
  visit(document, {
    Argument(node) {
      if (names.has(node.name.value) && containsVariable(node.value)) depends = true;
    },
    Directive(node) {
      if (node.arguments?.some((argument) => containsVariable(argument.value))) depends = true;
    },
  });
  return depends;
}

/**
 * Costs of documents whose cost no variable changes, by document and operation. Apollo
 * hands the same DocumentNode to every request with the same text (its parsed-document
 * cache), so a dashboard's or a load generator's repeated operation is costed once;
 * WeakMap entries go with the documents Apollo evicts.
 */
const fixedCosts = new WeakMap<DocumentNode, Map<string, number | null>>();

/**
 * The estimated cost of running `operation` of `document` with `variables`, or undefined when
 * the variables do not coerce (execution then reports them as BAD_USER_INPUT; costing them
 * would throw from a plugin hook, where they would become 500s).
 */
export function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode | null | undefined,
  variables: Record<string, unknown> | null | undefined,
): number | undefined {
  if (!operation) return undefined;
  let byOperation = fixedCosts.get(document);
  if (!byOperation) {
    byOperation = new Map();
    fixedCosts.set(document, byOperation);
  }
  const key = operation.name?.value ?? '';
  // A number: the operation's fixed cost; null: its cost depends on variables; undefined: not costed yet.
  const known = byOperation.get(key);
  if (typeof known === 'number') return known;
  const remembered = variables ? costsByVariables.get(variables) : undefined;
  if (remembered && remembered.document === document && remembered.operation === operation) return remembered.cost;
  // One error is enough to know the cost cannot be computed (execution reports them all, up to
  // graphql-js's 50): each coercion error costs ~0.1 ms, and a 1 MB list of bad items has thousands.
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables ?? {}, { maxErrors: 1 });
  const cost = coerced.errors ? undefined : new CostEstimator(schema, document, coerced.coerced).operationCost(operation);
  if (variables) costsByVariables.set(variables, { document, operation, cost });
  if (known === undefined && cost !== undefined) byOperation.set(key, costDependsOnVariables(schema, document) ? null : cost);
  return cost;
}

/**
 * The cost of the request whose variables object this is: the cost limit and the rate limit
 * both ask for it, on HTTP (Apollo's `request.variables`) and on WebSocket (the subscribe
 * payload's), and a cost that depends on the variables coerces them (~10 ms for a batch of
 * 1,000 calls). The entry goes with the request's variables.
 */
const costsByVariables = new WeakMap<object, { document: DocumentNode; operation: OperationDefinitionNode; cost: number | undefined }>();

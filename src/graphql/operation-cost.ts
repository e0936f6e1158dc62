import {
  getVariableValues, Kind, visit, type DocumentNode, type GraphQLSchema, type OperationDefinitionNode, type ValueNode,
} from 'graphql';
import { getComplexity, simpleEstimator, type ComplexityEstimator } from 'graphql-query-complexity';
import { DEFAULT_PAGE_SIZE } from './common.types';

/** A list field costs its page size times its children: `first: 100` of a heavy node is 100 nodes. */
const pageSizeEstimator: ComplexityEstimator = ({ args, field, childComplexity }) => {
  const isConnection = String(field.type).replace(/[![\]]/g, '').endsWith('Connection');
  const first = typeof args.first === 'number' ? args.first : isConnection ? DEFAULT_PAGE_SIZE : undefined;
  return first !== undefined ? 1 + childComplexity * Math.max(1, first) : undefined;
};
const ESTIMATORS = [pageSizeEstimator, simpleEstimator({ defaultComplexity: 1 })];

const containsVariable = (value: ValueNode): boolean => {
  let found = false;
  visit(value, { Variable: () => { found = true; } });
  return found;
};

/**
 * Whether a variable can change the document's cost: the estimators read only `first`,
 * and `@include` / `@skip` decide which fields count.
 */
function costDependsOnVariables(document: DocumentNode): boolean {
  let depends = false;
  visit(document, {
    Argument(node) {
      if (node.name.value === 'first' && containsVariable(node.value)) depends = true;
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
  let byOperation = fixedCosts.get(document);
  if (!byOperation) {
    byOperation = new Map();
    fixedCosts.set(document, byOperation);
  }
  const key = operation?.name?.value ?? '';
  // A number: the operation's fixed cost; null: its cost depends on variables; undefined: not costed yet.
  const known = byOperation.get(key);
  if (typeof known === 'number') return known;
  const cost = computeCost(schema, document, operation, variables ?? {});
  if (known === undefined && cost !== undefined) byOperation.set(key, costDependsOnVariables(document) ? null : cost);
  return cost;
}

function computeCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode | null | undefined,
  variables: Record<string, unknown>,
): number | undefined {
  if (getVariableValues(schema, operation?.variableDefinitions ?? [], variables).errors) return undefined;
  return getComplexity({ schema, query: document, operationName: operation?.name?.value, variables, estimators: ESTIMATORS });
}

import {
  GraphQLError, Kind, getOperationAST, parse, specifiedRules, validate, type DocumentNode, type ASTVisitor, type FieldNode, type FragmentDefinitionNode, type GraphQLSchema,
  type OperationDefinitionNode, type SelectionSetNode, type ValidationContext,
} from 'graphql';
import type { ApolloServerPlugin } from '@apollo/server';
import { operationCost } from './operation-cost';

/**
 * Abuse limits for every operation, over HTTP and (in the subscriptions issue) WebSocket:
 * at most MAX_DEPTH nested selections, MAX_ALIASES aliases, MAX_COST estimated cost,
 * MAX_TOKENS parser tokens. Limits are constants on purpose: raising one is a code review.
 */
export const LIMITS = { MAX_DEPTH: 12, MAX_ALIASES: 30, MAX_COST: 20_000, MAX_TOKENS: 5_000 } as const;

/** A client error: 400 also when thrown from a plugin hook (Apollo answers 500 there unless told otherwise). */
const limitError = (message: string) =>
  new GraphQLError(message, { extensions: { code: 'GRAPHQL_VALIDATION_FAILED', http: { status: 400 } } });

function depthOf(selectionSet: SelectionSetNode | undefined, fragments: Map<string, FragmentDefinitionNode>, seen: Set<string>): number {
  if (!selectionSet) return 0;
  let max = 0;
  for (const selection of selectionSet.selections) {
    let depth = 0;
    // Introspection is exempt (the design's abuse limits): GraphiQL's schema query is 15 deep.
    if (selection.kind === Kind.FIELD && (selection.name.value === '__schema' || selection.name.value === '__type')) continue;
    if (selection.kind === Kind.FIELD) depth = selection.selectionSet ? 1 + depthOf(selection.selectionSet, fragments, seen) : 1;
    else if (selection.kind === Kind.INLINE_FRAGMENT) depth = depthOf(selection.selectionSet, fragments, seen);
    else if (!seen.has(selection.name.value)) {
      const fragment = fragments.get(selection.name.value);
      depth = fragment ? depthOf(fragment.selectionSet, fragments, new Set([...seen, selection.name.value])) : 0;
    }
    max = Math.max(max, depth);
  }
  return max;
}

export function depthLimitRule(context: ValidationContext): ASTVisitor {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of context.getDocument().definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  return {
    OperationDefinition(node: OperationDefinitionNode) {
      const depth = depthOf(node.selectionSet, fragments, new Set());
      if (depth > LIMITS.MAX_DEPTH) context.reportError(limitError(`Query depth ${depth} exceeds the limit of ${LIMITS.MAX_DEPTH}`));
    },
  };
}

export function aliasLimitRule(context: ValidationContext): ASTVisitor {
  let aliases = 0;
  return {
    Field(node: FieldNode) {
      if (node.alias) aliases += 1;
      if (aliases === LIMITS.MAX_ALIASES + 1) {
        context.reportError(limitError(`More than ${LIMITS.MAX_ALIASES} aliases in one document`));
      }
    },
  };
}

export function costLimitPlugin(schema: GraphQLSchema): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document, operation }) {
          const cost = operationCost(schema, document, operation, request.variables);
          if (cost !== undefined && cost > LIMITS.MAX_COST) {
            throw limitError(`Query cost ${cost} exceeds the limit of ${LIMITS.MAX_COST}; request smaller pages`);
          }
        },
      };
    },
  };
}

export const validationRules = [depthLimitRule, aliasLimitRule];

/**
 * The checks Apollo applies to an HTTP operation, for paths Apollo does not serve (the
 * WebSocket): parse with the token limit, validate with the standard and the abuse rules,
 * then the cost limit. Returns the parsed document, or the errors to report.
 */
export function checkOperation(
  schema: GraphQLSchema,
  request: { query: string; operationName?: string | null; variables?: Record<string, unknown> | null },
): { document: DocumentNode; errors?: undefined } | { errors: GraphQLError[]; document?: undefined } {
  let document: DocumentNode;
  try {
    document = parse(request.query, { maxTokens: LIMITS.MAX_TOKENS });
  } catch (error) {
    return { errors: [error instanceof GraphQLError ? error : new GraphQLError('Syntax error')] };
  }
  const errors = validate(schema, document, [...specifiedRules, ...validationRules]);
  if (errors.length > 0) return { errors: [...errors] };
  const operation = getOperationAST(document, request.operationName ?? undefined);
  if (!operation) return { errors: [limitError('The document must name the operation to run')] };
  const cost = operationCost(schema, document, operation, request.variables);
  if (cost === undefined) return { document }; // execution reports bad variables as it does over HTTP
  if (cost > LIMITS.MAX_COST) return { errors: [limitError(`Query cost ${cost} exceeds the limit of ${LIMITS.MAX_COST}; request smaller pages`)] };
  return { document };
}

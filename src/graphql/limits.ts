import {
  GraphQLError, getOperationAST, parse, specifiedRules, validate,
  type ASTVisitor, type DocumentNode, type GraphQLSchema, type ValidationContext, type ValidationRule,
} from 'graphql';
import type { ApolloServerPlugin } from '@apollo/server';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import { operationCost } from './operation-cost';

/**
 * Abuse limits of every operation, over HTTP and WebSocket alike (README, "Errors and
 * limits"): graphql-armor's defaults or stricter. Constants on purpose: raising one is a
 * code review, not an environment variable.
 * - MAX_DEPTH: nested fields, every field counted (a connection's `edges` and `node` too),
 *   fragment spreads and inline fragments not counted; introspection (`__schema`) exempt.
 * - MAX_ALIASES: aliases in an operation, `__typename` ones included.
 * - MAX_DIRECTIVES: directives in an operation (through its fragments).
 * - MAX_TOKENS: parser tokens of a document: graphql-armor's default, and what keeps
 *   graphql-js's OverlappingFieldsCanBeMerged (quadratic in fields of one response name)
 *   in tens of milliseconds; the largest client document (GraphiQL's introspection) has 184.
 * - MAX_COST: estimated values of the answer (operation-cost.ts).
 */
export const LIMITS = { MAX_DEPTH: 8, MAX_ALIASES: 15, MAX_DIRECTIVES: 50, MAX_TOKENS: 1_000, MAX_COST: 5_000 } as const;

export interface LimitOptions {
  /** Whether `__schema` / `__type` may be queried (ENABLE_INTROSPECTION). */
  introspectionEnabled: boolean;
}

/** A client error: 400 also when thrown from a plugin hook (Apollo answers 500 there unless told otherwise). */
const limitError = (message: string) =>
  new GraphQLError(message, { extensions: { code: 'GRAPHQL_VALIDATION_FAILED', http: { status: 400 } } });

/**
 * graphql-armor's refusals as validation errors with our code: its Apollo wrapper reports
 * them as BAD_USER_INPUT, and its default throws out of `validate` (a 500 on Apollo's path).
 * Its messages start with "Syntax Error: ", which they are not.
 */
const reportToContext = (context: ValidationContext | null, error: GraphQLError) => {
  context?.reportError(limitError(error.message.replace(/^Syntax Error: /, '')));
};
const armorOptions = { propagateOnRejection: false, exposeLimits: true, onReject: [reportToContext], onAccept: [] };

/**
 * Each armor rule walks a fragment once and reuses its count at every spread, so
 * validation is linear in the document (the hand-written depth rule it replaces walked a
 * fragment again at each spread: 21 fragments each spreading the next twice took 4.8 s).
 */
const ARMOR_RULES: ValidationRule[] = [
  maxDepthRule({ ...armorOptions, n: LIMITS.MAX_DEPTH, flattenFragments: true, ignoreIntrospection: true }),
  maxAliasesRule({ ...armorOptions, n: LIMITS.MAX_ALIASES, allowList: [] }),
  maxDirectivesRule({ ...armorOptions, n: LIMITS.MAX_DIRECTIVES }),
] as ValidationRule[];

/**
 * Introspection off: one error per `__schema` / `__type` (graphql-js's
 * NoSchemaIntrospectionCustomRule also reports every field below them, ~40 errors for
 * GraphiQL's query). `__typename` stays: clients need it.
 */
function noIntrospectionRule(context: ValidationContext): ASTVisitor {
  return {
    Field(node) {
      if (node.name.value !== '__schema' && node.name.value !== '__type') return;
      context.reportError(new GraphQLError('Introspection is disabled on this server (ENABLE_INTROSPECTION)', {
        nodes: node, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
      }));
    },
  };
}

const RULES_WITH_INTROSPECTION = ARMOR_RULES;
const RULES_WITHOUT_INTROSPECTION = [...ARMOR_RULES, noIntrospectionRule];

/** The validation rules both transports add to graphql-js's specified rules. */
export function validationRules(options: LimitOptions): ValidationRule[] {
  return options.introspectionEnabled ? RULES_WITH_INTROSPECTION : RULES_WITHOUT_INTROSPECTION;
}

/** Parser options of both transports: graphql-js counts the same tokens as armor's max-tokens, in the one parse. */
export const PARSE_OPTIONS = { maxTokens: LIMITS.MAX_TOKENS } as const;

const costError = (cost: number) =>
  limitError(`Query cost ${Number.isFinite(cost) ? cost : 'Infinity'} exceeds the limit of ${LIMITS.MAX_COST}; request smaller pages or fewer nested lists`);

/** The cost limit on Apollo's path: after validation, with the request's variables (they size pages and batches). */
export function costLimitPlugin(schema: GraphQLSchema): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document, operation }) {
          const cost = operationCost(schema, document, operation, request.variables);
          if (cost !== undefined && cost > LIMITS.MAX_COST) throw costError(cost);
        },
      };
    },
  };
}

/** A copy of a graphql-js error with the code Apollo gives it over HTTP. */
const withCode = (error: GraphQLError, code: string) =>
  error.extensions?.code
    ? error
    : new GraphQLError(error.message, { nodes: error.nodes, source: error.source, positions: error.positions, extensions: { code } });

/**
 * The checks Apollo applies to an HTTP operation, for the path Apollo does not serve (the
 * WebSocket): parse with the token limit, validate with the specified and the abuse rules,
 * then the cost limit; errors carry the codes Apollo gives them (GRAPHQL_PARSE_FAILED,
 * GRAPHQL_VALIDATION_FAILED). Returns the parsed document, or the errors to report.
 */
export function checkOperation(
  schema: GraphQLSchema,
  request: { query: string; operationName?: string | null; variables?: Record<string, unknown> | null },
  options: LimitOptions,
): { document: DocumentNode; errors?: undefined } | { errors: GraphQLError[]; document?: undefined } {
  let document: DocumentNode;
  try {
    document = parse(request.query, PARSE_OPTIONS);
  } catch (error) {
    return { errors: [withCode(error instanceof GraphQLError ? error : new GraphQLError('Syntax error'), 'GRAPHQL_PARSE_FAILED')] };
  }
  const errors = validate(schema, document, [...specifiedRules, ...validationRules(options)]);
  if (errors.length > 0) return { errors: errors.map((error) => withCode(error, 'GRAPHQL_VALIDATION_FAILED')) };
  const operation = getOperationAST(document, request.operationName ?? undefined);
  if (!operation) return { errors: [limitError('The document must name the operation to run')] };
  const cost = operationCost(schema, document, operation, request.variables);
  if (cost === undefined) return { document }; // execution reports bad variables as it does over HTTP
  if (cost > LIMITS.MAX_COST) return { errors: [costError(cost)] };
  return { document };
}

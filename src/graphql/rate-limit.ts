import {
  getOperationAST, Kind, type DocumentNode, type GraphQLSchema, type OperationDefinitionNode, type SelectionSetNode,
} from 'graphql';
import type { ApolloServerPlugin, GraphQLRequestListener } from '@apollo/server';
import type { AuthService } from '../modules/auth/auth.service';
import type { Viewer } from '../modules/auth/role';
import type { RateLimitService } from '../modules/rate-limit/rate-limit.service';
import { operationCost } from './operation-cost';
import { asGraphQLError, RateLimitedError, UnauthenticatedError } from './errors';
import type { RequestContext } from './context';

/** The root fields an operation selects (through fragments too), without meta fields such as `__typename`. */
export function rootFieldNames(document: DocumentNode, operation: OperationDefinitionNode): string[] {
  const fragments = new Map<string, SelectionSetNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition.selectionSet);
  }
  const names: string[] = [];
  const seen = new Set<string>();
  const walk = (selectionSet: SelectionSetNode) => {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        if (!selection.name.value.startsWith('__')) names.push(selection.name.value);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        walk(selection.selectionSet);
      } else if (!seen.has(selection.name.value)) {
        seen.add(selection.name.value);
        const fragment = fragments.get(selection.name.value);
        if (fragment) walk(fragment);
      }
    }
  };
  walk(operation.selectionSet);
  return names;
}

/**
 * Charges `viewer`'s budget the operation's estimated cost (the figure the cost limit
 * checks; 1 when the variables do not coerce, which execution then refuses) and answers the
 * error to send when it does not fit, for HTTP and WebSocket alike.
 */
export function chargeOperation(
  rateLimits: RateLimitService,
  schema: GraphQLSchema,
  viewer: Viewer,
  document: DocumentNode,
  operation: OperationDefinitionNode | null | undefined,
  variables: Record<string, unknown> | null | undefined,
): RateLimitedError | undefined {
  const resolved = operation ?? getOperationAST(document);
  if (!resolved) return undefined; // Apollo and graphql-ws refuse a document without an operation to run
  const cost = operationCost(schema, document, resolved, variables) ?? 1;
  const decision = rateLimits.chargeOperation(viewer, rootFieldNames(document, resolved), cost);
  if (decision.allowed) return undefined;
  return new RateLimitedError(
    `Rate limit exceeded: this credential's budget of cost points for the current window is spent; retry in ${decision.retryAfterSeconds} s`,
    decision.retryAfterSeconds,
  );
}

/** The HTTP side of chargeOperation: refuses the operation with 429 before it executes. */
export function rateLimitPlugin(schema: GraphQLSchema, rateLimits: RateLimitService): ApolloServerPlugin<RequestContext> {
  // One listener for every request: it keeps no per-request state.
  const listener: GraphQLRequestListener<RequestContext> = {
    async didResolveOperation({ request, document, operation, contextValue }) {
      const error = chargeOperation(rateLimits, schema, contextValue.viewer, document, operation, request.variables);
      if (error) throw error;
    },
  };
  return { requestDidStart: async () => listener };
}

/**
 * Authenticates within the failed-authentication budget of `ip`: an address that has used
 * it up is refused (RATE_LIMITED) before its credentials are read, so guessing keys is
 * throttled however cheap a guess is; a presented credential that fails counts against it.
 * A request without credentials is not a guess and is not counted.
 */
export async function authenticateWithinBudget(
  auth: AuthService,
  rateLimits: RateLimitService,
  ip: string,
  authorization: string | undefined,
): Promise<Viewer> {
  const decision = rateLimits.checkAuthFailures(ip);
  if (!decision.allowed) {
    throw new RateLimitedError(
      `Too many failed authentications from this address; retry in ${decision.retryAfterSeconds} s`,
      decision.retryAfterSeconds,
    );
  }
  try {
    return await auth.authenticate(authorization);
  } catch (error) {
    const refused = asGraphQLError(error); // the service's refusal as the transport's error (401)
    if (refused instanceof UnauthenticatedError && authorization) rateLimits.recordAuthFailure(ip);
    throw refused;
  }
}

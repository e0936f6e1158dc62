import type { ApolloServerPlugin } from '@apollo/server';
import { getOperationAST } from 'graphql';
import type { ApiMetrics, OperationType } from '../modules/observability/api-metrics';
import type { RequestContext } from './context';
import { tagErrors } from './errors';

/**
 * Per HTTP GraphQL request: the operations metric (name, type, outcome) and its latency;
 * every error tagged with the request (so the error formatter puts `requestId` in its
 * extensions and logs an internal error on the request's logger); a debug line per operation.
 */
export function observabilityPlugin(metrics: ApiMetrics): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart({ contextValue }) {
      const startedAt = performance.now();
      let type: OperationType = 'unknown';
      let codes: string[] | undefined;
      return {
        async didResolveOperation({ operation }) {
          if (operation) type = operation.operation as OperationType;
        },
        async didEncounterErrors({ errors }) {
          tagErrors(errors, contextValue);
          codes = errors.map((error) => String(error.extensions?.code ?? 'INTERNAL_SERVER_ERROR'));
        },
        async willSendResponse({ operationName, request, document }) {
          const seconds = (performance.now() - startedAt) / 1000;
          // A document that parsed but did not validate still names its operation; one that did not
          // parse has only the client's operationName (a label like any other: bounded).
          const name = operationName ?? (document && getOperationAST(document, request.operationName)?.name?.value) ?? request.operationName;
          metrics.operation({ name, type, transport: 'http', failed: codes !== undefined }, seconds);
          if (contextValue.logger.enabled('debug')) {
            contextValue.logger.debug('graphql operation', {
              operation: metrics.operationLabels.label(name), type, transport: 'http',
              durationMs: Math.round(seconds * 10_000) / 10, ...(codes ? { errors: codes } : {}),
            });
          }
        },
      };
    },
  };
}

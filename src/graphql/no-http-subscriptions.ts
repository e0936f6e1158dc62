import { GraphQLError } from 'graphql';
import type { ApolloServerPlugin } from '@apollo/server';

/**
 * Subscriptions are served over WebSocket only. Over HTTP, Apollo would execute a
 * subscription document as a query, run the event resolvers without an event and answer
 * INTERNAL_SERVER_ERROR; refuse it before execution with a 400 that says where to go.
 */
export function noHttpSubscriptionsPlugin(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation }) {
          if (operation?.operation === 'subscription') {
            throw new GraphQLError('Subscriptions are served over WebSocket on /graphql (graphql-transport-ws), not over HTTP', {
              extensions: { code: 'BAD_REQUEST', http: { status: 400 } },
            });
          }
        },
      };
    },
  };
}

import { createGraphiQLFetcher, type Fetcher } from '@graphiql/toolkit';
import { createClient, type Client } from 'graphql-ws';

/**
 * Queries and mutations over HTTP (POST /graphql), subscriptions over graphql-ws on the
 * same URL. The socket authenticates once, in connection_init, with the Authorization
 * header typed in the headers editor (`connectionParams.authorization`, what the server
 * reads); when that header changes, the old socket is closed and the next subscription
 * opens one with the new credentials.
 */
export function createPlaygroundFetcher(httpUrl: string, wsUrl: string): Fetcher {
  let current: { authorization: string | undefined; client: Client; fetcher: Fetcher } | undefined;
  return (params, options) => {
    const authorization = headerValue(options?.headers, 'authorization');
    if (!current || current.authorization !== authorization) {
      void current?.client.dispose();
      // lazy: the socket opens with the first subscription, not for every query.
      const client = createClient({ url: wsUrl, lazy: true, connectionParams: authorization ? { authorization } : {} });
      current = { authorization, client, fetcher: createGraphiQLFetcher({ url: httpUrl, wsClient: client }) };
    }
    return current.fetcher(params, options);
  };
}

/** A header's value whatever its case in the headers editor ("Authorization" or "authorization"). */
function headerValue(headers: Record<string, unknown> | undefined, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers ?? {})) {
    if (key.toLowerCase() === name && typeof value === 'string') return value;
  }
  return undefined;
}

/** ws: or wss: for the page's own origin, path /graphql. */
export function sameOriginWebSocketUrl(location: Location): string {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/graphql`;
}

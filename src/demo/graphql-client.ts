import { print } from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';

/** One typed operation over POST <url> as a client would send it, with a bearer key. */
export type GraphQLCall = <TData, TVariables>(document: TypedDocumentNode<TData, TVariables>, variables: TVariables, key: string) => Promise<TData>;

/**
 * A client of the API's public HTTP endpoint: the demo builds its data through the same
 * GraphQL operations a partner would, so its setup also checks that they work.
 */
export function httpGraphQL(url: string): GraphQLCall {
  const texts = new WeakMap<object, string>();
  return async (document, variables, key) => {
    let query = texts.get(document);
    if (query === undefined) texts.set(document, (query = print(document)));
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { data?: any; errors?: Array<{ message: string }> };
    if (body.errors?.length || !body.data) throw new Error(`GraphQL error: ${body.errors?.map((e) => e.message).join('; ') ?? response.status}`);
    return body.data;
  };
}

/** Fails with the payload's userErrors, if any. */
export function noUserErrors<T extends { userErrors: ReadonlyArray<{ code: string; message: string }> }>(what: string, payload: T): T {
  if (payload.userErrors.length) throw new Error(`${what}: ${payload.userErrors.map((e) => `${e.code} ${e.message}`).join('; ')}`);
  return payload;
}

import { print } from 'graphql/language/printer';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';

/** The text of a typed document from schema/generated (printed once per document). */
const texts = new WeakMap<object, string>();
export function documentText(document: TypedDocumentNode<any, any>): string {
  let text = texts.get(document);
  if (text === undefined) texts.set(document, (text = print(document)));
  return text;
}

export class ApiError extends Error {
  constructor(message: string, readonly code?: string) {
    super(message);
  }
}

/** One query over POST /graphql on this origin, with the key as a bearer token. */
export async function request<TData, TVariables>(
  document: TypedDocumentNode<TData, TVariables>,
  variables: TVariables,
  key: string,
): Promise<TData> {
  const response = await fetch('/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query: documentText(document), variables }),
  });
  const body = (await response.json()) as { data?: TData; errors?: Array<{ message: string; extensions?: { code?: string } }> };
  if (body.errors?.length || !body.data) {
    const first = body.errors?.[0];
    throw new ApiError(first?.message ?? `HTTP ${response.status}`, first?.extensions?.code);
  }
  return body.data;
}

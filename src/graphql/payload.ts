import { DomainError } from '../shared/domain-error';
import { Refusal } from '../shared/refusal';
import type { UserError } from './common.types';

/**
 * Runs a mutation's service call and shapes its payload: the result under `key` and no
 * userErrors, or, when a business rule failed, `key: null` and the error. Anything else
 * (a Refusal such as FORBIDDEN, bugs) propagates as a GraphQL error.
 */
export async function mutationPayload<K extends string, T>(
  key: K,
  run: () => Promise<T>,
): Promise<{ [P in K]: T | null } & { userErrors: UserError[] }> {
  try {
    const value = await run();
    return { [key]: value, userErrors: [] } as { [P in K]: T | null } & { userErrors: UserError[] };
  } catch (error) {
    if (!(error instanceof DomainError) || error instanceof Refusal) throw error;
    const userError: UserError = { code: error.code, message: error.message, field: error.field ?? null };
    return { [key]: null, userErrors: [userError] } as { [P in K]: T | null } & { userErrors: UserError[] };
  }
}

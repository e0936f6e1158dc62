/**
 * How far an identity provider's clock may run ahead of ours: a token issued "in the
 * future" by up to this much is accepted, anything further is a forged or broken token.
 */
export const CLOCK_TOLERANCE_SECONDS = 60;

/**
 * Why a verified token's lifetime is refused, or null when it is acceptable. Both `iat`
 * and `exp` are required: a stolen token must stop working within `maxLifetimeSeconds` of
 * its issue, whatever `exp` its issuer wrote, and an `iat` in the future would stretch that.
 */
export function tokenLifetimeProblem(
  claims: { iat?: unknown; exp?: unknown },
  nowSeconds: number,
  maxLifetimeSeconds: number,
): string | null {
  const { iat, exp } = claims;
  if (typeof iat !== 'number' || !Number.isFinite(iat)) return 'The token has no `iat` claim';
  if (typeof exp !== 'number' || !Number.isFinite(exp)) return 'The token has no `exp` claim';
  if (iat > nowSeconds + CLOCK_TOLERANCE_SECONDS) return 'The token was issued in the future';
  if (exp - iat > maxLifetimeSeconds) return `The token lives longer than ${maxLifetimeSeconds} seconds`;
  return null;
}

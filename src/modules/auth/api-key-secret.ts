import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Prefix that makes leaked keys easy to recognise in logs and by secret scanners. */
export const API_KEY_PREFIX = 'vmk_';

/** A new secret: 256 random bits. A fast hash is enough at this entropy (no password to brute-force). */
export function generateSecret(): string {
  return API_KEY_PREFIX + randomBytes(32).toString('base64url');
}

export function hashSecret(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

export function secretsEqual(a: string, b: string): boolean {
  return timingSafeEqual(hashSecret(a), hashSecret(b));
}

import { CLOCK_TOLERANCE_SECONDS, tokenLifetimeProblem } from './token-lifetime';

describe('tokenLifetimeProblem', () => {
  const now = 1_800_000_000;
  const day = 86_400;

  it.each([
    ['a token issued now for 5 minutes', { iat: now, exp: now + 300 }],
    ['a token of exactly the maximum lifetime', { iat: now - 10, exp: now - 10 + day }],
    ['a token issued within the clock tolerance ahead', { iat: now + CLOCK_TOLERANCE_SECONDS, exp: now + 600 }],
  ])('should accept %s', (_label, claims) => {
    expect(tokenLifetimeProblem(claims, now, day)).toBeNull();
  });

  it.each([
    ['a token without iat', { exp: now + 300 }, /iat/],
    ['a token with a string iat', { iat: String(now), exp: now + 300 }, /iat/],
    ['a token without exp', { iat: now }, /exp/],
    ['a token living one second too long', { iat: now, exp: now + day + 1 }, /longer than 86400/],
    ['a token issued past the clock tolerance ahead', { iat: now + CLOCK_TOLERANCE_SECONDS + 1, exp: now + 600 }, /future/],
    ['a token issued far in the future', { iat: now + 10 * day, exp: now + 10 * day + 60 }, /future/],
  ])('should refuse %s', (_label, claims, problem) => {
    expect(tokenLifetimeProblem(claims, now, day)).toMatch(problem);
  });
});

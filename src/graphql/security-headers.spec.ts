import { contentSecurityPolicy, securityHeaders } from './security-headers';

describe('security headers', () => {
  it.each([
    ['a JSON answer', undefined, "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"],
    [
      'a page with its own bundled assets (the playground)',
      { scripts: true, styles: true, images: true, connect: true },
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; " +
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    ],
    ['a page with scripts only', { scripts: true }, "default-src 'none'; script-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"],
  ])('should give %s its CSP', (_label, page, expected) => {
    expect(contentSecurityPolicy(page)).toBe(expected);
  });

  it('should never allow another origin, inline code or eval', () => {
    const strictest = contentSecurityPolicy({ scripts: true, styles: true, images: true, connect: true });
    expect(strictest).not.toMatch(/unsafe|\*|https?:/);
  });

  it('should add HSTS only in production', () => {
    const names = (production: boolean) => securityHeaders({ production }).map(([name]) => name);
    expect(names(false)).not.toContain('strict-transport-security');
    expect(new Map(securityHeaders({ production: true })).get('strict-transport-security')).toBe('max-age=31536000');
  });
});

import { spawnSync } from 'node:child_process';
import path from 'node:path';

/**
 * scripts/audit-prod.mjs (`npm run audit:prod`, part of `npm test`) judging `npm audit
 * --json` reports: it fails on a high or critical advisory only, and warns without failing
 * when the audit could not run.
 */
function judge(report: unknown): { status: number | null; out: string } {
  const result = spawnSync(process.execPath, [path.join(__dirname, '../scripts/audit-prod.mjs'), '--stdin'], {
    input: typeof report === 'string' ? report : JSON.stringify(report),
    encoding: 'utf8',
  });
  return { status: result.status, out: result.stdout + result.stderr };
}

const counts = (high: number, critical: number, moderate = 0) => ({
  metadata: { vulnerabilities: { info: 0, low: 0, moderate, high, critical, total: high + critical + moderate } },
});
const advisory = (name: string, severity: string) => ({
  name, severity, range: '<2.0.0', via: [{ title: `${name} lets attackers in`, url: `https://github.com/advisories/${name}`, severity }],
});

describe('the production dependency audit', () => {
  it.each([
    ['high', advisory('left-pad', 'high')],
    ['critical', advisory('event-stream', 'critical')],
  ])('should fail on a %s advisory and name it', (severity, vulnerability) => {
    const { status, out } = judge({
      vulnerabilities: { [vulnerability.name]: vulnerability },
      ...counts(severity === 'high' ? 1 : 0, severity === 'critical' ? 1 : 0),
    });
    expect(status).toBe(1);
    expect(out).toContain(`${vulnerability.name} <2.0.0 [${severity}]: ${vulnerability.name} lets attackers in`);
  });

  it('should pass with moderate advisories only, or none', () => {
    expect(judge({ vulnerabilities: { minimist: advisory('minimist', 'moderate') }, ...counts(0, 0, 1) }).status).toBe(0);
    const clean = judge({ vulnerabilities: {}, ...counts(0, 0) });
    expect(clean).toEqual({ status: 0, out: expect.stringContaining('no high or critical advisory') });
  });

  it.each([
    ['the registry refuses the audit endpoint (405)', { statusCode: 405, message: '405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk' }, /HTTP 405/],
    ['npm is offline', { error: { code: 'ENOTFOUND', summary: 'request to https://registry.npmjs.org failed' } }, /registry\.npmjs\.org failed/],
    ['npm printed no JSON', 'npm ERR! something odd', /no JSON report/],
  ])('should warn, saying why, and not fail when %s', (_label, report, reason) => {
    const { status, out } = judge(report);
    expect(status).toBe(0);
    expect(out).toMatch(/WARNING: npm audit --omit=dev could not run, so no advisory was checked/);
    expect(out).toMatch(reason);
  });
});

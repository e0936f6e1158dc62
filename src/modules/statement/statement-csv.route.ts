import type { IncomingMessage, ServerResponse } from 'node:http';
import { GraphQLError } from 'graphql';
import type { DataSource } from 'typeorm';
import { sendJson } from '../../graphql/http-handler';
import { DateTimeScalar } from '../../graphql/scalars';
import { validRange } from '../../graphql/date-range';
import { decodeId, toGlobalId } from '../../shared/global-id';
import { formatMicros } from '../../shared/money';
import type { Logger } from '../../shared/logger';
import { canManageAgency } from '../auth/access';
import type { Viewer } from '../auth/role';
import { AgencyEntity } from '../agency/agency.entity';
import { MINUTE_TIERS } from '../pricing/pricing';
import { formatMinutes } from '../reporting/usage-report.service';
import { CALL_STATUSES } from '../usage/call.entity';
import { csvRow, numberCell, textCell } from './csv';
import type { Statement, StatementService } from './statement.service';

export const STATEMENTS_CSV_PATH = '/exports/statements.csv';

/** The columns, in order (docs/health-and-statements.md). */
export const STATEMENT_CSV_COLUMNS = [
  'sub_account_id', 'sub_account_name', 'login_email', 'sub_account_status', 'cycle_start', 'cycle_end', 'closed',
  'opening_balance', 'purchases', 'transfers_in', 'transfers_out', 'adjustments', 'spent', 'closing_balance', 'consumed_markup',
  ...MINUTE_TIERS.map((t) => `minutes_${t.toLowerCase()}`), 'calls',
  ...CALL_STATUSES.map((s) => `calls_${s.toLowerCase()}`),
] as const;

function row(s: Statement, globalId: string): string {
  const f = s.figures;
  return csvRow([
    numberCell(globalId), textCell(s.subAccount.name), textCell(s.subAccount.loginEmail), numberCell(s.subAccount.status),
    numberCell(s.cycle.start.toISOString()), numberCell(s.cycle.end.toISOString()), numberCell(String(s.closed)),
    ...[f.openingMicros, f.purchasesMicros, f.transfersInMicros, f.transfersOutMicros, f.adjustmentsMicros, f.spentMicros, f.closingMicros,
      s.usage.profitMicros].map((m) => numberCell(formatMicros(m))),
    ...MINUTE_TIERS.map((t) => numberCell(formatMinutes(s.usage.secondsByTier[t]))),
    numberCell(String(s.usage.callCount)),
    ...CALL_STATUSES.map((st) => numberCell(String(s.usage.callsByStatus[st]))),
  ]);
}

const fail = (res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}) =>
  sendJson(res, status, { errors: [{ message, extensions: { code } }] }, headers);

/** Writes and waits for the socket to take it when its buffer is full: memory holds one page of rows at most. */
function write(res: ServerResponse, chunk: string): Promise<void> {
  if (res.write(chunk)) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/**
 * GET /exports/statements.csv?agencyId=…&from=…&to=…: one row per sub-account (removed ones
 * included) and billing cycle ending in [from, to), streamed page by page. The Bearer credential
 * of the GraphQL endpoint, with its rate limit on failures; platform admins and the agency's own
 * admins only. Errors are JSON `{ errors: [{ message, extensions: { code } }] }` like GraphQL's:
 * 400 BAD_USER_INPUT, 401 UNAUTHENTICATED, 403 FORBIDDEN (another agency, or none by that id,
 * indistinguishable), 405, 429.
 */
export function createStatementsCsvRoute(deps: {
  dataSource: DataSource;
  statements: StatementService;
  authenticate: (req: IncomingMessage) => Promise<Viewer>;
  logger: Logger;
}) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method !== 'GET') return fail(res, 405, 'METHOD_NOT_ALLOWED', 'Use GET', { allow: 'GET' });
    let viewer: Viewer;
    try {
      viewer = await deps.authenticate(req);
    } catch (error) {
      const ext = error instanceof GraphQLError ? error.extensions : {};
      if (ext.code === 'RATE_LIMITED') {
        return fail(res, 429, 'RATE_LIMITED', (error as Error).message, { 'retry-after': String(ext.retryAfterSeconds) });
      }
      if (ext.code === 'UNAUTHENTICATED') return fail(res, 401, 'UNAUTHENTICATED', (error as Error).message);
      throw error;
    }
    if (viewer.role !== 'PLATFORM_ADMIN' && viewer.role !== 'AGENCY_ADMIN') {
      return fail(res, 403, 'FORBIDDEN', `The ${viewer.role} role may not export agency statements`);
    }

    const params = new URL(req.url ?? '/', 'http://localhost').searchParams;
    let range: { from: Date; to: Date };
    let agencyId: string | undefined;
    try {
      for (const name of ['agencyId', 'from', 'to']) {
        if (params.getAll(name).length !== 1) throw new GraphQLError(`Give \`${name}\` exactly once`);
      }
      agencyId = decodeId(params.get('agencyId')!, 'Agency');
      if (!agencyId) throw new GraphQLError('`agencyId` is not an Agency id');
      const from = DateTimeScalar.parseValue(params.get('from')) as Date;
      const to = DateTimeScalar.parseValue(params.get('to')) as Date;
      range = validRange({ from, to })!;
    } catch (error) {
      return fail(res, 400, 'BAD_USER_INPUT', (error as Error).message.replace(/range\.(from|to)/g, '$1'));
    }
    const agency = await deps.dataSource.getRepository(AgencyEntity).findOneBy({ id: agencyId });
    if (!agency || !canManageAgency(viewer, agency.id)) {
      return fail(res, 403, 'FORBIDDEN', 'No agency of yours has this id');
    }

    const day = (d: Date) => d.toISOString().slice(0, 10);
    res.writeHead(200, {
      'content-type': 'text/csv; charset=utf-8; header=present',
      'content-disposition': `attachment; filename="statements-${day(range.from)}-${day(range.to)}.csv"`,
      'cache-control': 'no-store',
    });
    try {
      await write(res, csvRow([...STATEMENT_CSV_COLUMNS]));
      for await (const page of deps.statements.agencyStatements(agency.id, range)) {
        if (res.destroyed) return;
        const chunk = page.map((s) => row(s, toGlobalId('SubAccount', s.subAccount.id))).join('');
        if (chunk) await write(res, chunk);
      }
      res.end();
    } catch (error) {
      // The status is sent: cut the body short, so no client takes a partial file for a whole one.
      deps.logger.error('statements export failed', { message: (error as Error).message });
      res.destroy();
    }
  };
}

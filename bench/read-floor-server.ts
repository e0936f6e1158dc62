import { createHash } from 'node:crypto';
import http from 'node:http';
import { buildSchema, execute, parse, validate, type DocumentNode, type FieldNode, visit } from 'graphql';
import { Pool } from 'pg';
import { toGlobalId, decodeId } from '../src/shared/global-id';
import { formatMicros, formatScaled, MINUTES_SCALE } from '../src/shared/money';
import { minuteUnitsFromSeconds } from '../src/modules/usage/call-cost';

/** The API's minutes formatting (its formatter sits in a module that loads type-graphql, which this server does without). */
const formatMinutes = (seconds: bigint) => formatScaled(minuteUnitsFromSeconds(seconds), MINUTES_SCALE);

/**
 * The read path's practical floor (issue 13): graphql-js on node:http with a document
 * cache, the same Bearer-key authentication as the API (a SHA-256 lookup of the key on
 * every request, refused when revoked or not an admin of the agency), and ONE hand-written
 * SQL statement for the data of a request, chosen by which fields the document selects.
 * It serves the subset of the API's schema the read bench asks for, with the same names
 * and the same formatting (global ids, Decimal strings), so its answers can be compared
 * with the API's byte for byte before anything is measured.
 *
 * Forked by bench/read.ts: receives `{ databaseUrl, poolSize }` over IPC, answers `{ port }`.
 */
const SCHEMA = buildSchema(`
  enum MinuteTier { BASIC PREMIUM }
  type Money { amount: String! currencyCode: String! }
  type Wallet { id: ID! balance: Money! }
  type UsageSummary { totalMinutes: String! spent: Money! }
  type SubAccount {
    id: ID! name: String! status: String! kind: String!
    markup(tier: MinuteTier!): Money!
    minutePrice(tier: MinuteTier!): Money!
    wallet: Wallet!
    usage: UsageSummary!
    calls(first: Int): CallConnection!
  }
  type Call { id: ID! externalCallId: String! status: String! durationSeconds: Int! }
  type CallEdge { node: Call! }
  type CallConnection { edges: [CallEdge!]! }
  type SubAccountEdge { cursor: String! node: SubAccount! }
  type SubAccountConnection { totalCount: Int! edges: [SubAccountEdge!]! }
  type Agency { id: ID! name: String! subAccountSlotsRemaining: Int subAccounts(first: Int): SubAccountConnection! }
  type Query { agency(id: ID!): Agency }
`);

/** Which joins a document needs: decided once per cached document. */
interface Needs {
  wallet: boolean;
  usage: boolean;
  /** `first` of each sub-account's `calls` (a literal in the bench's document), 0 when not asked. */
  calls: number;
}

interface CachedDocument {
  document: DocumentNode;
  needs: Needs;
}

function needsOf(document: DocumentNode): Needs {
  const needs: Needs = { wallet: false, usage: false, calls: 0 };
  visit(document, {
    Field(node: FieldNode) {
      if (node.name.value === 'wallet') needs.wallet = true;
      if (node.name.value === 'usage') needs.usage = true;
      if (node.name.value === 'calls') {
        const first = node.arguments?.find((a) => a.name.value === 'first')?.value;
        needs.calls = first?.kind === 'IntValue' ? Math.min(100, Number(first.value)) : 20;
      }
    },
  });
  return needs;
}

/**
 * The whole answer in one statement: the agency, its plan, counts, and a page of
 * sub-accounts with (when asked) the wallet's balance and the current cycle's usage summed
 * from the calls' covering index. Cycle start: the anchor plus whole months (PostgreSQL's
 * month arithmetic clamps the day as the API's billing cycle does).
 */
function statementFor(needs: Needs): string {
  const walletJoin = needs.wallet ? 'JOIN wallets w ON w.sub_account_id = s.id JOIN ledger_accounts l ON l.id = w.id' : '';
  const walletColumns = needs.wallet ? ', w.id AS wallet_id, l.balance_micros::text AS balance' : '';
  const usageJoin = needs.usage
    ? `LEFT JOIN LATERAL (
         SELECT coalesce(sum(c.duration_seconds), 0)::text AS seconds, coalesce(sum(c.cost_micros), 0)::text AS spent
           FROM calls c
          WHERE c.sub_account_id = s.id AND c.started_at >= cyc.start AND c.started_at < cyc.start + interval '1 month'
       ) u ON true`
    : '';
  const usageColumns = needs.usage ? ', u.seconds, u.spent' : '';
  // The API's order: newest first by start instant, the id breaking ties.
  const callsJoin = needs.calls
    ? `LEFT JOIN LATERAL (
         SELECT coalesce(json_agg(json_build_object('id', c.id, 'external_call_id', c.external_call_id, 'status', c.status,
                                                    'duration_seconds', c.duration_seconds) ORDER BY c.started_at DESC, c.id DESC), '[]'::json) AS calls
           FROM (SELECT * FROM calls c WHERE c.sub_account_id = s.id ORDER BY c.started_at DESC, c.id DESC LIMIT ${needs.calls}) c
       ) cl ON true`
    : '';
  const callsColumns = needs.calls ? ', cl.calls' : '';
  const cycle = needs.usage
    ? `CROSS JOIN LATERAL (
         SELECT s.subscription_started_at + make_interval(months => greatest(0,
                  (extract(year FROM age(now(), s.subscription_started_at)) * 12
                   + extract(month FROM age(now(), s.subscription_started_at)))::int)) AS start
       ) cyc`
    : '';
  return `
    SELECT a.id, a.name, p.sub_account_limit, p.basic_price_micros::text AS basic_price, p.premium_price_micros::text AS premium_price,
           a.default_markup_basic_micros::text AS default_basic, a.default_markup_premium_micros::text AS default_premium,
           (SELECT count(*) FROM sub_accounts x WHERE x.agency_id = a.id AND x.status = 'ACTIVE')::int AS active_count,
           (SELECT count(*) FROM sub_accounts x WHERE x.agency_id = a.id)::int AS total_count,
           (SELECT coalesce(json_agg(page ORDER BY page.created_at, page.id), '[]'::json) FROM (
              SELECT s.id, s.name, s.status, s.kind, s.apply_base_price, s.created_at,
                     s.markup_basic_micros::text AS markup_basic, s.markup_premium_micros::text AS markup_premium
                     ${walletColumns} ${usageColumns} ${callsColumns}
                FROM sub_accounts s ${walletJoin} ${cycle} ${usageJoin} ${callsJoin}
               WHERE s.agency_id = a.id
               ORDER BY s.created_at, s.id
               LIMIT $2) page) AS sub_accounts
      FROM agencies a JOIN plans p ON p.code = a.plan_code
     WHERE a.id = $1`;
}

interface SubAccountRow {
  id: string; name: string; status: string; kind: string; apply_base_price: boolean; created_at: string;
  markup_basic: string | null; markup_premium: string | null; wallet_id?: string; balance?: string; seconds?: string; spent?: string;
  calls?: Array<{ id: string; external_call_id: string; status: string; duration_seconds: number }>;
}

const money = (micros: bigint) => ({ amount: formatMicros(micros), currencyCode: 'USD' });

function toAgency(row: any) {
  const prices = { BASIC: BigInt(row.basic_price), PREMIUM: BigInt(row.premium_price) };
  const defaults = { BASIC: BigInt(row.default_basic), PREMIUM: BigInt(row.default_premium) };
  const markupOf = (s: SubAccountRow, tier: 'BASIC' | 'PREMIUM') => {
    if (s.kind === 'PRIMARY' || s.apply_base_price) return 0n;
    const own = tier === 'BASIC' ? s.markup_basic : s.markup_premium;
    return own === null ? defaults[tier] : BigInt(own);
  };
  return {
    id: toGlobalId('Agency', row.id),
    name: row.name,
    subAccountSlotsRemaining: row.sub_account_limit === null ? null : Math.max(0, row.sub_account_limit - row.active_count),
    subAccounts: () => ({
      totalCount: row.total_count,
      edges: (row.sub_accounts as SubAccountRow[]).map((s) => ({
        cursor: Buffer.from(`${s.created_at}|${s.id}`).toString('base64url'),
        node: {
          id: toGlobalId('SubAccount', s.id),
          name: s.name,
          status: s.status,
          kind: s.kind,
          markup: ({ tier }: { tier: 'BASIC' | 'PREMIUM' }) => money(markupOf(s, tier)),
          minutePrice: ({ tier }: { tier: 'BASIC' | 'PREMIUM' }) => money(prices[tier] + markupOf(s, tier)),
          wallet: s.wallet_id ? { id: toGlobalId('Wallet', s.wallet_id), balance: money(BigInt(s.balance!)) } : null,
          usage: s.seconds !== undefined ? { totalMinutes: formatMinutes(BigInt(s.seconds)), spent: money(BigInt(s.spent!)) } : null,
          calls: {
            edges: (s.calls ?? []).map((c) => ({
              node: { id: toGlobalId('Call', c.id), externalCallId: c.external_call_id, status: c.status, durationSeconds: c.duration_seconds },
            })),
          },
        },
      })),
    }),
  };
}

export async function startFloorServer(databaseUrl: string, poolSize: number): Promise<{ port: number; close(): Promise<void> }> {
  const pool = new Pool({ connectionString: databaseUrl, max: poolSize });
  const documents = new Map<string, CachedDocument>();
  const cached = (query: string): CachedDocument | { errors: readonly Error[] } => {
    let hit = documents.get(query);
    if (!hit) {
      const document = parse(query);
      const errors = validate(SCHEMA, document);
      if (errors.length) return { errors };
      hit = { document, needs: needsOf(document) };
      documents.set(query, hit);
    }
    return hit;
  };

  const handle = async (body: { query: string; variables?: Record<string, unknown> }, authorization: string | undefined) => {
    const secret = authorization?.startsWith('Bearer ') ? authorization.slice(7) : '';
    const { rows: keys } = await pool.query({
      name: 'floor-key',
      text: `SELECT role, agency_id FROM api_keys WHERE secret_sha256 = $1 AND revoked_at IS NULL`,
      values: [createHash('sha256').update(secret).digest()],
    });
    if (!keys.length) return { status: 401, body: { errors: [{ message: 'Unauthenticated', extensions: { code: 'UNAUTHENTICATED' } }] } };
    const doc = cached(body.query);
    if ('errors' in doc) return { status: 400, body: { errors: doc.errors.map((e) => ({ message: e.message })) } };
    const rootValue = {
      agency: async ({ id, }: { id: string }, _ctx: unknown, info: { operation: unknown }) => {
        const uuid = decodeId(id, 'Agency');
        const key = keys[0];
        if (!uuid || (key.role !== 'PLATFORM_ADMIN' && !(key.role === 'AGENCY_ADMIN' && key.agency_id === uuid))) return null;
        const first = firstOf(info);
        const { rows } = await pool.query({
          name: `floor-agency-${doc.needs.wallet ? 'w' : ''}${doc.needs.usage ? 'u' : ''}${doc.needs.calls ? `c${doc.needs.calls}` : ''}`,
          text: statementFor(doc.needs),
          values: [uuid, first],
        });
        return rows[0] ? toAgency(rows[0]) : null;
      },
    };
    const result = await execute({ schema: SCHEMA, document: doc.document, rootValue, variableValues: body.variables });
    return { status: 200, body: result };
  };

  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      let parsed: { query: string; variables?: Record<string, unknown> };
      try {
        parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        response.writeHead(400).end();
        return;
      }
      handle(parsed, request.headers.authorization).then(
        ({ status, body }) => {
          const payload = JSON.stringify(body);
          response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }).end(payload);
        },
        (error) => {
          console.error(error);
          response.writeHead(500).end();
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    async close() {
      await new Promise((resolve) => server.close(resolve));
      await pool.end();
    },
  };
}

/** `first` of the document's `subAccounts` field (a literal or a variable), 20 when omitted as in the API. */
function firstOf(info: any): number {
  const field = (info.fieldNodes[0] as FieldNode).selectionSet?.selections.find(
    (s: any) => s.kind === 'Field' && s.name.value === 'subAccounts',
  ) as FieldNode | undefined;
  const arg = field?.arguments?.find((a) => a.name.value === 'first');
  if (!arg) return 20;
  if (arg.value.kind === 'IntValue') return Math.min(100, Number(arg.value.value));
  if (arg.value.kind === 'Variable') return Math.min(100, Number(info.variableValues[arg.value.name.value] ?? 20));
  return 20;
}

if (require.main === module) {
  process.once('message', (spec: { databaseUrl: string; poolSize: number }) => {
    startFloorServer(spec.databaseUrl, spec.poolSize).then(
      (server) => {
        process.send!({ port: server.port });
        process.once('disconnect', () => void server.close().then(() => process.exit(0)));
      },
      (error) => {
        console.error(error);
        process.exit(1);
      },
    );
  });
}

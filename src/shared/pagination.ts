import { badUserInput } from './refusal';

/** The most rows one page may ask for (`first`), and the page size when it asks for none. */
export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;

/** Relay's page info (the GraphQL type of the same shape is graphql/common.types' PageInfo). */
export interface PageInfo {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor: string | null;
  endCursor: string | null;
}

/**
 * Keyset pagination over (created_at, id): stable under inserts, O(page) at any depth.
 * Cursors are opaque base64url JSON of the last row's sort key.
 */
export interface Keyset {
  createdAt: Date;
  id: string;
}

export function encodeCursor(row: Keyset): string {
  return Buffer.from(JSON.stringify([row.createdAt.toISOString(), row.id]), 'utf8').toString('base64url');
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function decodeCursor(cursor: string | undefined | null): Keyset | undefined {
  if (cursor === undefined || cursor === null) return undefined;
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    const date = new Date(createdAt);
    // A full uuid and a plain date: the values go into SQL, where anything else is a server error.
    if (typeof createdAt !== 'string' || typeof id !== 'string' || !UUID.test(id) || Number.isNaN(date.getTime())) throw new Error();
    return { createdAt: date, id };
  } catch {
    throw badUserInput('`after` is not a cursor returned by this API', 'after');
  }
}

export function pageSize(first: number | undefined | null): number {
  if (first === undefined || first === null) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 0 || first > MAX_PAGE_SIZE) {
    throw badUserInput(`\`first\` must be between 0 and ${MAX_PAGE_SIZE}`, 'first');
  }
  return first;
}

export interface Page<T> {
  edges: Array<{ cursor: string; node: T }>;
  pageInfo: PageInfo;
  totalCount: number;
}

/**
 * An edge whose cursor is encoded when it is read: most pages are read without their
 * edges' cursors (a dashboard asks for `pageInfo.endCursor` at most), and encoding one is
 * a JSON and a base64 step per row.
 */
class KeysetEdge<T extends Keyset> {
  private encoded: string | undefined;
  constructor(readonly node: T) {}
  get cursor(): string {
    return (this.encoded ??= encodeCursor(this.node));
  }
}

/** Builds a connection from `limit + 1` fetched rows (the extra one only says whether there is a next page). */
export function toPage<T extends Keyset>(rows: T[], limit: number, totalCount: number, hadCursor: boolean): Page<T> {
  const edges: Array<KeysetEdge<T>> = [];
  for (let i = 0; i < rows.length && i < limit; i++) edges.push(new KeysetEdge(rows[i]));
  const first = edges[0];
  const last = edges[edges.length - 1];
  return {
    edges,
    totalCount,
    pageInfo: {
      hasNextPage: rows.length > limit,
      hasPreviousPage: hadCursor,
      get startCursor() {
        return first?.cursor ?? null;
      },
      get endCursor() {
        return last?.cursor ?? null;
      },
    },
  };
}

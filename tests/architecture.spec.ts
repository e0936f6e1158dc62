import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The layering rules of the README's architecture paragraph (and issue #12), checked on the import
 * statements of src/. Where the code does not follow a rule yet, the exceptions are listed
 * here by name: a new one fails the test, and so does a listed one that has gone (remove it
 * from the list), so the lists only ever shrink and always say what is left to do.
 */
const SRC = path.join(__dirname, '..', 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [full] : [];
  });
}

/** The files under src/ each file imports (relative imports only), as paths relative to src/. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/\bfrom '(\.{1,2}\/[^']+)'/g)].map(([, spec]) =>
    path.relative(SRC, path.resolve(path.dirname(file), spec)),
  );
}

const files = sourceFiles(SRC).map((file) => ({ file: path.relative(SRC, file), imports: importsOf(file), text: readFileSync(file, 'utf8') }));
const top = (relative: string) => relative.split(path.sep)[0];
const moduleOf = (relative: string) => (top(relative) === 'modules' ? relative.split(path.sep)[1] : undefined);

/** Fails for an exception that appeared, and for a listed one that is gone. */
function expectOnlyKnown(found: string[], known: readonly string[]): void {
  const sorted = [...new Set(found)].sort();
  expect({ new: sorted.filter((f) => !known.includes(f)), gone: known.filter((k) => !sorted.includes(k)) }).toEqual({ new: [], gone: [] });
}

describe('layering of src/', () => {
  it('should keep src/shared/ free of imports from the layers above it (db, graphql, modules)', () => {
    const offending = files
      .filter((f) => top(f.file) === 'shared')
      .flatMap((f) => f.imports.filter((i) => ['db', 'graphql', 'modules'].includes(top(i))).map((i) => `${f.file} → ${i}`));
    expect(offending).toEqual([]);
  });

  it('should let only resolvers, GraphQL types and transports under modules/ import from graphql/', () => {
    // Read-aheads are the resolver side too: they read the query (GraphQLResolveInfo) to prime the request's loaders.
    const GRAPHQL_FACING = /\.(resolver|type|types|route|loaders)\.ts$|-read-ahead\.ts$|\/(ws-server|socket-session|socket-registry|shared-execution|monitor-route)\.ts$/;
    const found = files
      .filter((f) => moduleOf(f.file) && !GRAPHQL_FACING.test(f.file) && f.imports.some((i) => top(i) === 'graphql'))
      .map((f) => f.file);
    expect(found).toEqual([]);
  });

  it('should have no new pair of modules importing each other (known cycles listed)', () => {
    const dependsOn = new Map<string, Set<string>>();
    for (const f of files) {
      const from = moduleOf(f.file);
      if (!from) continue;
      for (const i of f.imports) {
        const to = moduleOf(i);
        if (to && to !== from) dependsOn.set(from, (dependsOn.get(from) ?? new Set()).add(to));
      }
    }
    const cycles = [...dependsOn].flatMap(([a, targets]) => [...targets].filter((b) => a < b && dependsOn.get(b)?.has(a)).map((b) => `${a} <-> ${b}`));
    expectOnlyKnown(cycles, [
      'agency <-> auth',
      'agency <-> sub-account',
      'auth <-> sub-account',
      'sub-account <-> wallet',
    ]);
  });

  it('should keep SQL in repositories and loaders: no service or resolver queries the database itself', () => {
    // A statement, a TypeORM repository or query builder, or an EntityManager read or write; a transaction
    // boundary (`dataSource.transaction`) is the service's to draw, and is not SQL of its own.
    const RUNS_SQL = /\b(?:em|manager|dataSource)\.(?:query|find\w*|save|insert|update|delete|upsert|count|exists|increment)\(|\bgetRepository\(|\bcreateQueryBuilder\(|\bqueryPrepared\(/;
    const found = files
      .filter((f) => moduleOf(f.file) && /\.(service|resolver)\.ts$/.test(f.file) && RUNS_SQL.test(f.text))
      .map((f) => f.file);
    expect(found).toEqual([]);
  });
});

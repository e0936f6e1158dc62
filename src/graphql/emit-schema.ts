import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createSchema, printSortedSchema } from './schema';

/**
 * Writes schema/schema.graphql from the resolver classes. With `--check`, writes nothing
 * and exits 1 when the committed file differs (CI: the committed schema never drifts).
 */
async function main(): Promise<void> {
  const target = path.resolve(__dirname, '..', '..', '..', 'schema', 'schema.graphql');
  const sdl = printSortedSchema(await createSchema());
  if (process.argv.includes('--check')) {
    let committed = '';
    try {
      committed = readFileSync(target, 'utf8');
    } catch {
      /* missing counts as stale */
    }
    if (committed !== sdl) {
      console.error('schema/schema.graphql is stale: run `npm run schema:emit` and commit the result');
      process.exit(1);
    }
    console.log('schema/schema.graphql is up to date');
    return;
  }
  writeFileSync(target, sdl);
  console.log(`wrote ${path.relative(process.cwd(), target)}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

import 'reflect-metadata';
import { createDataSource } from './src/db/data-source';

/**
 * The data source the TypeORM CLI uses (`npx typeorm migration:run -d dist/ormconfig.js`).
 * The API applies migrations itself on start; this is for operators who run them apart.
 */
if (!process.env.DATABASE_URL) {
  throw new Error('DATABASE_URL must be set for the TypeORM CLI (the API starts its own embedded database without it)');
}
export default createDataSource(process.env.DATABASE_URL);

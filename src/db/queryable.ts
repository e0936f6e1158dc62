import type { EntityManager } from 'typeorm';

/** What a repository method needs to run its SQL: the DataSource, or the EntityManager of a transaction it joins. */
export type Queryable = Pick<EntityManager, 'query'>;

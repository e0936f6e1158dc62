import http from 'node:http';
import { postJson, runLoad, type LoadResult } from './harness';

/**
 * The read bench's load generator, in its own process (forked by read.ts) so that no server
 * shares its CPU: one GraphQL document posted from `concurrency` loops for `seconds`. An
 * answer counts only when it has data and no error (`expectEdges` edges on the page).
 */
export interface ReadLoadSpec {
  port: number;
  /** Bearer key; PostGraphile is driven without one. */
  key: string;
  query: string;
  variables: Record<string, unknown>;
  concurrency: number;
  seconds: number;
  expectEdges: number;
  /** Where the page's edges are in the answer (e.g. ['agency', 'subAccounts', 'edges']). */
  edgesPath: string[];
}

function edgesOf(data: unknown, path: string[]): unknown[] | undefined {
  let value: any = data;
  for (const step of path) value = value?.[step];
  return Array.isArray(value) ? value : undefined;
}

async function readLoad(spec: ReadLoadSpec): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: spec.concurrency });
  try {
    return await runLoad(spec.concurrency, spec.seconds, async () => {
      const answer = await postJson(agent, spec.port, spec.key, { query: spec.query, variables: spec.variables });
      return !answer.errors && edgesOf(answer.data, spec.edgesPath)?.length === spec.expectEdges;
    });
  } finally {
    agent.destroy();
  }
}

process.once('message', (spec: ReadLoadSpec) => {
  readLoad(spec).then(
    (result) => process.send!(result, () => process.exit(0)),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
});

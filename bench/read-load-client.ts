import http from 'node:http';
import { postJson, runLoad, runPacedLoad, type LoadResult } from './harness';

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
  /** A fixed overall rate (requests/s) instead of as fast as the loops go (runPacedLoad). */
  perSecond?: number;
}

function edgesOf(data: unknown, path: string[]): unknown[] | undefined {
  let value: any = data;
  for (const step of path) value = value?.[step];
  return Array.isArray(value) ? value : undefined;
}

async function readLoad(spec: ReadLoadSpec): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: spec.concurrency });
  try {
    const operation = async () => {
      const answer = await postJson(agent, spec.port, spec.key, { query: spec.query, variables: spec.variables });
      return !answer.errors && edgesOf(answer.data, spec.edgesPath)?.length === spec.expectEdges;
    };
    return spec.perSecond
      ? await runPacedLoad(spec.perSecond, spec.concurrency, spec.seconds, operation)
      : await runLoad(spec.concurrency, spec.seconds, operation);
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

import { Kind, parse, print, type DefinitionNode } from 'graphql';
import type { GraphiQLProps } from 'graphiql';
// The typed client documents (schema/operations), checked against the schema by codegen in
// `npm test`: the playground's examples cannot drift from the API.
import agencyOperations from '../../schema/operations/agency.graphql';
import authOperations from '../../schema/operations/auth.graphql';
import eventOperations from '../../schema/operations/events.graphql';
import transferOperations from '../../schema/operations/transfer.graphql';
import usageOperations from '../../schema/operations/usage.graphql';

type TabDefinition = NonNullable<GraphiQLProps['defaultTabs']>[number];

/** What the headers editor holds until a key is typed after "Bearer ". */
export const DEFAULT_HEADERS = JSON.stringify({ Authorization: 'Bearer ' }, null, 2);

const definitions: DefinitionNode[] = [agencyOperations, authOperations, eventOperations, transferOperations, usageOperations]
  .flatMap((source) => parse(source).definitions);

/** The named operations, with the fragments they spread, printed as one document. */
function pick(...names: string[]): string {
  const chosen = names.map((name) => {
    const found = definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION && d.name?.value === name);
    if (!found) throw new Error(`No operation ${name} in schema/operations`);
    return found;
  });
  const fragments = new Set<string>();
  for (const node of chosen) {
    const text = print(node);
    for (const match of text.matchAll(/\.\.\.(\w+)/g)) fragments.add(match[1]);
  }
  const fragmentNodes = definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION && fragments.has(d.name.value));
  return [...chosen, ...fragmentNodes].map((node) => print(node)).join('\n\n');
}

const tab = (intro: string, operations: string[], variables: Record<string, unknown>): TabDefinition => ({
  query: `${intro.split('\n').map((line) => `# ${line}`).join('\n')}\n\n${pick(...operations)}\n`,
  variables: JSON.stringify(variables, null, 2),
  headers: DEFAULT_HEADERS,
});

/** One tab per main flow of the API. */
export const EXAMPLE_TABS: TabDefinition[] = [
  tab(
    'Paste an API key after "Bearer " in the headers below, run Viewer, then put\nviewer.agency.id into the variables and run AgencyDashboard.',
    ['Viewer', 'AgencyDashboard'],
    { id: '<viewer.agency.id>', first: 10 },
  ),
  tab(
    'Minute transfer: quote it, then make it with expectedMinutesReceived = the quote\'s\nminutesReceived. The same idempotencyKey never moves money twice.',
    ['TransferQuote', 'TransferMinutes'],
    {
      input: {
        fromSubAccountId: '<a sub-account id>', toSubAccountId: '<another sub-account id>', tier: 'PREMIUM', minutes: '10',
        idempotencyKey: 'playground-transfer-1',
      },
    },
  ),
  tab(
    'The voice platform records a finished call (an AGENCY_ADMIN or USAGE_INGEST key).\nexternalCallId makes it idempotent.',
    ['RecordCallUsage'],
    {
      input: {
        subAccountId: '<a sub-account id>', externalCallId: 'playground-call-1', tier: 'PREMIUM', status: 'COMPLETED',
        startedAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), durationSeconds: 125,
      },
    },
  ),
  tab(
    'Live events over graphql-ws on this same URL, authenticated with the Authorization\nheader. Run one, then move money or record a call in another tab.',
    ['WalletBalanceChanged', 'UsageUpdated'],
    { agencyId: '<viewer.agency.id>' },
  ),
];

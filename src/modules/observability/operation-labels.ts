/** The label of an operation sent without a name. */
export const ANONYMOUS_OPERATION = 'anonymous';
/** The label of every name past the cap, and of names that are not plain GraphQL names. */
export const OTHER_OPERATION = 'other';
/** @default cap of distinct operation names a process labels. */
export const DEFAULT_OPERATION_LABELS = 100;

const GRAPHQL_NAME = /^[_A-Za-z][_0-9A-Za-z]{0,63}$/;

/**
 * Operation names as metric labels, bounded: clients choose operation names, so every new
 * name would otherwise be a new time series in every scrape for as long as the process
 * lives. The first `cap` distinct names are kept as they are; later ones, and names longer
 * than 64 characters, become `other`. Only authenticated operations reach it (a request that
 * fails authentication has no operation), so filling the cap takes a valid key, and costs
 * that tenant's own operations their names, not anyone's data.
 */
export class OperationLabels {
  private readonly names = new Set<string>();

  constructor(private readonly cap = DEFAULT_OPERATION_LABELS) {}

  label(name: string | null | undefined): string {
    if (name === null || name === undefined || name === '') return ANONYMOUS_OPERATION;
    if (this.names.has(name)) return name;
    if (!GRAPHQL_NAME.test(name) || this.names.size >= this.cap) return OTHER_OPERATION;
    this.names.add(name);
    return name;
  }
}

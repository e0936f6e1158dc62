import {
  createSourceEventStream, execute, getOperationAST, Kind, visit,
  type ASTNode, type DocumentNode, type ExecutionArgs, type ExecutionResult,
} from 'graphql';
import type { RequestContext } from '../../graphql/context';
import type { OutboxRow } from '../outbox/outbox.entity';
import type { StreamItem } from './event-stream';

/**
 * Results of one event's execution, per share key. Keyed on the row object: the hub reads
 * each committed row once and offers that same object to every stream, so the entry lives
 * exactly as long as some stream still holds the row.
 */
const sharedResults = new WeakMap<OutboxRow, Map<string, Promise<ExecutionResult>>>();

/**
 * graphql-ws's `subscribe`: graphql-js's `subscribe`, except that the execution of one
 * event's selection set is shared by every subscription that would compute the same result:
 * the same document, the same values of the variables the selection set reads, and the same
 * viewer identity (role, agency, sub-account: what every tenancy predicate in
 * `auth/access.ts` reads). With 10,000 dashboards on one agency an event is resolved once,
 * not 10,000 times. Each subscription still gets the event only after its own stream's
 * per-event authorization check (`EventStream.offer`), and the end of a stream (revocation,
 * removal) is executed per subscriber.
 *
 * The root field's own arguments (`agencyId`, `subAccountId`, `afterSequence`) choose the
 * stream at subscribe time and are not read again per event, so they are not part of the key:
 * a client resuming from its own `afterSequence` shares with the others.
 *
 * @default graphql-js `subscribe` semantics for anything but the per-event execution.
 */
export async function subscribeShared(args: ExecutionArgs): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
  const source = await createSourceEventStream(args);
  if (!isAsyncIterable(source)) return source;
  const key = shareKey(args);
  const iterator = (source as AsyncIterable<StreamItem>)[Symbol.asyncIterator]();
  const run = (item: StreamItem): Promise<ExecutionResult> => {
    if (!item.row || key === undefined) return executeEvent(args, item);
    let byKey = sharedResults.get(item.row);
    if (!byKey) sharedResults.set(item.row, (byKey = new Map()));
    let result = byKey.get(key);
    if (!result) byKey.set(key, (result = executeEvent(args, item)));
    return result;
  };
  // Not an async generator function: its return() would wait for the pending next(), which a
  // quiet stream never resolves, and a closed socket would leave its stream registered.
  const mapped: AsyncIterableIterator<ExecutionResult> = {
    async next() {
      const step = await iterator.next();
      if (step.done) return { value: undefined, done: true as const };
      return { value: await run(step.value), done: false as const };
    },
    async return() {
      await iterator.return?.();
      return { value: undefined, done: true as const };
    },
    async throw(error: unknown): Promise<IteratorResult<ExecutionResult>> {
      await iterator.return?.();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
  return mapped;
}

/** One event's execution, with fresh loaders (like one request): no stale balances across events. */
function executeEvent(args: ExecutionArgs, item: StreamItem): Promise<ExecutionResult> {
  const context = args.contextValue as RequestContext;
  const contextValue: RequestContext = { ...context, loaders: context.newLoaders() };
  return Promise.resolve(execute({ ...args, rootValue: item, contextValue }));
}

/** What makes two subscriptions' per-event results equal; undefined: do not share. */
function shareKey(args: ExecutionArgs): string | undefined {
  const body = args.document.loc?.source.body;
  const viewer = (args.contextValue as RequestContext | undefined)?.viewer;
  const names = perEventVariableNames(args.document, args.operationName ?? undefined);
  if (body === undefined || !viewer || !names) return undefined;
  const values = args.variableValues ?? {};
  const read = [...names].sort().map((name) => [name, values[name] ?? null]);
  return JSON.stringify([body, args.operationName ?? null, viewer.role, viewer.agencyId ?? null, viewer.subAccountId ?? null, read]);
}

/** The variables read anywhere but in the arguments of the operation's root fields. */
export function perEventVariableNames(document: DocumentNode, operationName: string | undefined): Set<string> | undefined {
  const operation = getOperationAST(document, operationName);
  if (!operation) return undefined;
  const names = new Set<string>();
  const collect = (node: ASTNode) => visit(node, { Variable: (variable) => void names.add(variable.name.value) });
  operation.directives?.forEach(collect);
  for (const selection of operation.selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      selection.directives?.forEach(collect);
      if (selection.selectionSet) collect(selection.selectionSet);
    } else collect(selection);
  }
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) collect(definition);
  }
  return names;
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof (value as AsyncIterable<unknown> | null)?.[Symbol.asyncIterator] === 'function';
}

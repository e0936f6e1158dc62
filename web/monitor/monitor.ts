import {
  MonitorActivityDocument, MonitorAgencyDocument, MonitorSubAccountDocument, ViewerDocument,
  type MonitorActivitySubscription, type MonitorAgencyQuery, type MonitorSubAccountQuery,
} from '../../schema/generated/operations';
import { ApiError, request } from './api';
import { SubAccountCard } from './cards';
import { CHART_WINDOW_MS } from './chart';
import type { CrossingKind } from './history';
import { openResumableStream, type LiveStatus } from './live';

type Activity = MonitorActivitySubscription['agencyActivity'];
type TransferNode = NonNullable<MonitorSubAccountQuery['subAccount']>['wallet']['transfers']['edges'][number]['node'];

/** Pages of 100 transfers read per sub-account for the chart (a busier hour starts later). */
const HISTORY_PAGES = 5;
/** Sub-accounts loaded at once. */
const LOAD_CONCURRENCY = 4;
const REDRAW_MS = 30_000;
const EVENTS_SHOWN = 20;
const CROSSINGS = new Set<string>(['LOW_BALANCE', 'BALANCE_DEPLETED', 'BALANCE_RECOVERED']);

export interface MonitorView {
  title: HTMLElement;
  cards: HTMLElement;
  events: HTMLOListElement;
  status(status: LiveStatus | { state: 'loading' | 'error'; message?: string }): void;
}

/** The sequence as shown: its two numbers without their padding ("#1234-56"). */
export const shortSequence = (sequence: string) => `#${sequence.split('-').map((part) => part.replace(/^0+(?=\d)/, '')).join('-')}`;

async function loadSubAccount(key: string, id: string): Promise<SubAccountCard | undefined> {
  const now = Date.now();
  const range = { from: new Date(now - CHART_WINDOW_MS).toISOString(), to: new Date(now + 60_000).toISOString() };
  const transfers: TransferNode[] = [];
  let first: NonNullable<MonitorSubAccountQuery['subAccount']> | undefined;
  let after: string | null = null;
  for (let page = 0; page < HISTORY_PAGES; page += 1) {
    const data: MonitorSubAccountQuery = await request(MonitorSubAccountDocument, { id, range, after }, key);
    if (!data.subAccount || data.subAccount.status !== 'ACTIVE') return undefined;
    first ??= data.subAccount;
    const connection = data.subAccount.wallet.transfers;
    transfers.push(...connection.edges.map((edge) => edge.node));
    if (!connection.pageInfo.hasNextPage) break;
    after = connection.pageInfo.endCursor;
  }
  return first && new SubAccountCard(id, first, transfers);
}

/**
 * Watches one agency: subscribes to agencyActivity first (events are kept while the page
 * loads), reads every active sub-account with its last hour of transfers, then applies the
 * kept events and the live ones. The key stays in this closure (and sessionStorage).
 */
export async function startMonitor(key: string, view: MonitorView): Promise<{ stop(): void }> {
  view.status({ state: 'loading' });
  const { viewer } = await request(ViewerDocument, {}, key);
  if (!viewer.agency || viewer.role !== 'AGENCY_ADMIN') {
    throw new ApiError(`This is a ${viewer.role} key; the monitor needs an AGENCY_ADMIN key (it watches one agency).`);
  }
  const agencyId = viewer.agency.id;
  view.title.textContent = viewer.agency.name;

  const cards = new Map<string, SubAccountCard>();
  const pending: Activity[] = [];
  let loaded = false;
  const stream = openResumableStream({
    document: MonitorActivityDocument,
    variables: { agencyId, afterSequence: null },
    key,
    sequenceOf: (data) => data.agencyActivity.sequence,
    onEvent: (data) => (loaded ? apply(data.agencyActivity) : pending.push(data.agencyActivity)),
    onStatus: (status) => view.status(status),
  });

  const show = (card: SubAccountCard) => {
    const existing = cards.get(card.id);
    if (existing) existing.element.replaceWith(card.element);
    else view.cards.append(card.element);
    cards.set(card.id, card);
  };
  const reload = async (id: string) => {
    const card = await loadSubAccount(key, id);
    if (card) show(card);
    else remove(id);
  };
  const remove = (id: string) => {
    cards.get(id)?.element.remove();
    cards.delete(id);
  };

  function apply(event: Activity): void {
    logEvent(view.events, event);
    const id = event.subAccount?.id;
    if (!id) return;
    if (event.type === 'SUB_ACCOUNT_ADDED' || event.type === 'SUB_ACCOUNT_RESTORED' || event.type === 'SUB_ACCOUNT_UPDATED') {
      void reload(id).catch(() => undefined);
      return;
    }
    if (event.type === 'SUB_ACCOUNT_REMOVED') return remove(id);
    const card = cards.get(id);
    if (!card) return;
    const at = Date.parse(event.occurredAt);
    const balance = event.balanceEvent;
    if (event.type === 'BALANCE_CHANGED' && balance) card.balanceChanged(at, balance.balance.amount, balance.transfer.id);
    else if (CROSSINGS.has(event.type) && balance) card.crossed(at, event.type as CrossingKind, balance.balance.amount, balance.transfer.id);
    else if (event.type === 'USAGE_RECORDED' && event.usageEvent) card.callRecorded(event.usageEvent.call, event.usageEvent.cycleMinutes);
    card.render(Date.now());
  }

  try {
    const ids: string[] = [];
    let after: string | null = null;
    for (;;) {
      const data: MonitorAgencyQuery = await request(MonitorAgencyDocument, { id: agencyId, first: 100, after }, key);
      if (!data.agency) throw new ApiError('The agency of this key was not found');
      ids.push(...data.agency.subAccounts.edges.map((edge) => edge.node.id));
      if (!data.agency.subAccounts.pageInfo.hasNextPage) break;
      after = data.agency.subAccounts.pageInfo.endCursor;
    }
    const queue = [...ids];
    const loadedCards = new Map<string, SubAccountCard>();
    await Promise.all(Array.from({ length: LOAD_CONCURRENCY }, async () => {
      for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
        const card = await loadSubAccount(key, id);
        if (card) loadedCards.set(id, card);
      }
    }));
    // In the agency's order (oldest first, the primary first), whatever order they loaded in.
    for (const id of ids) if (loadedCards.has(id)) show(loadedCards.get(id)!);
  } catch (error) {
    stream.stop();
    throw error;
  }
  loaded = true;
  view.cards.dataset.loaded = 'true';
  for (const event of pending.splice(0)) apply(event);

  // The chart's window slides even when nothing happens.
  const redraw = setInterval(() => cards.forEach((card) => card.render(Date.now())), REDRAW_MS);
  return {
    stop() {
      clearInterval(redraw);
      stream.stop();
      view.cards.replaceChildren();
      view.events.replaceChildren();
      delete view.cards.dataset.loaded;
    },
  };
}

function logEvent(list: HTMLOListElement, event: Activity): void {
  const item = document.createElement('li');
  item.dataset.sequence = event.sequence;
  item.textContent = `${shortSequence(event.sequence)} ${new Date(event.occurredAt).toLocaleTimeString()} ${event.type}`;
  list.prepend(item);
  while (list.children.length > EVENTS_SHOWN) list.lastElementChild!.remove();
}

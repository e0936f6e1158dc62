import type { MonitorCallFragment, MonitorSubAccountQuery } from '../../schema/generated/operations';
import { balanceHistory, crossingsOf, type BalancePoint, type Crossing, type CrossingKind } from './history';
import { formatDollars, toMicros } from './money';
import { renderChart } from './chart';

/** Latest calls shown per sub-account. */
const CALLS_SHOWN = 5;

type SubAccountData = NonNullable<MonitorSubAccountQuery['subAccount']>;
type TransferNode = SubAccountData['wallet']['transfers']['edges'][number]['node'];

function element<K extends keyof HTMLElementTagNameMap>(name: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(name);
  if (className) node.className = className;
  // textContent only: names are typed by agencies and never parsed as markup.
  if (text !== undefined) node.textContent = text;
  return node;
}

/**
 * One sub-account on the page: what was read at load, then moved by live events. A live
 * event already counted in what was read (same transfer or call) is skipped, so events
 * buffered while the page loaded apply once.
 */
export class SubAccountCard {
  readonly element: HTMLElement;
  private name: string;
  private readonly kind: string;
  private balanceMicros: bigint;
  private readonly thresholdMicros: bigint;
  private cycleMinutes: string;
  private points: BalancePoint[];
  private readonly crossings: Crossing[];
  private calls: MonitorCallFragment[];
  /** Transfers counted: read at load, or seen live. */
  private readonly transferIds: Set<string>;
  /** Transfers read at load, whose crossings were judged from the history. */
  private readonly loadedTransferIds: ReadonlySet<string>;

  constructor(readonly id: string, data: SubAccountData, transfers: readonly TransferNode[]) {
    this.name = data.name;
    this.kind = data.kind;
    this.balanceMicros = toMicros(data.wallet.balance.amount);
    this.thresholdMicros = toMicros(data.wallet.lowBalanceThreshold.amount);
    this.cycleMinutes = data.cycleUsage.totalMinutes;
    this.points = balanceHistory(data.wallet.id, this.balanceMicros, transfers);
    if (this.points.length === 0) this.points = [{ at: Date.now(), balanceMicros: this.balanceMicros }];
    this.crossings = crossingsOf(this.points, this.thresholdMicros);
    this.calls = data.calls.edges.map((edge) => edge.node);
    this.loadedTransferIds = new Set(transfers.map((transfer) => transfer.id));
    this.transferIds = new Set(this.loadedTransferIds);
    this.element = element('article', 'card');
    this.element.dataset.subAccountId = id;
    this.render(Date.now());
  }

  /** BALANCE_CHANGED: the balance right after a transfer. */
  balanceChanged(at: number, balance: string, transferId: string): void {
    if (this.transferIds.has(transferId)) return;
    this.transferIds.add(transferId);
    this.balanceMicros = toMicros(balance);
    this.points.push({ at, balanceMicros: this.balanceMicros, transferId });
  }

  /** LOW_BALANCE, BALANCE_DEPLETED, BALANCE_RECOVERED, as the server judged them. */
  crossed(at: number, kind: CrossingKind, balance: string, transferId: string): void {
    if (this.loadedTransferIds.has(transferId)) return;
    this.crossings.push({ at, kind, balanceMicros: toMicros(balance) });
  }

  /** USAGE_RECORDED: the call and the minutes of the current cycle after it. */
  callRecorded(call: MonitorCallFragment, cycleMinutes: string): void {
    if (this.calls.some((shown) => shown.id === call.id)) return;
    this.cycleMinutes = cycleMinutes;
    this.calls = [call, ...this.calls].slice(0, CALLS_SHOWN);
  }

  /** Forgets points older than the chart needs (the last one before the window stays). */
  render(now: number): void {
    const cutoff = now - 2 * 60 * 60 * 1000;
    while (this.points.length > 1 && this.points[1].at < cutoff) this.points.shift();
    const low = this.balanceMicros < this.thresholdMicros;

    const header = element('header');
    header.append(element('h2', undefined, this.name), element('span', 'kind', this.kind.toLowerCase()));
    const figures = element('dl');
    const figure = (label: string, value: string, className: string, title?: string) => {
      const dd = element('dd', className, value);
      if (title) dd.title = title;
      figures.append(element('dt', undefined, label), dd);
    };
    figure('Balance', formatDollars(this.balanceMicros), low ? 'balance low' : 'balance');
    figure('Threshold', formatDollars(this.thresholdMicros), 'threshold');
    figure('Minutes this cycle', this.cycleMinutes, 'cycle-minutes');

    const calls = element('ol', 'calls');
    for (const call of this.calls) {
      const item = element('li');
      item.dataset.callId = call.id;
      item.append(
        element('span', 'call-id', call.externalCallId),
        element('span', 'call-detail', `${call.tier.toLowerCase()} · ${call.status.toLowerCase()} · ${call.durationSeconds}s`),
        element('span', 'call-cost', formatDollars(toMicros(call.cost.amount))),
      );
      calls.append(item);
    }
    if (this.calls.length === 0) calls.append(element('li', 'empty', 'No calls yet'));

    this.element.classList.toggle('is-low', low);
    this.element.replaceChildren(header, figures, renderChart(this.points, this.crossings, this.thresholdMicros, now), element('h3', undefined, 'Latest calls'), calls);
  }
}

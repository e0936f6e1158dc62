import { pointsInWindow, type BalancePoint, type Crossing } from './history';
import { dollarsForChart, formatDollars } from './money';

const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 320;
const HEIGHT = 90;
const PAD = 4;
/** The chart's window: the last hour. */
export const CHART_WINDOW_MS = 60 * 60 * 1000;
const MIN_SPAN_MS = 60 * 1000;

function svg<K extends keyof SVGElementTagNameMap>(name: K, attributes: Record<string, string | number>, title?: string): SVGElementTagNameMap[K] {
  const element = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
  if (title) element.appendChild(document.createElementNS(SVG, 'title')).textContent = title;
  return element;
}

/**
 * The balance over the last hour as inline SVG (no chart library, nothing but attributes,
 * so the page runs under style-src 'self'): a step line (a balance holds until the next
 * transfer), the threshold as a dashed line, zero as a faint one, and one marker per
 * threshold crossing (`data-kind` LOW_BALANCE, BALANCE_DEPLETED or BALANCE_RECOVERED).
 */
export function renderChart(points: readonly BalancePoint[], crossings: readonly Crossing[], thresholdMicros: bigint, now: number): SVGSVGElement {
  // The last hour, or less while the history is younger (a new sub-account, a fresh demo):
  // from its first point, at least one minute, so its steps are not squeezed into the right edge.
  const from = Math.max(now - CHART_WINDOW_MS, Math.min(points[0]?.at ?? now, now - MIN_SPAN_MS));
  const spanMs = now - from;
  const shown = pointsInWindow(points, from);
  const marks = crossings.filter((crossing) => crossing.at >= from);
  const values = [...shown.map((p) => dollarsForChart(p.balanceMicros)), dollarsForChart(thresholdMicros), 0];
  const min = Math.min(...values);
  const max = Math.max(...values);
  const span = max - min || 1;
  const x = (at: number) => PAD + ((Math.max(at, from) - from) / spanMs) * (WIDTH - 2 * PAD);
  const y = (micros: bigint) => PAD + ((max - dollarsForChart(micros)) / span) * (HEIGHT - 2 * PAD);

  const root = svg('svg', { class: 'chart', viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'img', 'aria-label': 'Balance over the last hour' });
  const label = svg('text', { class: 'span-label', x: PAD + 2, y: PAD + 9 });
  label.textContent = `last ${Math.max(1, Math.round(spanMs / 60_000))} min`;
  root.appendChild(label);
  root.appendChild(svg('line', { class: 'zero-line', x1: PAD, x2: WIDTH - PAD, y1: y(0n), y2: y(0n) }));
  root.appendChild(svg('line', { class: 'threshold-line', x1: PAD, x2: WIDTH - PAD, y1: y(thresholdMicros), y2: y(thresholdMicros) },
    `Low-balance threshold ${formatDollars(thresholdMicros)}`));
  if (shown.length > 0) {
    let path = `M ${x(shown[0].at).toFixed(1)} ${y(shown[0].balanceMicros).toFixed(1)}`;
    for (const point of shown.slice(1)) path += ` H ${x(point.at).toFixed(1)} V ${y(point.balanceMicros).toFixed(1)}`;
    path += ` H ${x(now).toFixed(1)}`;
    root.appendChild(svg('path', { class: 'balance-line', d: path }));
  }
  for (const mark of marks) {
    root.appendChild(svg('circle', { class: `marker ${mark.kind.toLowerCase()}`, 'data-kind': mark.kind, cx: x(mark.at), cy: y(mark.balanceMicros), r: 4 },
      `${mark.kind} at ${new Date(mark.at).toLocaleTimeString()}: ${formatDollars(mark.balanceMicros)}`));
  }
  return root;
}

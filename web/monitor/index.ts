import './monitor.css';
import { startMonitor, shortSequence, type MonitorView } from './monitor';
import type { LiveStatus } from './live';

/** Only for this tab's session: gone when the tab closes, never in localStorage or a cookie. */
const KEY_STORAGE = 'voice-minutes-monitor-key';

const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const form = byId<HTMLFormElement>('key-form');
const input = byId<HTMLInputElement>('api-key');
const forget = byId<HTMLButtonElement>('forget-key');
const statusLine = byId<HTMLElement>('status');

let lastResume = '';
function showStatus(status: LiveStatus | { state: 'loading' | 'error' | 'idle'; message?: string }): void {
  statusLine.dataset.state = status.state;
  switch (status.state) {
    case 'idle': statusLine.textContent = 'Paste an AGENCY_ADMIN key to watch its agency live.'; break;
    case 'loading': statusLine.textContent = 'Loading…'; break;
    case 'connecting': statusLine.textContent = 'Connecting…'; break;
    case 'live':
      if (status.resumedFrom) lastResume = `reconnected, resumed from ${shortSequence(status.resumedFrom)}`;
      statusLine.textContent = lastResume ? `Live · ${lastResume}` : 'Live';
      if (status.resumedFrom) statusLine.dataset.resumedFrom = status.resumedFrom;
      break;
    case 'lost': statusLine.textContent = `Connection lost (${status.reason}); retrying in ${Math.ceil(status.retryInMs / 1000)} s…`; break;
    case 'refused': statusLine.textContent = `Stopped: ${status.reason}`; break;
    case 'error': statusLine.textContent = `Error: ${status.message ?? 'unknown'}`; break;
  }
}

const view: MonitorView = {
  title: byId('agency-name'),
  cards: byId('cards'),
  events: byId<HTMLOListElement>('events'),
  status: showStatus,
};

let running: { stop(): void } | undefined;
async function watch(key: string): Promise<void> {
  running?.stop();
  running = undefined;
  lastResume = '';
  try {
    running = await startMonitor(key, view);
    sessionStorage.setItem(KEY_STORAGE, key);
  } catch (error) {
    showStatus({ state: 'error', message: (error as Error).message });
  }
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const key = input.value.trim().replace(/^Bearer\s+/i, '');
  input.value = '';
  if (key) void watch(key);
});
forget.addEventListener('click', () => {
  sessionStorage.removeItem(KEY_STORAGE);
  running?.stop();
  running = undefined;
  view.title.textContent = '';
  showStatus({ state: 'idle' });
});

const saved = sessionStorage.getItem(KEY_STORAGE);
if (saved) void watch(saved);
else showStatus({ state: 'idle' });

import type { Viewer } from '../modules/auth/role';
import type { Loaders } from './loaders';
import type { Services } from './services';
import type { EventHub } from '../modules/events/event-hub';

/** What every resolver receives: who is calling, per-request loaders, the services. */
export interface RequestContext {
  viewer: Viewer;
  loaders: Loaders;
  services: Services;
  /** The process's event hub: set on WebSocket connections (subscriptions) only. */
  events?: EventHub;
}

import type { Viewer } from '../modules/auth/role';
import type { Loaders } from './loaders';
import type { Services } from './services';
import type { EventHub } from '../modules/events/event-hub';
import type { Logger } from '../shared/logger';

/** What every resolver receives: who is calling, per-request loaders, the services. */
export interface RequestContext {
  viewer: Viewer;
  loaders: Loaders;
  services: Services;
  /** The request's id (HTTP: x-request-id or generated; WebSocket: one per operation), in its errors and log lines. */
  requestId: string;
  /** The process's logger bound to this request's id. */
  logger: Logger;
  /** The process's event hub: set on WebSocket connections (subscriptions) only. */
  events?: EventHub;
  /** A fresh set of loaders (the one factory, server.ts): each subscription event executes with its own, like a request. */
  newLoaders: () => Loaders;
}

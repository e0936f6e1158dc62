import type { Viewer } from '../modules/auth/role';
import type { Loaders } from './loaders';
import type { Services } from './services';

/** What every resolver receives: who is calling, per-request loaders, the services. */
export interface RequestContext {
  viewer: Viewer;
  loaders: Loaders;
  services: Services;
}

// undici's Pool without the rest of undici. Its index loads every dispatcher,
// fetch, WebSocket, EventSource, the cache stores and the mock agents, none of
// which the sidecar uses: loaded alone, the index took the process from 40 to
// 61 MB resident and Pool with the request API to 51 MB. undici's package has
// no exports map, so these paths are importable; undici-pool.test.ts checks they
// are still the classes the index exports, so an upgrade that moves them fails
// there and not in a pod.
import { createRequire } from 'node:module';
import type * as Undici from 'undici';

const load = createRequire(import.meta.url);

export const Pool = load('undici/lib/dispatcher/pool.js') as typeof Undici.Pool;
export type Pool = Undici.Pool;

// The index adds request(), stream(), pipeline()… to every dispatcher this way;
// the mirror sender (mirror-sender.ts) uses request().
const Dispatcher = load('undici/lib/dispatcher/dispatcher.js') as { prototype: object };
if (!('request' in Dispatcher.prototype)) {
  Object.assign(Dispatcher.prototype, load('undici/lib/api/index.js') as object);
}

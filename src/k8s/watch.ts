// A watch that keeps going: wraps client-node's informer, restarts it after an
// error with a delay, reports each object added, changed or deleted, and can hand
// every cached object to the handler again periodically, so a missed event or a
// failed write is retried rather than forgotten (controller-runtime's resync).
import { CoreV1Api, makeInformer } from '@kubernetes/client-node';
import type {
  KubeConfig,
  KubernetesListObject,
  KubernetesObject,
  V1Namespace,
} from '@kubernetes/client-node';
import type { Logger } from '../log.js';

export interface Watch {
  /** True once a list has succeeded: until then the handler has seen nothing. */
  listed(): boolean;
  /**
   * Since when (ms since the epoch) the watch has been failing: it errored and no list
   * has succeeded since. Undefined while healthy. The cache keeps its last objects.
   */
  failingSince(): number | undefined;
  stop(): Promise<void>;
}

export interface WatchOptions<T extends KubernetesObject> {
  readonly kc: KubeConfig;
  /** The collection's API path, e.g. /api/v1/namespaces. */
  readonly path: string;
  readonly list: () => Promise<KubernetesListObject<T>>;
  readonly onObject: (obj: T) => void;
  readonly onDelete?: (obj: T) => void;
  /** Called after every successful list (the first, and each after a restart). */
  readonly onListed?: () => void;
  /** Called when the watch starts failing (false) and when a list succeeds again (true). */
  readonly onHealth?: (healthy: boolean) => void;
  /** Calls onObject for every cached object this often. */
  readonly resyncMs?: number;
  readonly log: Logger;
}

export async function watchObjects<T extends KubernetesObject>({
  kc,
  path,
  list,
  onObject,
  onDelete,
  onListed,
  onHealth,
  resyncMs,
  log,
}: WatchOptions<T>): Promise<Watch> {
  // client-node's informer reports a failed list as an 'error' and its start() still
  // resolves; a consumer that must not act on a half-known world asks listed().
  let listedOnce = false;
  let failingSince: number | undefined;
  const informer = makeInformer(kc, path, async () => {
    const result = await list();
    listedOnce = true;
    if (failingSince !== undefined) onHealth?.(true);
    failingSince = undefined;
    // After the informer has stored the items (it does so once this resolves).
    if (onListed) queueMicrotask(onListed);
    return result;
  });
  let stopped = false;
  informer.on('add', onObject);
  informer.on('update', onObject);
  if (onDelete) informer.on('delete', onDelete);
  informer.on('error', (err) => {
    if (stopped) return;
    if (failingSince === undefined) onHealth?.(false);
    failingSince ??= Date.now();
    log.warn('watch failed; relisting in 3s', { path, err });
    setTimeout(() => {
      if (stopped) return;
      // Relist, not only re-watch from the last resourceVersion: a watch that resumes
      // quietly (no events) would never show that the kind is readable again, while a
      // list that succeeds does, and also replaces whatever the gap made stale.
      forgetResourceVersion(informer);
      informer.start().catch(() => undefined);
    }, 3000).unref();
  });
  await informer.start();
  const resync = resyncMs
    ? setInterval(() => {
        for (const obj of informer.list()) onObject(obj);
      }, resyncMs).unref()
    : undefined;
  return {
    listed: () => listedOnce,
    failingSince: () => failingSince,
    stop: async (): Promise<void> => {
      stopped = true;
      if (resync) clearInterval(resync);
      await informer.stop();
    },
  };
}

/**
 * client-node's ListWatch resumes from its last resourceVersion after an error and
 * relists only on 410 Gone; an empty one makes its next start() list first.
 */
function forgetResourceVersion(informer: object): void {
  (informer as { resourceVersion?: string }).resourceVersion = '';
}

/** Every namespace, watched: the CA (trust bundles) and the webhook (labels) both need it. */
export function watchNamespaces(
  opts: Omit<WatchOptions<V1Namespace>, 'path' | 'list'>,
): Promise<Watch> {
  const core = opts.kc.makeApiClient(CoreV1Api);
  return watchObjects<V1Namespace>({
    ...opts,
    path: '/api/v1/namespaces',
    list: () => core.listNamespace(),
  });
}

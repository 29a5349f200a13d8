// The sidecar's two small servers. Admin (127.0.0.1:15000, for people on the pod):
// readiness, Prometheus stats, the config in force (also as /debug/view, with the
// stream's state, for `kubectl weft config`), the certificate, drain and
// /quitquitquit. Health (:15020, for the kubelet and Prometheus): readiness, stats
// and the app's rewritten probes. Both on node:http (admin-router.ts), not Express.
import type http from 'node:http';
import type { Registry } from 'prom-client';
import type { Probers } from '../src/app-probes.js';
import { limitLogger } from '../src/log-limit.js';
import type { Logger } from '../src/log.js';
import type { SidecarDiscoveryStatus } from '../src/debug/sidecar-view.js';
import { SIDECAR_VIEW_PATH } from '../src/debug/sidecar-view.js';
import type { MeshIndex } from '../src/mesh/mesh-index.js';
import type { Reply, Route } from './admin-router.js';
import { json, router, text } from './admin-router.js';
import { runProbe } from './app-health.js';
import type { Credentials } from './credentials.js';
import { sidecarView } from './debug-view.js';

export interface AdminDeps {
  readonly registry: Registry;
  readonly log: Logger;
  readonly ready: () => string | undefined;
  readonly creds: Credentials;
  readonly mesh: () => MeshIndex;
  /** The discovery stream's state; undefined when the view comes from a mesh file. */
  readonly discovery?: () => SidecarDiscoveryStatus;
  readonly drain: () => void;
  readonly quit: () => void;
  readonly probers: Probers;
  /** Where probes without a host go, as the kubelet sends them: the pod's IP. */
  readonly podIp: string;
}

/**
 * The log for a server a peer can reach (15020): warn and error lines are
 * rate-limited by error code, since their text carries the request's path.
 */
const codeOf = (fields: Record<string, unknown>): string | undefined =>
  typeof fields.code === 'string' ? fields.code : undefined;

function peerFacing(log: Logger): Logger {
  const limited = limitLogger(log);
  const keyed =
    (level: 'warn' | 'error') =>
    (msg: string, fields: Record<string, unknown> = {}): void =>
      limited.log(level, msg, fields, `${level}|${codeOf(fields) ?? msg}`);
  return { ...log, warn: keyed('warn'), error: keyed('error') };
}

const BODY_LIMIT_BYTES = 1024;
/** The probes the shared server shell answers before it reads a body (src/http/app.ts). */
const PROBES = ['GET /healthz', 'GET /readyz', 'GET /metrics'];

/** What every weft server answers (src/http/app.ts), and the sidecar's stats and readiness. */
function base(deps: AdminDeps): Record<string, Route> {
  const stats = async (): Promise<Reply> => ({
    status: 200,
    type: deps.registry.contentType,
    body: await deps.registry.metrics(),
  });
  const ready = (): Reply => {
    const reason = deps.ready();
    return text(reason ? 503 : 200, reason ? `${reason}\n` : 'LIVE\n');
  };
  return {
    'GET /healthz': () => text(200, 'ok\n'),
    'GET /readyz': () => {
      const reason = deps.ready();
      return text(reason ? 503 : 200, reason ? `not ready: ${reason}\n` : 'ok\n');
    },
    'GET /metrics': stats,
    'GET /stats/prometheus': stats,
    'GET /ready': ready,
    'GET /healthz/ready': ready,
  };
}

export function adminApp(deps: AdminDeps): http.RequestListener {
  const routes: Record<string, Route> = {
    ...base(deps),
    'GET /config_dump': () => json(deps.mesh().config),
    // The view in force, for `kubectl weft config` (read-only; no key, no chain).
    [`GET ${SIDECAR_VIEW_PATH.toLowerCase()}`]: () => json(sidecarView(deps)),
    'GET /certs': () => {
      const c = deps.creds.certificate();
      return json(
        c
          ? {
              spiffeId: c.spiffeId,
              serial: c.serial,
              notBefore: c.notBefore.toISOString(),
              notAfter: c.notAfter.toISOString(),
              chain: c.certChainPem,
            }
          : { spiffeId: null },
      );
    },
    'POST /drain': () => {
      deps.drain();
      return text(200, 'draining\n');
    },
    'POST /quitquitquit': () => {
      // Once the answer is written (quitting ends with this server closed).
      setImmediate(() => deps.quit());
      return text(200, 'exiting\n');
    },
  };
  return router({
    routes,
    bodyless: new Set(PROBES),
    bodyLimitBytes: BODY_LIMIT_BYTES,
    log: deps.log,
  });
}

export function healthApp(deps: AdminDeps): http.RequestListener {
  return router({
    routes: base(deps),
    bodyless: new Set(PROBES),
    // The app's probes as rewritten by the injector: /app-health/<container>/<kind>.
    fallback: async (req) => {
      const path = (req.url ?? '/').split('?')[0]!;
      const prober = req.method === 'GET' || req.method === 'HEAD' ? deps.probers[path] : undefined;
      if (!prober) return undefined;
      const status = await runProbe(prober, deps.podIp);
      return text(status, `${status}\n`);
    },
    bodyLimitBytes: BODY_LIMIT_BYTES,
    log: peerFacing(deps.log),
  });
}

// The sidecar's two small servers. Admin (127.0.0.1:15000, for people on the pod):
// readiness, Prometheus stats, the config in force (also as /debug/view, with the
// stream's state, for `kubectl weft config`), the certificate, drain and /quitquitquit. Health (:15020, for the kubelet and Prometheus): readiness, stats
// and the app's rewritten probes.
import type { Express, RequestHandler } from 'express';
import type { Registry } from 'prom-client';
import type { Probers } from '../src/app-probes.js';
import { createApp, finishApp } from '../src/http/app.js';
import { limitLogger } from '../src/log-limit.js';
import type { Logger } from '../src/log.js';
import type { SidecarDiscoveryStatus } from '../src/debug/sidecar-view.js';
import { SIDECAR_VIEW_PATH } from '../src/debug/sidecar-view.js';
import type { MeshIndex } from '../src/mesh/mesh-index.js';
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

function base(deps: AdminDeps, log: Logger): Express {
  const app = createApp({
    registry: deps.registry,
    log,
    ready: deps.ready,
    bodyLimitBytes: 1024,
  });
  const stats: RequestHandler = (_req, res, next) => {
    deps.registry.metrics().then((text) => {
      res.type(deps.registry.contentType).send(text);
    }, next);
  };
  const ready: RequestHandler = (_req, res) => {
    const reason = deps.ready();
    res
      .status(reason ? 503 : 200)
      .type('text/plain')
      .send(reason ? `${reason}\n` : 'LIVE\n');
  };
  app.get('/stats/prometheus', stats);
  app.get('/ready', ready);
  app.get('/healthz/ready', ready);
  return app;
}

export function adminApp(deps: AdminDeps): Express {
  const app = base(deps, deps.log);
  app.get('/config_dump', (_req, res) => {
    res.json(deps.mesh().config);
  });
  // The view in force, for `kubectl weft config` (read-only; no key, no chain).
  app.get(SIDECAR_VIEW_PATH, (_req, res) => {
    res.json(sidecarView(deps));
  });
  app.get('/certs', (_req, res) => {
    const c = deps.creds.certificate();
    res.json(
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
  });
  app.post('/drain', (_req, res) => {
    deps.drain();
    res.type('text/plain').send('draining\n');
  });
  app.post('/quitquitquit', (_req, res) => {
    res.type('text/plain').send('exiting\n');
    deps.quit();
  });
  finishApp(app, deps.log);
  return app;
}

export function healthApp(deps: AdminDeps): Express {
  const log = peerFacing(deps.log);
  const app = base(deps, log);
  app.get('/app-health/:container/:kind', (req, res, next) => {
    const prober = deps.probers[req.path];
    if (!prober) return next();
    void runProbe(prober, deps.podIp).then((status) => {
      res.status(status).type('text/plain').send(`${status}\n`);
    });
  });
  finishApp(app, log);
  return app;
}

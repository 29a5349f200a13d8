// The sidecar's two small servers. Admin (127.0.0.1:15000, for people on the pod):
// readiness, Prometheus stats, the config in force, the certificate, drain and
// /quitquitquit. Health (:15020, for the kubelet and Prometheus): readiness, stats
// and the app's rewritten probes.
import type { Express, RequestHandler } from 'express';
import type { Registry } from 'prom-client';
import type { Probers } from '../src/app-probes.js';
import { createApp, finishApp } from '../src/http/app.js';
import type { Logger } from '../src/log.js';
import type { MeshIndex } from '../src/mesh/mesh-index.js';
import { runProbe } from './app-health.js';
import type { Credentials } from './credentials.js';

export interface AdminDeps {
  readonly registry: Registry;
  readonly log: Logger;
  readonly ready: () => string | undefined;
  readonly creds: Credentials;
  readonly mesh: () => MeshIndex;
  readonly drain: () => void;
  readonly quit: () => void;
  readonly probers: Probers;
}

function base(deps: AdminDeps): Express {
  const app = createApp({
    registry: deps.registry,
    log: deps.log,
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
  const app = base(deps);
  app.get('/config_dump', (_req, res) => {
    res.json(deps.mesh().config);
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
  const app = base(deps);
  app.get('/app-health/:container/:kind', (req, res, next) => {
    const prober = deps.probers[req.path];
    if (!prober) return next();
    void runProbe(prober).then((status) => {
      res.status(status).type('text/plain').send(`${status}\n`);
    });
  });
  finishApp(app, deps.log);
  return app;
}

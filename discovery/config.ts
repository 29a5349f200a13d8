// `weft discovery` configuration (also the discovery part of `weft control-plane`):
// validated once, at start-up, by a schema.
import { z } from 'zod';
import { boolFlag, hostPort, logLevel, positiveInt, trustDomain } from '../src/config/fields.js';
import type { FlagSpec } from '../src/config/parse.js';
import { DEFAULT_TRUST_DOMAIN, DISCOVERY_PORT, WEFT_NAMESPACE } from '../src/names.js';

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|localhost)$/;
/** Health and metrics of `weft discovery` alone (15021, the port Istio probes for health; 15014 is the loopback debug port). */
export const DISCOVERY_HEALTH_PORT = 15021;

export const discoveryFlags: FlagSpec = {
  listen: {},
  'debug-listen': {},
  kubeconfig: {},
  'trust-domain': {},
  'root-namespace': {},
  'debounce-ms': {},
  'debounce-max-ms': {},
  'push-batch': {},
  'ping-interval-ms': {},
  'ping-deadline-ms': {},
  'watch-grace-ms': {},
  'gateway-api-poll-ms': {},
  'require-reference-grant': { boolean: true },
  'health-listen': {},
  'tls-reload-ms': {},
  'log-level': {},
  'tls-cert': {},
  'tls-key': {},
  roots: {},
};

export const DiscoveryConfigSchema = z
  .strictObject({
    listen: hostPort.default({ host: '0.0.0.0', port: DISCOVERY_PORT }),
    /**
     * The debug endpoint (/debug/syncz). Loopback only: it names every connected pod and
     * what it was sent, so no pod of the mesh may reach it; `kubectl weft proxy-status`
     * comes in through the API server's port-forward. Default 127.0.0.1:15014, or port 0
     * (any free one) when --listen asks for port 0, as tests do.
     */
    debugListen: hostPort
      .refine((v) => LOOPBACK.test(v.host), {
        message: 'must be a loopback address (127.0.0.1, ::1): reach it with kubectl port-forward',
      })
      .optional(),
    kubeconfig: z.string().optional(),
    trustDomain: trustDomain.default(DEFAULT_TRUST_DOMAIN),
    /** Where a selector-less PeerAuthentication is mesh-wide (Istio's root namespace). */
    rootNamespace: z.string().min(1).default(WEFT_NAMESPACE),
    /** Quiet time after the last change before a push (Istio's PILOT_DEBOUNCE_AFTER). */
    debounceMs: positiveInt(60_000).default(100),
    /** Longest a change waits under continuous churn (Istio's PILOT_DEBOUNCE_MAX). */
    debounceMaxMs: positiveInt(600_000).default(10_000),
    /** Sidecars pushed to before the event loop is yielded, so a push cannot starve anything. */
    pushBatch: positiveInt(100_000).default(64),
    /** Keepalive PING to each sidecar's connection this often… */
    pingIntervalMs: positiveInt(3_600_000).default(10_000),
    /**
     * …and a connection whose answer takes longer is closed (a frozen or vanished peer).
     * 20 s, gRPC's keepalive timeout: a sidecar parsing a 1000-service snapshot on a small
     * CPU limit answers late, and at 5 s the discovery bench's busy sidecars were cut and
     * reconnected into a storm.
     */
    pingDeadlineMs: positiveInt(600_000).default(20_000),
    /**
     * A watch failing this long (and its relists) makes the replica not ready; its last
     * view is still served. Shorter blips (an API server restart) keep it ready.
     */
    watchGraceMs: positiveInt(3_600_000).default(30_000),
    /**
     * How often discovery asks whether the Gateway API CRDs are installed (or removed),
     * so routes start without a restart. The CRDs are optional (docs/routing.md).
     */
    gatewayApiPollMs: positiveInt(3_600_000).default(30_000),
    /**
     * Whether a mesh route (a Service parent) needs a ReferenceGrant to send to a
     * Service in another namespace. Off by default, as GEP-1294 specifies and Istio
     * does: a mesh route only re-points calls its clients could make anyway, and
     * AuthorizationPolicy at the backend still decides. On, the backend's namespace
     * must consent: RefNotPermitted in status, and the sidecars answer 500 for that
     * backend's share (docs/routing.md).
     */
    requireReferenceGrant: boolFlag.default(false),
    /** `weft discovery` alone: /healthz, /readyz and /metrics over plain HTTP (15021). */
    healthListen: hostPort.default({ host: '0.0.0.0', port: DISCOVERY_HEALTH_PORT }),
    /** `weft discovery` alone: how often the PEM files are checked for a new version. */
    tlsReloadMs: positiveInt(3_600_000).default(5_000),
    logLevel: logLevel.default('info'),
    /** `weft discovery` alone: its serving certificate (the control plane's SPIFFE ID)… */
    tlsCert: z.string().min(1).optional(),
    /** …its key, and the mesh's roots client certificates must chain to (PEM files). */
    tlsKey: z.string().min(1).optional(),
    roots: z.string().min(1).optional(),
  })
  .refine((c) => c.debounceMs <= c.debounceMaxMs, {
    message: 'must not exceed --debounce-max-ms',
    path: ['debounceMs'],
  });

export type DiscoveryConfig = z.infer<typeof DiscoveryConfigSchema>;

// Assembles `weft ca`: load or create the key material, serve the issuing API,
// keep trust bundles current, sign Kubernetes CSRs, and reload when the CA Secret
// changes (a root rotation), all on one config validated at start-up.
import {
  AuthenticationV1Api,
  CertificatesV1Api,
  CoreV1Api,
  CustomObjectsApi,
} from '@kubernetes/client-node';
import type { Registry } from 'prom-client';
import { createApp, finishApp } from '../src/http/app.js';
import { listenHttps } from '../src/http/serve.js';
import type { Running } from '../src/http/serve.js';
import { loadKubeConfig } from '../src/k8s/client.js';
import type { Logger } from '../src/log.js';
import { limitLogger } from '../src/log-limit.js';
import { joinPem } from '../src/pki/index.js';
import type { Authority, IssuePolicy } from './authority.js';
import { apiFailure, isConflict } from '../src/k8s/client.js';
import type { LimitedLogger } from '../src/log-limit.js';
import { rootOf, systemClock } from './authority.js';
import type { Clock } from './authority.js';
import type { CaSecretRef } from './ca-store.js';
import {
  decodeSecret,
  encodeSecretData,
  loadMaterial,
  loadOrCreateMaterial,
  readCaSecret,
} from './ca-store.js';
import type { Material } from './ca-material.js';
import { issuerNeedsRenewal, renewIssuer } from './issuer-renewal.js';
import type { CaMetrics } from './metrics.js';
import { RateLimiter } from './rate-limit.js';
import type { CaConfig } from './config.js';
import { CsrSigner } from './csr-signer.js';
import { IssuanceRecorder } from './issuance-records.js';
import { createCaMetrics } from './metrics.js';
import { addCaRoutes } from './routes.js';
import { issueServingCertificate } from './serving-cert.js';
import { TokenReviewer } from './token-review.js';
import { TrustBundles } from './trust-bundles.js';

export interface RunningCa {
  readonly port: number;
  /** The roots a client should trust to reach this CA (and every workload). */
  roots(): string;
  authority(): Authority;
  stop(): Promise<void>;
}

const LOOPBACK = /^(127\.|::1$|localhost$)/;

/** Races `work` against a deadline; past it, gives up waiting (shutdown must end). */
async function within(ms: number, work: Promise<unknown>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    work,
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]);
  clearTimeout(timer);
}

interface RenewDeps {
  readonly core: CoreV1Api;
  readonly ref: CaSecretRef;
  readonly trustDomain: string;
  readonly clock: Clock;
  readonly metrics: CaMetrics;
  readonly log: Logger;
  /** Warns about an offline-root issuer nearing expiry, at most hourly. */
  readonly nag: LimitedLogger;
}

/**
 * Online root: renews the intermediate in the CA Secret once it nears expiry (every
 * replica may try; optimistic concurrency lets one win, the rest reload its keys).
 * Offline root: says, hourly, that an admin must run `weft ca renew-issuer`.
 */
async function renewIfDue(deps: RenewDeps, material: Material): Promise<boolean> {
  const { issuer } = material.authority;
  if (!issuerNeedsRenewal(issuer, deps.clock.now())) return false;
  deps.metrics.issuerRenewalDue.set(1);
  if (!material.rootKey) {
    deps.nag.warn(
      `the CA's intermediate expires at ${issuer.notAfter.toISOString()}; renew it with \`weft ca renew-issuer\` (the root key is offline)`,
      { issuer: issuer.subject },
      'issuer renewal due',
    );
    return false;
  }
  const secret = await readCaSecret(deps.core, deps.ref);
  if (!secret) return false;
  const renewed = await renewIssuer(decodeSecret(secret), material.authority, material.rootKey, {
    trustDomain: deps.trustDomain,
    clock: deps.clock,
  });
  try {
    await deps.core.replaceNamespacedSecret({
      ...deps.ref,
      body: { ...secret, data: encodeSecretData(renewed.data) },
    });
  } catch (err) {
    if (isConflict(err)) return false;
    throw apiFailure(`updating secret ${deps.ref.namespace}/${deps.ref.name}`, err);
  }
  deps.metrics.issuerRenewals.inc();
  deps.log.info('renewed the intermediate under the same root', {
    old: issuer.serialNumber,
    new: renewed.issuer.serialNumber,
    notAfter: renewed.issuer.notAfter.toISOString(),
  });
  return true;
}

export interface CaDeps {
  /** Time for issuing and renewal decisions (tests move it). */
  readonly clock?: Clock;
  /**
   * More of the process's readiness, for /readyz (weft control-plane: discovery). Undefined
   * when ready, else the reason; the CA's own readiness comes first.
   */
  readonly alsoReady?: () => string | undefined;
}

export async function startCa(
  config: CaConfig,
  registry: Registry,
  log: Logger,
  deps: CaDeps = {},
): Promise<RunningCa> {
  const clock = deps.clock ?? systemClock;
  const kc = loadKubeConfig(config.kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  const ref = { namespace: config.namespace, name: config.secretName };
  const metrics = createCaMetrics(registry);
  const renewDeps: RenewDeps = {
    core,
    ref,
    trustDomain: config.trustDomain,
    clock,
    metrics,
    log,
    nag: limitLogger(log, { burst: 1, windowMs: 3_600_000 }),
  };
  const store = {
    trustDomain: config.trustDomain,
    onlineRoot: config.onlineRoot,
    rootKeySecretName: config.rootKeySecretName,
  };
  let loaded = await loadOrCreateMaterial(core, ref, store, log);
  if (await renewIfDue(renewDeps, loaded.material)) {
    loaded = await loadOrCreateMaterial(core, ref, store, log);
  }
  let material = loaded.material;
  let authority = material.authority;
  let secretVersion = loaded.resourceVersion;

  const policy: IssuePolicy = {
    defaultLifetimeSeconds: config.defaultLifetimeSeconds,
    maxLifetimeSeconds: config.maxLifetimeSeconds,
    backdateSeconds: 60,
    minIssuerRemainingSeconds: config.minIssuerRemainingSeconds,
  };
  const recorder = new IssuanceRecorder(kc.makeApiClient(CustomObjectsApi), log, {
    dropped: metrics.recordsDropped,
  });
  const limiter = new RateLimiter({
    burst: config.rateLimitBurst,
    perSecond: config.rateLimitPerSecond,
  });
  const reviewer = new TokenReviewer(kc.makeApiClient(AuthenticationV1Api), {
    audience: config.audience,
    trustDomain: config.trustDomain,
    cacheTtlMs: config.tokenCacheSeconds * 1000,
    log: limitLogger(log),
  });
  const servingNames = {
    trustDomain: config.trustDomain,
    namespace: config.namespace,
    dnsNames: config.servingDnsName,
    ips: [...config.servingIp, ...(LOOPBACK.test(config.listen.host) ? ['127.0.0.1'] : [])],
  };
  let serving = await issueServingCertificate(authority, servingNames, policy);
  const bundles = new TrustBundles(
    kc,
    joinPem(authority.roots),
    log,
    config.bundleResyncSeconds * 1000,
  );
  const signer = new CsrSigner({
    kc,
    api: kc.makeApiClient(CertificatesV1Api),
    authority: () => authority,
    policy,
    trustDomain: config.trustDomain,
    recorder,
    metrics,
    log,
    limiter,
  });
  const observeExpiry = (): void => {
    metrics.issuerExpiry.set(authority.issuer.notAfter.getTime() / 1000);
    // A plugged-in root used directly as the issuer has an empty chain.
    metrics.rootExpiry.set(rootOf(authority).notAfter.getTime() / 1000);
  };
  observeExpiry();

  let ready = false;
  const app = createApp({
    registry,
    log,
    ready: () => (ready ? deps.alsoReady?.() : 'starting'),
    bodyLimitBytes: 64 * 1024,
  });
  addCaRoutes(app, {
    authority: () => authority,
    policy,
    reviewer,
    recorder,
    limiter,
    metrics,
    log,
    clock,
  });
  finishApp(app, log);
  const server: Running = await listenHttps(app, serving, config.listen);
  await Promise.all([bundles.start(), signer.start()]);
  ready = true;
  log.info('CA ready', {
    port: server.port,
    trustDomain: config.trustDomain,
    issuer: authority.issuer.subject,
  });

  // Reload on Secret changes (root rotation) and renew the serving cert at half-life.
  const tick = async (): Promise<void> => {
    await renewIfDue(renewDeps, material);
    const secret = await readCaSecret(core, ref);
    const version = secret?.metadata?.resourceVersion ?? '';
    let changed = false;
    if (secret && version !== secretVersion) {
      material = await loadMaterial(secret, store, log);
      authority = material.authority;
      secretVersion = version;
      changed = true;
      observeExpiry();
      await bundles.setRoots(joinPem(authority.roots));
      log.info('reloaded CA material', {
        issuer: authority.issuer.subject,
        roots: authority.roots.length,
      });
    }
    const half = (serving.notBefore.getTime() + serving.notAfter.getTime()) / 2;
    if (changed || Date.now() > half) {
      serving = await issueServingCertificate(authority, servingNames, policy);
      server.setTls(serving);
    }
  };
  const timer = setInterval(() => {
    tick().catch((err: unknown) => log.warn('CA reload failed; keeping current material', { err }));
  }, config.reloadSeconds * 1000);

  return {
    port: server.port,
    roots: () => joinPem(authority.roots),
    authority: () => authority,
    // Bounded: in-flight requests get a share of --shutdown-seconds, then their
    // connections are closed; records still waiting after the rest are dropped
    // (counted). The certificates stand; their records are a convenience.
    stop: async () => {
      const budgetMs = config.shutdownSeconds * 1000;
      clearInterval(timer);
      ready = false;
      const closing = server.close();
      await within(budgetMs / 2, Promise.all([signer.stop(), bundles.stop(), closing]));
      server.server.closeAllConnections();
      await recorder.flush(budgetMs / 2);
    },
  };
}

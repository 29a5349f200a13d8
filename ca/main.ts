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
import { decodeSecret, loadOrCreateMaterial, readCaSecret } from './ca-store.js';
import { fromSecretData } from './ca-material.js';
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

export async function startCa(
  config: CaConfig,
  registry: Registry,
  log: Logger,
): Promise<RunningCa> {
  const kc = loadKubeConfig(config.kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  const ref = { namespace: config.namespace, name: config.secretName };
  const loaded = await loadOrCreateMaterial(core, ref, config.trustDomain, log);
  let authority = loaded.material.authority;
  let secretVersion = loaded.resourceVersion;

  const metrics = createCaMetrics(registry);
  const policy: IssuePolicy = {
    defaultLifetimeSeconds: config.defaultLifetimeSeconds,
    maxLifetimeSeconds: config.maxLifetimeSeconds,
    backdateSeconds: 60,
  };
  const recorder = new IssuanceRecorder(kc.makeApiClient(CustomObjectsApi), log);
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
  });
  const observeExpiry = (): void => {
    metrics.issuerExpiry.set(authority.issuer.notAfter.getTime() / 1000);
    metrics.rootExpiry.set(authority.chain[authority.chain.length - 1]!.notAfter.getTime() / 1000);
  };
  observeExpiry();

  let ready = false;
  const app = createApp({
    registry,
    log,
    ready: () => (ready ? undefined : 'starting'),
    bodyLimitBytes: 64 * 1024,
  });
  addCaRoutes(app, { authority: () => authority, policy, reviewer, recorder, metrics, log });
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
    const secret = await readCaSecret(core, ref);
    const version = secret?.metadata?.resourceVersion ?? '';
    let changed = false;
    if (secret && version !== secretVersion) {
      authority = (await fromSecretData(decodeSecret(secret))).authority;
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
    stop: async () => {
      clearInterval(timer);
      ready = false;
      await Promise.all([signer.stop(), bundles.stop()]);
      await server.close();
      await recorder.flush();
    },
  };
}

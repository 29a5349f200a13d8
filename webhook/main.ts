// Assembles `weft webhook`: the injection config (native sidecars decided from the
// API server's version when set to auto), the namespace label cache, the HTTPS
// server, and --register's create-on-start, remove-on-stop.
import { AdmissionregistrationV1Api, VersionApi } from '@kubernetes/client-node';
import type { Registry } from 'prom-client';
import { createApp, finishApp } from '../src/http/app.js';
import { listenHttps } from '../src/http/serve.js';
import { apiFailure, loadKubeConfig } from '../src/k8s/client.js';
import type { Logger } from '../src/log.js';
import type { WebhookConfig } from './config.js';
import { InjectionConfigSchema, supportsNativeSidecars } from './injection-config.js';
import type { InjectionConfig } from './injection-config.js';
import { createWebhookMetrics } from './metrics.js';
import { NamespaceLabels } from './namespaces.js';
import {
  WEBHOOK_CONFIGURATION,
  register,
  syncCaBundle,
  unregister,
  webhookConfiguration,
} from './registration.js';
import { addWebhookRoutes } from './routes.js';

export interface ServingTls {
  readonly cert: string;
  readonly key: string;
  /** The CA that signed `cert`: the configuration's caBundle. */
  readonly caPem: string;
}

export interface RunningWebhook {
  readonly port: number;
  readonly injection: InjectionConfig;
  /** New serving certificate (and caBundle, when this process owns the configuration). */
  setTls(tls: ServingTls): Promise<void>;
  stop(): Promise<void>;
}

/** A body cap well above any real pod (etcd stores at most 1.5 MiB per object). */
const BODY_LIMIT = 3 * 1024 * 1024;

async function nativeSidecars(
  setting: WebhookConfig['nativeSidecars'],
  versions: VersionApi,
): Promise<boolean> {
  if (setting !== 'auto') return setting === 'on';
  try {
    const v = await versions.getCode();
    return supportsNativeSidecars(v.major, v.minor);
  } catch (err) {
    throw apiFailure('reading the API server version (for --native-sidecars auto)', err);
  }
}

/** What the injector puts in each pod, from the webhook's flags. */
export function injectionConfigOf(config: WebhookConfig, nativeSidecars: boolean): InjectionConfig {
  return InjectionConfigSchema.parse({
    image: config.image,
    caAddress: config.caAddress,
    discoveryAddress: config.discoveryAddress,
    trustDomain: config.trustDomain,
    clusterDomain: config.clusterDomain,
    nativeSidecars,
    logLevel: config.proxyLogLevel,
    tokenExpirationSeconds: config.tokenExpirationSeconds,
    excludeOutboundCidrs: config.excludeOutboundCidr,
    captureOverrides: config.captureOverrides,
    allowedProxyImages: config.allowProxyImage,
  });
}

export async function startWebhook(
  config: WebhookConfig,
  tls: ServingTls,
  registry: Registry,
  log: Logger,
): Promise<RunningWebhook> {
  const kc = loadKubeConfig(config.kubeconfig);
  const admission = kc.makeApiClient(AdmissionregistrationV1Api);
  const injection = injectionConfigOf(
    config,
    await nativeSidecars(config.nativeSidecars, kc.makeApiClient(VersionApi)),
  );
  const namespaces = new NamespaceLabels(kc, log);
  await namespaces.start();
  let ready = true;
  const app = createApp({
    registry,
    log,
    ready: () => (ready ? undefined : 'stopping'),
    bodyLimitBytes: BODY_LIMIT,
  });
  addWebhookRoutes(app, {
    config: injection,
    namespace: (n) => namespaces.get(n),
    metrics: createWebhookMetrics(registry),
    log,
  });
  finishApp(app, log);
  const server = await listenHttps(app, tls, config.listen);
  const host = ['0.0.0.0', '::'].includes(config.listen.host) ? '127.0.0.1' : config.listen.host;
  const url = `https://${host.includes(':') ? `[${host}]` : host}:${server.port}/inject`;
  const registerWith = (caPem: string): Promise<void> =>
    register(
      admission,
      webhookConfiguration(
        { url, caBundle: Buffer.from(caPem).toString('base64') },
        config.failurePolicy,
      ),
    );
  if (config.register) {
    await registerWith(tls.caPem);
    log.info('registered webhook configuration', {
      name: WEBHOOK_CONFIGURATION,
      url,
      failurePolicy: config.failurePolicy,
    });
  }
  log.info('webhook ready', { port: server.port, nativeSidecars: injection.nativeSidecars });
  return {
    port: server.port,
    injection,
    async setTls(next) {
      server.setTls(next);
      if (config.register) await registerWith(next.caPem);
      else
        await syncCaBundle(admission, next.caPem).catch((err: unknown) =>
          log.warn('could not update caBundle', { err }),
        );
    },
    async stop() {
      ready = false;
      if (config.register) {
        await unregister(admission).catch((err: unknown) =>
          log.warn('could not remove webhook configuration', { err }),
        );
      }
      await namespaces.stop();
      await server.close();
    },
  };
}

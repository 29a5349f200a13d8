// What the in-process inbound suites (sidecar/inbound.test.ts,
// sidecar/authz-inbound.test.ts) give createProxy: a proxy config with the
// Istio port convention and test-sized limits, and the server's credentials
// from a test CA's leaf.
import type { ProxyConfig } from '../../sidecar/proxy.js';
import { Credentials } from '../../sidecar/credentials.js';

/** Settings a test may override; an undefined one keeps the default. */
type Overrides = { readonly [K in keyof ProxyConfig]?: ProxyConfig[K] | undefined };

/** The proxy config of the in-process suites; limits may be overridden per test. */
export function inboundProxyConfig(podNamespace: string, overrides: Overrides = {}): ProxyConfig {
  const given = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  return {
    podNamespace,
    podIp: '127.0.0.1',
    maxConnections: 16_384,
    maxHeaderBytes: 16 * 1024,
    idleTimeoutSeconds: 300,
    firstByteTimeoutSeconds: 10,
    headerTimeoutSeconds: 20,
    tcpIdleTimeoutSeconds: 3600,
    adminListen: { host: '127.0.0.1', port: 15000 },
    healthListen: { host: '0.0.0.0', port: 15020 },
    outboundListen: { host: '0.0.0.0', port: 15001 },
    inboundListen: { host: '0.0.0.0', port: 15006 },
    ...given,
  };
}

/** The server's credentials: a leaf for `spiffeId` valid for an hour, trusting `roots`. */
export function serverCredentials(
  spiffeId: string,
  leaf: { cert: string; key: string },
  roots: string,
): Credentials {
  const creds = new Credentials();
  const now = Date.now();
  creds.setCertificate({
    spiffeId,
    serial: '01',
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 3_600_000),
    certChainPem: leaf.cert,
    keyPem: leaf.key,
    trustBundlePem: roots,
  });
  return creds;
}

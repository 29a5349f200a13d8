// The sidecar's TLS material: the workload certificate from the agent and the
// mesh's roots. Each change builds fresh contexts; connections already open keep
// the context they were made with, new handshakes take the new one.
import { EventEmitter } from 'node:events';
import tls from 'node:tls';
import type { WorkloadCertificate } from '../src/cert-agent/agent.js';

/** ALPN names between sidecars: what the client sidecar will speak inside mTLS. */
export const ALPN = { http2: 'h2', http1: 'http/1.1', tcp: 'weft-tcp' } as const;

interface Events {
  change: [];
}

export class Credentials extends EventEmitter<Events> {
  private cert: WorkloadCertificate | undefined;
  private roots: string | undefined;
  private options: tls.SecureContextOptions | undefined;
  private client: tls.SecureContext | undefined;

  /** For tls.Server#setSecureContext; undefined until a certificate is known. */
  serverOptions(): tls.SecureContextOptions | undefined {
    return this.options;
  }

  clientContext(): tls.SecureContext | undefined {
    return this.client;
  }

  certificate(): WorkloadCertificate | undefined {
    return this.cert;
  }

  ready(): boolean {
    return this.options !== undefined;
  }

  setCertificate(cert: WorkloadCertificate): void {
    this.cert = cert;
    this.rebuild();
  }

  /** The roots from the mounted trust bundle; an empty bundle keeps the CA's. */
  setRoots(pem: string): void {
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) return;
    this.roots = pem;
    this.rebuild();
  }

  private rebuild(): void {
    if (!this.cert) return;
    const options: tls.SecureContextOptions = {
      cert: this.cert.certChainPem,
      key: this.cert.keyPem,
      ca: this.roots ?? this.cert.trustBundlePem,
      minVersion: 'TLSv1.2',
    };
    this.options = options;
    this.client = tls.createSecureContext(options);
    this.emit('change');
  }
}

export { spiffeIdOf } from '../src/pki/peer-spiffe-id.js';

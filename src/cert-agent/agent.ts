// The certificate agent: keeps a workload certificate current for this process.
// It generates each private key in-process (the key never leaves it), asks the CA
// with the current token, renews at a fraction of the lifetime with jitter, retries
// with backoff, keeps the old certificate until it expires, and emits
// 'certificate' for every new one so servers can swap it in for new handshakes.
import { EventEmitter } from 'node:events';
import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import type { Logger } from '../log.js';
// Not ../pki/index.js: that loads @peculiar/x509, ~0.8 s of every pod's start.
import { createWorkloadRequest } from '../pki/csr-builder.js';
import { KeyType } from '../pki/key-type.js';
import { pemBlocks } from '../pki/pem-blocks.js';
import type { CaClientOptions } from './ca-client.js';
import { requestCertificate } from './ca-client.js';
import type { Random } from '../random.js';
import { secureRandom } from '../random.js';
import { ErrorCode, WeftError } from '../errors.js';
import { MIN_DELAY_MS, renewalDelayMs, retryDelayMs } from './schedule.js';

export interface WorkloadCertificate {
  readonly spiffeId: string;
  readonly serial: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** Leaf then intermediates, PEM: what a TLS server or client presents. */
  readonly certChainPem: string;
  /** PKCS#8 PEM, for this process's TLS contexts only. */
  readonly keyPem: string;
  /** The roots the CA said the mesh trusts when it issued this. */
  readonly trustBundlePem: string;
}

export interface AgentOptions extends CaClientOptions {
  readonly keyType?: KeyType;
  readonly ttlSeconds?: number;
  /** Renew after this fraction of the lifetime (default 0.5). */
  readonly renewFraction?: number;
  /** ± spread of the renewal time (default 0.1). */
  readonly jitter?: number;
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
  /** No wait (renewal or retry) is shorter than this, jittered up to twice it; default 5 s. */
  readonly minDelayMs?: number;
  readonly registry: Registry;
  readonly log: Logger;
  readonly random?: Random;
  readonly now?: () => number;
}

interface AgentEvents {
  certificate: [WorkloadCertificate];
  expired: [];
}

export class CertificateAgent extends EventEmitter<AgentEvents> {
  private cert: WorkloadCertificate | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private failures = 0;
  private readonly metrics;
  private readonly random: Random;
  private readonly now: () => number;

  constructor(private readonly opts: AgentOptions) {
    super();
    this.random = opts.random ?? secureRandom;
    this.now = opts.now ?? Date.now;
    const registers = [opts.registry];
    this.metrics = {
      expiry: new Gauge({
        name: 'weft_agent_certificate_expiry_timestamp_seconds',
        help: 'notAfter of the workload certificate in use.',
        registers,
      }),
      renewals: new Counter({
        name: 'weft_agent_certificate_renewals_total',
        help: 'Certificates obtained from the CA.',
        registers,
      }),
      failures: new Counter({
        name: 'weft_agent_certificate_renewal_failures_total',
        help: 'Failed attempts to obtain a certificate.',
        registers,
      }),
    };
  }

  /** The certificate in use, or undefined before the first one and after expiry. */
  current(): WorkloadCertificate | undefined {
    return this.cert && this.cert.notAfter.getTime() > this.now() ? this.cert : undefined;
  }

  /** Resolves with the first certificate; keeps renewing until stop(). */
  start(): Promise<WorkloadCertificate> {
    return new Promise((resolve) => {
      this.once('certificate', resolve);
      void this.attempt();
    });
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.attempt(), delayMs);
    this.timer.unref();
  }

  private async attempt(): Promise<void> {
    if (this.stopped) return;
    try {
      const cert = await this.fetch();
      this.failures = 0;
      this.cert = cert;
      this.metrics.renewals.inc();
      this.metrics.expiry.set(cert.notAfter.getTime() / 1000);
      this.opts.log.info('workload certificate obtained', {
        spiffeId: cert.spiffeId,
        serial: cert.serial,
        notAfter: cert.notAfter.toISOString(),
      });
      this.emit('certificate', cert);
      const opts = {
        fraction: this.opts.renewFraction ?? 0.5,
        jitter: this.opts.jitter ?? 0.1,
        floorMs: this.floorMs,
      };
      this.schedule(renewalDelayMs(this.now(), cert.notAfter.getTime(), opts, this.random));
    } catch (err) {
      this.onFailure(err);
    }
  }

  // A workload that asks for very short certificates (tests run on 8 s ones) gets a
  // floor of a quarter of that lifetime: still a bound on the loop an expired issuer
  // caused, without refusing every certificate it asked for as too short.
  private get floorMs(): number {
    if (this.opts.minDelayMs !== undefined) return this.opts.minDelayMs;
    const asked = this.opts.ttlSeconds;
    return asked ? Math.min(MIN_DELAY_MS, (asked * 1000) / 4) : MIN_DELAY_MS;
  }

  private onFailure(err: unknown): void {
    this.metrics.failures.inc();
    // Never wait past expiry without trying again; announce expiry once it comes.
    const left = this.cert ? this.cert.notAfter.getTime() - this.now() : undefined;
    if (left !== undefined && left <= 0) this.emit('expired');
    const retryAfter = err instanceof WeftError ? err.retryAfterSeconds : undefined;
    const delay = retryDelayMs(
      {
        attempt: this.failures++,
        backoff: this.opts.backoff ?? { initialMs: 1000, maxMs: 60_000 },
        retryAfterMs: retryAfter === undefined ? undefined : retryAfter * 1000,
        leftMs: left,
        floorMs: this.floorMs,
      },
      this.random,
    );
    this.opts.log.warn('could not obtain a workload certificate; retrying', {
      err,
      retryInMs: delay,
      serving: this.current()?.serial,
    });
    this.schedule(delay);
  }

  private async fetch(): Promise<WorkloadCertificate> {
    const keyType = this.opts.keyType ?? KeyType.EcdsaP256;
    const { csrPem, keyPem } = await createWorkloadRequest(keyType);
    const answer = await requestCertificate(this.opts, csrPem, this.opts.ttlSeconds);
    // A certificate that would need renewing at once is a failure, not a success:
    // accepting it would renew in a tight loop (seen: an expired issuer).
    const lifeMs = Date.parse(answer.notAfter) - this.now();
    if (!(lifeMs > 2 * this.floorMs)) {
      throw new WeftError(
        ErrorCode.Unavailable,
        `CA issued a certificate that expires at ${answer.notAfter}; too short to use`,
      );
    }
    // Present leaf + intermediates; peers hold the roots.
    const roots = new Set(pemBlocks(answer.trustBundle));
    const chain = answer.certChain.flatMap((p) => pemBlocks(p)).filter((p) => !roots.has(p));
    return {
      spiffeId: answer.spiffeId,
      serial: answer.serial,
      notBefore: new Date(answer.notBefore),
      notAfter: new Date(answer.notAfter),
      certChainPem: chain.join(''),
      keyPem,
      trustBundlePem: answer.trustBundle,
    };
  }
}

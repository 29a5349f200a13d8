// Outlier detection as Envoy runs it for Istio's DestinationRule
// (source/common/upstream/outlier_detection_impl.cc), per calling sidecar:
// - each endpoint counts consecutive 5xx (gateway errors 502/503/504 included)
//   and, when enabled, consecutive gateway errors; a failure to connect or a
//   reset counts as 503, a timeout as 504; any other response resets both;
// - reaching a threshold ejects at once if 100 × (ejected + 1) / endpoints ≤
//   maxEjectionPercent, or if none is ejected yet and alwaysEjectOneHost (the
//   counter restarts either way);
// - an ejection lasts baseEjectionTime × its multiplier, capped at
//   maxEjectionTime; the multiplier grows by one per ejection and shrinks by one
//   per interval the endpoint then stays in;
// - readmission happens only at the interval sweep (sweep(), which the caller
//   runs every `intervalMs`), once the ejection time has passed;
// - balancing skips ejected endpoints unless fewer than minHealthPercent are
//   healthy (Envoy's panic mode: then all of them are used).
// Time comes from the injected clock.
import type { OutlierSettings } from './types.js';

/** How a request to an endpoint ended. */
export type OutlierResult =
  { readonly status: number } | { readonly localOrigin: 'connect-failure' | 'reset' | 'timeout' };

export type EjectionReason = 'consecutive-5xx' | 'consecutive-gateway-errors';

export type OutlierEvent =
  | {
      readonly type: 'ejected';
      readonly address: string;
      readonly reason: EjectionReason;
      readonly forMs: number;
      /** How many times this endpoint has been ejected. */
      readonly ejections: number;
    }
  /** A threshold was reached but maxEjectionPercent kept the endpoint in. */
  | { readonly type: 'overflow'; readonly address: string; readonly reason: EjectionReason }
  | { readonly type: 'readmitted'; readonly address: string };

interface Host {
  consecutive5xx: number;
  consecutiveGateway: number;
  ejectedAt: number | undefined;
  readmittedAt: number | undefined;
  multiplier: number;
  ejections: number;
}

const codeOf = (r: OutlierResult): number =>
  'status' in r ? r.status : r.localOrigin === 'timeout' ? 504 : 503;

const isGatewayError = (code: number): boolean => code === 502 || code === 503 || code === 504;

export class OutlierDetector {
  private readonly hosts = new Map<string, Host>();

  constructor(
    private readonly settings: OutlierSettings,
    private readonly now: () => number,
  ) {}

  /** The Service's endpoints now: new ones start healthy, gone ones are forgotten. */
  setEndpoints(addresses: readonly string[]): void {
    const keep = new Set(addresses);
    for (const a of this.hosts.keys()) if (!keep.has(a)) this.hosts.delete(a);
    for (const a of addresses) {
      if (!this.hosts.has(a)) {
        this.hosts.set(a, {
          consecutive5xx: 0,
          consecutiveGateway: 0,
          ejectedAt: undefined,
          readmittedAt: undefined,
          multiplier: 0,
          ejections: 0,
        });
      }
    }
  }

  isEjected(address: string): boolean {
    return this.hosts.get(address)?.ejectedAt !== undefined;
  }

  ejectedCount(): number {
    let n = 0;
    for (const h of this.hosts.values()) if (h.ejectedAt !== undefined) n++;
    return n;
  }

  /** One request's result; an ejection (or a refused one) when this result makes it. */
  record(address: string, result: OutlierResult): OutlierEvent | undefined {
    const h = this.hosts.get(address);
    // Late results from an ejected endpoint change nothing: its counters restart on readmission.
    if (!h || h.ejectedAt !== undefined) return undefined;
    const code = codeOf(result);
    if (code < 500 || code > 599) {
      h.consecutive5xx = 0;
      h.consecutiveGateway = 0;
      return undefined;
    }
    const s = this.settings;
    if (isGatewayError(code)) {
      h.consecutiveGateway++;
      if (s.consecutiveGatewayErrors > 0 && h.consecutiveGateway === s.consecutiveGatewayErrors) {
        h.consecutiveGateway = 0;
        return this.eject(address, h, 'consecutive-gateway-errors');
      }
    } else {
      h.consecutiveGateway = 0;
    }
    h.consecutive5xx++;
    if (s.consecutive5xxErrors > 0 && h.consecutive5xx === s.consecutive5xxErrors) {
      h.consecutive5xx = 0;
      return this.eject(address, h, 'consecutive-5xx');
    }
    return undefined;
  }

  /** The interval sweep: readmit endpoints whose time is up, shrink healthy ones' multipliers. */
  sweep(): OutlierEvent[] {
    const now = this.now();
    const events: OutlierEvent[] = [];
    for (const [address, h] of this.hosts) {
      if (h.ejectedAt !== undefined && this.ejectionMs(h) <= now - h.ejectedAt) {
        h.ejectedAt = undefined;
        h.readmittedAt = now;
        h.consecutive5xx = 0;
        h.consecutiveGateway = 0;
        events.push({ type: 'readmitted', address });
      }
    }
    for (const h of this.hosts.values()) {
      const healthyFor = h.readmittedAt === undefined ? -1 : now - h.readmittedAt;
      if (h.ejectedAt === undefined && healthyFor >= this.settings.intervalMs && h.multiplier > 0) {
        h.multiplier--;
      }
    }
    return events;
  }

  /**
   * The endpoints to balance across: the healthy ones, or every one when fewer
   * than minHealthPercent are healthy (panic). Empty: answer 503 UH.
   */
  available<E extends { readonly address: string }>(
    endpoints: readonly E[],
  ): { endpoints: E[]; panic: boolean } {
    const healthy = endpoints.filter((e) => !this.isEjected(e.address));
    const percent = endpoints.length === 0 ? 100 : (100 * healthy.length) / endpoints.length;
    if (percent < this.settings.minHealthPercent) return { endpoints: [...endpoints], panic: true };
    return { endpoints: healthy, panic: false };
  }

  private ejectionMs(h: Host): number {
    const s = this.settings;
    return Math.min(
      s.baseEjectionTimeMs * h.multiplier,
      Math.max(s.maxEjectionTimeMs, s.baseEjectionTimeMs),
    );
  }

  private eject(address: string, h: Host, reason: EjectionReason): OutlierEvent {
    const s = this.settings;
    const active = this.ejectedCount();
    const percent = (100 * (active + 1)) / this.hosts.size;
    const allowed = percent <= s.maxEjectionPercent || (s.alwaysEjectOneHost && active === 0);
    if (!allowed) return { type: 'overflow', address, reason };
    h.ejectedAt = this.now();
    h.ejections++;
    // Envoy grows the multiplier until base × multiplier passes max + base, then holds it.
    if (h.multiplier * s.baseEjectionTimeMs < s.maxEjectionTimeMs + s.baseEjectionTimeMs)
      h.multiplier++;
    return { type: 'ejected', address, reason, forMs: this.ejectionMs(h), ejections: h.ejections };
  }
}

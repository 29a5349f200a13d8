// The mesh config as the sidecar sees it: read at start-up (an invalid file stops
// the sidecar with the field named), then polled; a change that fails to parse is
// logged and counted while the last good config stays in force.
import { readFile } from 'node:fs/promises';
import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import type { Logger } from '../src/log.js';
import { limitLogger } from '../src/log-limit.js';
import type { LimitedLogger } from '../src/log-limit.js';
import { MeshConfigSchema } from '../src/mesh/config.js';
import type { MeshConfig } from '../src/mesh/config.js';
import { parseMeshConfig } from '../src/mesh/load.js';
import type { MeshIndex } from '../src/mesh/mesh-index.js';
import { compileMesh } from '../src/mesh/mesh-index.js';

export class MeshSource {
  private index: MeshIndex;
  private text = '';
  private timer: NodeJS.Timeout | undefined;
  private readonly reloads;
  private readonly failures;
  private readonly services;
  /** Route versions whose problems were logged: each is logged once, not per config. */
  private routesLogged = new Set<string>();
  private trafficLogged = new Set<string>();
  private readonly routeLog: LimitedLogger;

  private readonly file: string | undefined;

  constructor(
    /** Where the mesh comes from: a file, the discovery stream, or (neither) nowhere. */
    from: { readonly file?: string; readonly discovery?: boolean },
    private readonly namespace: string,
    registry: Registry,
    private readonly log: Logger,
  ) {
    const { file, discovery = false } = from;
    this.file = file;
    // With a file or discovery, inbound is STRICT (the schema's default) until the
    // config says otherwise: a sidecar that has not heard its PeerAuthentication yet
    // fails closed rather than taking plaintext it may be meant to refuse.
    // Neither (a bare sidecar): it knows no services, so meshed clients reach this pod
    // in plaintext (their sidecars pass unknown traffic through); STRICT would refuse
    // them all, and PERMISSIVE (Istio's default) keeps the cluster working.
    this.routeLog = limitLogger(log);
    const bare = !file && !discovery;
    const start = compileMesh(
      MeshConfigSchema.parse(bare ? { inbound: { mode: 'PERMISSIVE' } } : {}),
      namespace,
    );
    // From discovery, the pod's AuthorizationPolicies are unknown until the first view
    // (which may never come: a 403/503 or a NACKed snapshot): deny rather than allow all.
    const awaitView = discovery && !file;
    this.index = awaitView ? { ...start, authz: { ...start.authz, noView: true } } : start;
    if (bare) log.warn('no mesh config: outbound passes through, inbound is PERMISSIVE');
    const registers = [registry];
    this.reloads = new Counter({
      name: 'weft_sidecar_config_reloads_total',
      help: 'Mesh config changes applied.',
      registers,
    });
    this.failures = new Counter({
      name: 'weft_sidecar_config_reload_failures_total',
      help: 'Mesh config changes refused (the last good config stays).',
      registers,
    });
    this.services = new Gauge({
      name: 'weft_sidecar_config_services',
      help: 'Services in the mesh config in force.',
      registers,
    });
  }

  current = (): MeshIndex => this.index;

  /** Reads the file once; throws (naming the field) if it is invalid. */
  async load(): Promise<void> {
    if (!this.file) return;
    const text = await readFile(this.file, 'utf8');
    this.apply(text);
  }

  watch(intervalMs: number): void {
    if (!this.file) return;
    const file = this.file;
    this.timer = setInterval(() => {
      readFile(file, 'utf8').then(
        (text) => {
          if (text === this.text) return;
          try {
            this.apply(text);
          } catch (err) {
            this.text = text; // report a bad file once, not every poll
            this.failures.inc();
            this.log.error('mesh config refused; keeping the last good one', { err });
          }
        },
        (err: unknown) =>
          this.log.warn('mesh config unreadable; keeping the last good one', { err }),
      );
    }, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private apply(text: string): void {
    const config = parseMeshConfig(text, this.file ?? 'mesh config');
    this.setConfig(config);
    this.text = text;
  }

  /** Swaps in a validated config (from the file or the discovery stream) whole. */
  setConfig(config: MeshConfig): void {
    this.index = compileMesh(config, this.namespace, this.index);
    this.reloads.inc();
    this.services.set(config.services.length);
    this.log.info('mesh config applied', { services: config.services.length });
    this.logRouteProblems();
    this.logTrafficProblems();
  }

  /** An invalid TrafficPolicy (applied nowhere) is logged once per version, as routes are. */
  private logTrafficProblems(): void {
    const now = new Set<string>();
    for (const p of this.index.traffic.problems) {
      now.add(p.key);
      if (this.trafficLogged.has(p.key)) continue;
      const problems = p.problems.slice(0, 8).map((x) => `${x.field}: ${x.reason}`);
      this.routeLog.warn(
        'TrafficPolicy invalid: applied nowhere',
        { policy: p.policy, problems },
        'traffic',
      );
    }
    this.trafficLogged = now;
  }

  /**
   * A route weft refuses in part or whole is logged once per version (its
   * generation, or its spec from a file), rate-limited: every endpoint change
   * brings a new config, and the route's status already says the same.
   */
  private logRouteProblems(): void {
    const now = new Set<string>();
    for (const p of this.index.routes.problems) {
      now.add(p.key);
      if (this.routesLogged.has(p.key)) continue;
      const problems = p.problems.slice(0, 8).map((x) => `${x.field}: ${x.message}`);
      this.routeLog.warn('route refused in part or whole', { route: p.route, problems }, 'route');
    }
    this.routesLogged = now;
  }
}

// The weft pair's configurations for bench:sidecar's rows, switched between blocks
// (bench/sidecar-blocks.ts): none, 100 authorization rules on the server side,
// 100 route rules or retries on echo. A switch rewrites the mesh file and waits
// until both sidecars have applied it (their reload counters move), so a block
// never measures the configuration before; the first switch to each also checks
// it is the one in force, by the answer to a probe only it gives.
import type { MeshConfigInput, MeshFixture } from '../test/support/mesh-fixture.js';
import { benchPolicies } from './bench-policies.js';
import { benchRetryRules, benchRouteRules, benchRoutes } from './sidecar-routes.js';
import type { BenchRow } from './sidecar-rows.js';

export type Setup = 'none' | 'authz' | 'routes' | 'retry';

/** The weft rows and what each runs with; the other rows need no switch. */
export const SETUP_OF: Partial<Record<BenchRow, Setup>> = {
  weft: 'none',
  'weft-authz': 'authz',
  'weft-routes': 'routes',
  'weft-retry': 'retry',
};

/**
 * GET /bench-probe through the pair: the app answers 200; the authorization rules
 * refuse it (403, no ALLOW rule matches); the route rows redirect it themselves.
 */
const PROBE: Record<Setup, number> = { none: 200, authz: 403, routes: 307, retry: 308 };

type Extended = MeshConfigInput & { authorization?: unknown[]; routes?: unknown[] };

function edit(mesh: MeshFixture, setup: Setup): (c: MeshConfigInput) => void {
  return (c) => {
    const x = c as Extended;
    if (setup === 'authz') x.authorization = benchPolicies(mesh.namespace);
    if (setup === 'routes') x.routes = benchRoutes(mesh.namespace, benchRouteRules());
    if (setup === 'retry') x.routes = benchRoutes(mesh.namespace, benchRetryRules(), 'bench-retry');
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class Setups {
  private current: Setup = 'none';
  private readonly checked = new Set<Setup>();

  constructor(private readonly mesh: MeshFixture) {}

  private async reloads(): Promise<number[]> {
    const pods = [this.mesh.client, ...this.mesh.servers];
    return Promise.all(pods.map((p) => this.mesh.metric(p, 'weft_sidecar_config_reloads_total')));
  }

  private async probe(): Promise<number | undefined> {
    const r = await this.mesh.call<{ results: { status: number }[] }>(
      'req',
      'http://echo/bench-probe',
      1,
    );
    return r.results[0]?.status;
  }

  /** Puts `setup` in force on both sidecars (nothing to do if it is). */
  async use(setup: Setup): Promise<void> {
    if (setup !== this.current) {
      const before = await this.reloads();
      this.mesh.writeConfig(edit(this.mesh, setup));
      this.current = setup;
      for (let i = 0; ; i++) {
        const now = await this.reloads();
        if (now.every((n, j) => n > before[j]!)) break;
        if (i >= 100) throw new Error(`${setup}: the sidecars did not reload the mesh file`);
        await sleep(200);
      }
    }
    if (this.checked.has(setup)) return;
    const status = await this.probe();
    if (status !== PROBE[setup]) {
      throw new Error(`${setup}: not in force (probe answered ${status}, not ${PROBE[setup]})`);
    }
    this.checked.add(setup);
  }
}

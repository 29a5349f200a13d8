// What a sidecar pays to apply one endpoint change at the scale (1000
// Services × 10 endpoints): parse the message, apply it, compile the view to a
// MeshConfig (src/mesh/view-apply.ts). The change alternates one Service's
// endpoints between two sets, so every message carries one freshly parsed
// resource, as discovery's deltas do. With WEFT_BENCH_BASE=<another build's dist>
// the same is run with that build's code, alternated in one process (bench/ab.ts).
// Run: npm run build && node dist/bench/view-apply.js
import type { ServerMessage } from '../src/mesh/wire.js';
import * as viewNew from '../src/mesh/view.js';
import * as applyNew from '../src/mesh/view-apply.js';
import type { Resource, View } from '../src/mesh/view.js';
import { ab, baseModule } from './ab.js';

const SERVICES = Number(process.env.SERVICES ?? 1000);
const ENDPOINTS = Number(process.env.ENDPOINTS ?? 10);
type Views = typeof viewNew;
type Apply = typeof applyNew;

function endpoints(v: Views, s: number, moved: number): Resource {
  return v.withVersion({
    kind: 'endpoints',
    name: `endpoints/shop/s${s}`,
    endpoints: Array.from({ length: ENDPOINTS }, (_, e) => ({
      address: `198.${18 + (e === 0 ? moved : 0)}.${e * 16 + (s >> 8)}.${s & 255}`,
      identity: 'spiffe://cluster.local/ns/shop/sa/app',
      mtls: true,
    })),
  });
}

function catalog(v: Views): View {
  const rs: Resource[] = [];
  for (let s = 0; s < SERVICES; s++) {
    rs.push(
      v.withVersion({
        kind: 'service',
        name: `service/shop/s${s}`,
        service: {
          name: `s${s}`,
          namespace: 'shop',
          addresses: [`10.96.${s >> 8}.${s & 255}`],
          ports: [{ port: 80 }],
        },
      }),
      endpoints(v, s, 0),
    );
  }
  return new Map(rs.map((r) => [r.name, r]));
}

/** An op applying the change and its undo in turn, on this build's or the base's code. */
function toggler(v: Views, a: Apply): () => void {
  const CHANGED = 7;
  let view = a.applyMessage(new Map(), message(v, catalog(v), 'snapshot'), 'cluster.local');
  if (!view.ok) throw new Error(view.error);
  const there = (held: View, moved: number): ServerMessage => {
    const next = new Map(held);
    const r = endpoints(v, CHANGED, moved);
    next.set(r.name, r);
    return { type: 'delta', nonce: 'n', version: v.viewVersion(next), resources: [r], removed: [] };
  };
  const forth = there(view.view, 1);
  const back = there(view.view, 0);
  let moved = false;
  return () => {
    const r = a.applyMessage(
      view.ok ? view.view : new Map(),
      moved ? back : forth,
      'cluster.local',
    );
    if (!r.ok) throw new Error(r.error);
    view = r;
    moved = !moved;
  };
}

function message(v: Views, view: View, type: 'snapshot'): ServerMessage {
  return {
    type,
    nonce: 'n',
    version: v.viewVersion(view),
    resources: [...view.values()],
    removed: [],
  };
}

const variants: Record<string, () => unknown> = { new: toggler(viewNew, applyNew) };
const baseViews = await baseModule<Views>('src/mesh/view.js');
const baseApply = await baseModule<Apply>('src/mesh/view-apply.js');
if (baseViews && baseApply) variants.base = toggler(baseViews, baseApply);
await ab(`apply one endpoint change, ${SERVICES} × ${ENDPOINTS}`, variants, { n: 50, rounds: 8 });

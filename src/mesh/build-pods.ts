// The pods by address (`pod/<ip>`), built from the endpoints resources: what a
// scoped sidecar looks up, on demand, for an address it does not hold endpoints
// for. An inbound sidecar learns who a caller is (the destination reporter's
// source labels) and an outbound one learns that an address it was asked to dial
// directly is a meshed pod (so it sends mTLS checked against that pod's identity,
// never plaintext). Only pods behind a Service's endpoints are here, as before
// scoping: a caller that backs no Service was unknown to the metrics then too.
import type { PodEntry } from './config.js';
import type { Resource } from './view.js';
import { podKey, withVersion } from './view.js';

export function buildPodResources(shared: ReadonlyMap<string, Resource>): Map<string, Resource> {
  const byAddress = new Map<string, PodEntry>();
  for (const r of shared.values()) {
    if (r.kind !== 'endpoints') continue;
    const service = r.name.slice('endpoints/'.length);
    for (const e of r.endpoints) {
      const known = byAddress.get(e.address);
      if (!known) byAddress.set(e.address, { ...e, services: [service] });
      else if (known.services.length < 64) known.services.push(service);
    }
  }
  const out = new Map<string, Resource>();
  for (const [address, pod] of byAddress) {
    pod.services.sort();
    const name = podKey(address);
    out.set(name, withVersion({ kind: 'pod', name, pod }));
  }
  return out;
}

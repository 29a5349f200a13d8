// The request paths, assembled in one place. Read each list from the outside in:
//
// outbound: telemetry (sees every outcome, including the rescue's)
//         → rescue (turns any typed failure into its status and flag)
//         → trace (the hop gets its own span id before anything is sent)
//         → route (logical: which service)
//         → balance (endpoint: which pod, per request)
//         → forward (mTLS to that pod's sidecar, pooled)
//
// inbound:  telemetry (the access log names the deciding policy and rule)
//         → rescue (a denial becomes Envoy's 403 `RBAC: access denied`)
//         → trace
//         → authorize (the verified peer is known: the listener checked it; the
//           policies are read per request, so a change reaches open connections)
//         → forward (the app on the pod's own IP)
//
// Routing rules (a later issue) slot in after route (outbound).
import type { Handler, Layer } from './exchange.js';

export function compose(layers: readonly Layer[]): Handler {
  const terminal: Handler = () => Promise.resolve();
  return layers.reduceRight<Handler>((next, layer) => layer(next), terminal);
}

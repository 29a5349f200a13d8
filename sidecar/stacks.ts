// The request paths, assembled in one place. Read each list from the outside in:
//
// outbound: telemetry (sees every outcome, including the rescue's)
//         → rescue (turns any typed failure into its status and flag)
//         → trace (the hop gets its own span id before anything is sent)
//         → route (logical: which service the app called, and on which port)
//         → routes (the HTTPRoute/GRPCRoute rule for that call: 404 when none
//           matches, a redirect answered here, else the request rewritten and the
//           target switched to the backend Service picked: concrete)
//         → trafficPolicy (the backend Service's TrafficPolicy, or weft's defaults:
//           its state hangs on the exchange for the layers below)
//         → fault (a delay, or an abort answered here: before any copy or try)
//         → requestBody (holds a small body whole when the rule retries or mirrors;
//           else, when the policy retries, keeps a copy as the body streams)
//         → mirror (copies on the side, never awaited)
//         → timeout (the rule's request timeout: every try and wait below it)
//         → retry (the rule's retries, else the policy's; the Service's budget caps
//           both; each try through pool and balance again; only replayable requests)
//         → pool (the policy's connection-pool limits, per try: 503 UO over them)
//         → balance (endpoint: which pod of the backend, per try, skipping the
//           ones outlier detection ejected, and telling it how each try ended)
//         → forward (mTLS to that pod's sidecar, pooled)
//
// inbound:  telemetry (the access log names the deciding policy and rule)
//         → rescue (a denial becomes Envoy's 403 `RBAC: access denied`)
//         → trace
//         → authorize (the verified peer is known: the listener checked it; the
//           policies are read per request, so a change reaches open connections)
//         → forward (the app on the pod's own IP)
//
// Without a route on the called Service the routing layers pass the request
// straight on: routes looks one map up, the others test one field.
import type { Handler, Layer } from './exchange.js';

export function compose(layers: readonly Layer[]): Handler {
  const terminal: Handler = () => Promise.resolve();
  return layers.reduceRight<Handler>((next, layer) => layer(next), terminal);
}

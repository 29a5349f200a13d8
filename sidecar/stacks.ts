// The request paths, assembled in one place. Read each list from the outside in:
//
// outbound: telemetry (sees every outcome, including the rescue's)
//         → rescue (turns any typed failure into its status and flag)
//         → trace (the hop gets its own span id before anything is sent)
//         → route (logical: which service)
//         → balance (endpoint: which pod, per request)
//         → forward (mTLS to that pod's sidecar, pooled)
//
// inbound:  telemetry → rescue → trace → forward (the app on the pod's own IP)
//
// Authorization and routing rules (a later issue) slot in after route (outbound)
// and before forward (inbound), where the target and the verified peer are known.
import type { Handler, Layer } from './exchange.js';

export function compose(layers: readonly Layer[]): Handler {
  const terminal: Handler = () => Promise.resolve();
  return layers.reduceRight<Handler>((next, layer) => layer(next), terminal);
}

// The address the sidecar's connections to its own app come from: 127.0.0.6, the
// address Istio's inbound passthrough cluster binds (InboundPassthroughClusterIpv4).
// The capture rules (iptables-rules.ts) send the sidecar's other dials to its pod's
// own IP to its inbound listener, so a pod calling a Service that includes itself
// gets mTLS and policy like any peer; a dial from this address is let through, so
// the inbound listener's own forwarding to the app is not captured again (a loop).
// Any 127/8 address is already on `lo`, so nothing needs to configure it.
import net from 'node:net';

export const APP_SOURCE_IPV4 = '127.0.0.6';

/**
 * The local address to bind for a connection to this pod's app at `target`, or none.
 * IPv4 only: weft writes no ip6tables rules, so an IPv6 dial is never recaptured.
 */
export function appSource(target: string): string | undefined {
  return net.isIPv4(target) ? APP_SOURCE_IPV4 : undefined;
}

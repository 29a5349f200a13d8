// Fault injection (TrafficPolicy `fault`, Istio's HTTPFaultInjection), decided
// once per request before anything goes upstream (src/traffic decideFault): a
// delay, then maybe an abort answered here, never sent on and never mirrored, as
// Envoy's fault filter sits before its router. Flags: DI for a delay, FI for an
// abort. A Service with a fault gets no retries and no timeouts (retry.ts,
// timeout.ts), so the fault reaches the caller as configured.
import type { Random } from '../../src/random.js';
import { secureRandom } from '../../src/random.js';
import { decideFault, formatFlags, mergeFlags } from '../../src/traffic/index.js';
import type { FaultDecision } from '../../src/traffic/index.js';
import type { Exchange, Layer } from '../exchange.js';
import { clientGone, onReplyEnd, untilReplyEnds } from '../exchange.js';
import type { Sleep } from './retry.js';
import { sleep } from './retry.js';

/** Envoy's body for a fault abort. */
const ABORT_BODY = 'fault filter abort';

async function answerAbort(
  ex: Exchange,
  abort: NonNullable<FaultDecision['abort']>,
): Promise<void> {
  if ('grpcStatus' in abort) {
    // As Envoy's: HTTP 200, trailers-only, grpc-status the configured code.
    ex.grpcStatus = String(abort.grpcStatus);
    ex.res.writeHead(200, {
      'content-type': 'application/grpc',
      'grpc-status': ex.grpcStatus,
      'grpc-message': ABORT_BODY.replace(/ /g, '%20'),
    });
    ex.res.end();
  } else {
    ex.res.writeHead(abort.httpStatus, {
      'content-type': 'text/plain',
      'content-length': Buffer.byteLength(ABORT_BODY),
    });
    ex.res.end(ABORT_BODY);
  }
  await untilReplyEnds(ex);
}

export const fault =
  (random: Random = secureRandom, wait: Sleep = sleep): Layer =>
  (next) =>
  async (ex) => {
    const d = decideFault(ex.traffic?.settings.fault, random);
    if (!d) return next(ex);
    ex.flags = mergeFlags(ex.flags, formatFlags(d.flags));
    if (d.delayMs > 0) {
      // A client that leaves ends the delay, as Envoy's fault filter stops on a reset:
      // an abandoned request holds no exchange or timer for the rest of it.
      const left = new AbortController();
      onReplyEnd(ex, () => left.abort(new Error('client gone')));
      await wait(d.delayMs, left.signal).catch(() => undefined);
    }
    if (clientGone(ex)) return;
    if (d.abort) return answerAbort(ex, d.abort);
    return next(ex);
  };

// What a running pod's capture really is, read from the arguments its weft-init
// container ran with (the nat rules come from those and nothing else), plus any
// container that runs as the proxy's UID or GID. Annotations are not read: they
// say what was asked, not what was programmed.
import { parseArgs } from 'node:util';
import type { V1Pod } from '@kubernetes/client-node';
import { proxyIdBypass, specWeakenings } from '../capture/capture-policy.js';
import type { Weakening } from '../capture/capture-policy.js';
import { CAPTURE_FLAGS, PROXY_GID, PROXY_UID, parseCaptureArgs } from '../capture/capture-spec.js';

const INIT = 'weft-init';
const PROXY = 'weft-proxy';

export interface CaptureFacts {
  /** How capture is weakened, worst first; empty when it is whole. */
  readonly weakenings: readonly Weakening[];
  /** Why the capture could not be read (no weft-init, or arguments weft never writes). */
  readonly unreadable?: string;
}

function programmed(pod: V1Pod): CaptureFacts {
  const init = pod.spec?.initContainers?.find((c) => c.name === INIT);
  if (!init)
    return { weakenings: [], unreadable: `has no ${INIT} container: nothing captures its traffic` };
  const [command, ...args] = init.args ?? [];
  try {
    if (command !== 'init-iptables') throw new Error(`runs "${command ?? ''}"`);
    const { values } = parseArgs({
      args,
      options: Object.fromEntries(CAPTURE_FLAGS.map((f) => [f, { type: 'string' as const }])),
      strict: true,
      allowPositionals: false,
    });
    return { weakenings: specWeakenings(parseCaptureArgs(values)) };
  } catch (err) {
    return {
      weakenings: [],
      unreadable: `${INIT}'s arguments are not weft's (${(err as Error).message}): its capture is unknown`,
    };
  }
}

/** The capture of an injected pod. */
export function captureFacts(pod: V1Pod): CaptureFacts {
  const facts = programmed(pod);
  const ids = proxyIdBypass(pod.spec ?? {}, [INIT, PROXY], PROXY_UID, PROXY_GID);
  return { ...facts, weakenings: [...ids, ...facts.weakenings] };
}

// The sidecar's half of the protocol, pure: a message applied to the view it
// holds gives either the next view (and the mesh config compiled from it) or the
// reason it was refused. Nothing is half-applied: any refused resource refuses
// the whole message and the last good view stays.
import type { MeshConfig } from './config.js';
import type { Resource, View } from './view.js';
import { Resource as ResourceSchema, toMeshConfig, viewVersion } from './view.js';
import type { ClientMessage, ServerMessage } from './wire.js';

export type Applied =
  | { readonly ok: true; readonly view: View; readonly config: MeshConfig }
  | { readonly ok: false; readonly error: string; readonly rejected: readonly string[] };

type Refused = Extract<Applied, { ok: false }>;

/** The NACK for a refused message: the version still held, the reason, what was refused. */
export function nackOf(held: View, nonce: string, r: Refused): ClientMessage {
  return {
    type: 'nack',
    nonce,
    version: viewVersion(held),
    error: r.error,
    rejected: [...r.rejected],
  };
}

/**
 * A refusal saying the server's idea of this view diverged from what is held: only a
 * new stream re-syncs (destroy the session, not close: a GOAWAY leaves the stream open).
 */
export const mustResync = (r: Refused): boolean => r.error.startsWith('view diverged');

function nameOf(raw: unknown): string {
  const n = (raw as { name?: unknown } | null)?.name;
  return typeof n === 'string' ? n.slice(0, 512) : '?';
}

function parseResources(raws: readonly unknown[]): {
  ok: Resource[];
  errors: string[];
  rejected: string[];
} {
  const ok: Resource[] = [];
  const errors: string[] = [];
  const rejected: string[] = [];
  for (const raw of raws) {
    const r = ResourceSchema.safeParse(raw);
    if (r.success) {
      ok.push(r.data);
      continue;
    }
    const issue = r.error.issues[0];
    rejected.push(nameOf(raw));
    errors.push(
      `${nameOf(raw)}: ${issue?.path.map(String).join('.') ?? ''}: ${issue?.message ?? ''}`,
    );
  }
  return { ok, errors, rejected };
}

export function applyMessage(
  current: View,
  message: ServerMessage,
  clusterDomain: string,
): Applied {
  const parsed = parseResources(message.resources);
  if (parsed.errors.length) {
    return { ok: false, error: parsed.errors.slice(0, 5).join('; '), rejected: parsed.rejected };
  }
  const next = new Map(current);
  for (const name of message.removed) next.delete(name);
  for (const r of parsed.ok) next.set(r.name, r);
  const version = viewVersion(next);
  if (version !== message.version) {
    // The server and this sidecar disagree on what the sidecar holds: refuse, and
    // the server answers with what differs from the last version acknowledged.
    return {
      ok: false,
      error: `view diverged: ${version} is not ${message.version}`,
      rejected: [],
    };
  }
  try {
    return { ok: true, view: next, config: toMeshConfig(next, clusterDomain) };
  } catch (err) {
    return {
      ok: false,
      error: `not a valid mesh config: ${String(err)}`.slice(0, 2000),
      rejected: [],
    };
  }
}

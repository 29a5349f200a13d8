// Reassembles a message the control plane split over several lines (`more`: only
// scoped sidecars, which declared they understand it, get one): the parts are
// applied together, as one message and one version, or not at all.
import { ErrorCode, WeftError } from '../errors.js';
import type { ServerMessage } from './wire.js';

/** 64 lines of at most 4 MiB: a 20 000-Service catalog is about 4 MB (4 lines of 1 MiB). */
export const MAX_PARTS = 64;
const MAX_RESOURCES = 200_000;

export class ChunkAssembler {
  private parts: ServerMessage[] = [];
  private count = 0;

  /** The whole message once its last part is here; undefined while more are to come. */
  push(m: ServerMessage): ServerMessage | undefined {
    const first = this.parts[0];
    if (first && (first.nonce !== m.nonce || first.version !== m.version || first.type !== m.type))
      this.fail(`part of message ${m.nonce} inside message ${first.nonce}`);
    this.count += m.resources.length;
    if (this.parts.length >= MAX_PARTS || this.count > MAX_RESOURCES)
      this.fail(`message ${m.nonce} over ${MAX_PARTS} parts or ${MAX_RESOURCES} resources`);
    if (m.more) {
      this.parts.push(m);
      return undefined;
    }
    if (!first) {
      this.reset();
      return m;
    }
    const all = [...this.parts, m];
    this.reset();
    return {
      type: m.type,
      nonce: m.nonce,
      version: m.version,
      resources: all.flatMap((p) => p.resources),
      removed: all.flatMap((p) => p.removed),
    };
  }

  private reset(): void {
    this.parts = [];
    this.count = 0;
  }

  private fail(message: string): never {
    this.reset();
    throw new WeftError(ErrorCode.BadRequest, message);
  }
}

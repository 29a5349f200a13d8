// V8 options for the sidecar, as NODE_OPTIONS on weft-proxy (V8 reads them only at
// start), sized from the container's memory limit.
//
// - `--max-semi-space-size=1`: a young generation of 1 MB semi-spaces (V8's default
//   lets them grow to 16 MB). A sidecar's garbage is short-lived per-request
//   objects; 2 MB (the value before) already measured less RSS and CPU than 16.
// - `--max-old-space-size`: half the memory limit, the other half left to what V8's
//   heap does not hold (the node binary's pages, code, TLS and socket buffers,
//   malloc). Without it V8 sizes the old generation from the machine's memory, or
//   the cgroup's where libuv finds one, and on a large machine lets the heap grow by
//   up to 4x between full collections; under 256 MB it keeps to 1.3x (V8's
//   heap-controller), which is where a sidecar's resident memory goes under load.
// bench:variants, one run, 2 rounds (commit message of this file): RSS peak under
// 1000 rps 84/90 -> 81/83 MB (client/server), at start 67.7 -> 65.3 MB, CPU per
// request unchanged (0.96 -> 0.94 CPU-s per 1000 requests, within the noise).

/** The injector's default memory limit for weft-proxy (webhook/injection-config.ts). */
export const DEFAULT_PROXY_MEMORY_LIMIT_BYTES = 256 * 2 ** 20;

const MIB = 2 ** 20;
/** V8 refuses to start with less; a limit this small would fail anyway. */
const MIN_OLD_SPACE_MIB = 16;

/** NODE_OPTIONS for a sidecar with this memory limit (bytes); none set: V8's own sizing. */
export function sidecarNodeOptions(memoryLimitBytes?: number): string {
  const options = ['--max-semi-space-size=1'];
  if (memoryLimitBytes !== undefined && Number.isFinite(memoryLimitBytes)) {
    const mib = Math.max(MIN_OLD_SPACE_MIB, Math.floor(memoryLimitBytes / 2 / MIB));
    options.push(`--max-old-space-size=${mib}`);
  }
  return options.join(' ');
}

/** What a sidecar with the injector's default limit runs with (tests and benches run it so). */
export const SIDECAR_NODE_OPTIONS = sidecarNodeOptions(DEFAULT_PROXY_MEMORY_LIMIT_BYTES);

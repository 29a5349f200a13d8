// `weft init-iptables`: programs the pod's nat table once (the weft-init
// container), idempotently: weft's chains are emptied and rewritten, and the jumps
// into them are added only if absent. --dry-run prints instead of applying.
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { CAPTURE_FLAGS, parseCaptureArgs } from '../src/capture/capture-spec.js';
import { JUMPS, natRestoreInput } from '../src/capture/iptables-rules.js';
import { ErrorCode, WeftError } from '../src/errors.js';

export const INIT_IPTABLES_USAGE = `Usage: weft init-iptables [flags] [--dry-run]

Redirects the pod's inbound TCP to the sidecar's inbound port and its outbound TCP
to the outbound port, leaving the sidecar's own UID/GID and loopback alone.

Flags: ${CAPTURE_FLAGS.map((f) => `--${f}`).join(' ')} --dry-run
`;

function run(cmd: string, args: string[], input?: string): void {
  try {
    execFileSync(cmd, args, { input, stdio: ['pipe', 'inherit', 'pipe'] });
  } catch (err) {
    const e = err as { code?: string; stderr?: Buffer };
    const why =
      e.code === 'ENOENT'
        ? `${cmd} is not installed`
        : (e.stderr?.toString().trim() ?? String(err));
    throw new WeftError(ErrorCode.Internal, `${cmd} ${args.join(' ')}: ${why}`);
  }
}

function present(chain: string, rule: readonly string[]): boolean {
  try {
    execFileSync('iptables', ['-t', 'nat', '-C', chain, ...rule], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function runInitIptables(args: readonly string[]): Promise<number> {
  if (args.includes('--help')) {
    process.stdout.write(INIT_IPTABLES_USAGE);
    return Promise.resolve(0);
  }
  let values;
  try {
    values = parseArgs({
      args: [...args],
      strict: true,
      options: {
        ...Object.fromEntries(CAPTURE_FLAGS.map((f) => [f, { type: 'string' as const }])),
        'dry-run': { type: 'boolean' },
      },
    }).values;
  } catch (cause) {
    throw new WeftError(ErrorCode.ConfigInvalid, (cause as Error).message, { cause });
  }
  const spec = parseCaptureArgs(values as Record<string, string | undefined>);
  const input = natRestoreInput(spec);
  if (values['dry-run']) {
    process.stdout.write(
      input +
        JUMPS.map(([c, r]) => `# if absent: iptables -t nat -A ${c} ${r.join(' ')}\n`).join(''),
    );
    return Promise.resolve(0);
  }
  run('iptables-restore', ['--noflush'], input);
  for (const [chain, rule] of JUMPS) {
    if (!present(chain, rule)) run('iptables', ['-t', 'nat', '-A', chain, ...rule]);
  }
  process.stderr.write(
    `weft init-iptables: nat table programmed (inbound → ${spec.inboundPort}, outbound → ${spec.outboundPort})\n`,
  );
  return Promise.resolve(0);
}

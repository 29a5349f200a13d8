// `kubectl weft inject -f FILE`: manual injection with the webhook's own pure
// function, for Pods, Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs,
// CronJobs, Lists and multi-document files. Other objects pass through unchanged.
import { readFileSync } from 'node:fs';
import { parseAllDocuments, stringify } from 'yaml';
import { z } from 'zod';
import { InjectionConfigSchema } from '../webhook/injection-config.js';
import { injectObject } from '../webhook/workloads.js';
import { parseConfig, parseFlags } from '../src/config/parse.js';
import { ErrorCode, WeftError } from '../src/errors.js';

export const INJECT_USAGE = `Usage: kubectl weft inject -f FILE [flags]

Prints FILE (or - for stdin) with weft's init container and sidecar added to every
pod and pod template in it, exactly as the webhook would. Pods labelled
weft.dev/inject=false and hostNetwork pods are left as they are.

Flags:
  -f, --filename FILE              YAML or JSON, one or more documents
  --native-sidecars on|off         (default on: Kubernetes 1.29 and later)
  --image REF   --ca-address HOST:PORT   --trust-domain NAME   --proxy-log-level LEVEL
`;

const Schema = z.strictObject({
  filename: z.string({ error: 'is required' }),
  nativeSidecars: z.enum(['on', 'off']).default('on'),
  image: z.string().optional(),
  caAddress: z.string().optional(),
  trustDomain: z.string().optional(),
  proxyLogLevel: z.string().optional(),
});

const flags = {
  filename: {},
  'native-sidecars': {},
  image: {},
  'ca-address': {},
  'trust-domain': {},
  'proxy-log-level': {},
};

function readInput(file: string): string {
  try {
    return readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (cause) {
    throw new WeftError(ErrorCode.BadRequest, `cannot read ${file}: ${(cause as Error).message}`, {
      cause,
    });
  }
}

export function runInject(args: readonly string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(INJECT_USAGE);
    return Promise.resolve(0);
  }
  const expanded = args.map((a) => (a === '-f' ? '--filename' : a));
  const f = parseConfig(Schema, parseFlags(expanded, flags));
  const config = InjectionConfigSchema.parse(
    Object.fromEntries(
      Object.entries({
        nativeSidecars: f.nativeSidecars === 'on',
        image: f.image,
        caAddress: f.caAddress,
        trustDomain: f.trustDomain,
        logLevel: f.proxyLogLevel,
      }).filter(([, v]) => v !== undefined),
    ),
  );
  const docs = parseAllDocuments(readInput(f.filename));
  const out: string[] = [];
  for (const [i, doc] of docs.entries()) {
    if (doc.errors.length) {
      throw new WeftError(
        ErrorCode.BadRequest,
        `${f.filename}: document ${i + 1}: ${doc.errors[0]!.message}`,
      );
    }
    const obj = doc.toJS() as Record<string, unknown> | null;
    if (obj === null) continue;
    out.push(stringify(injectObject(obj, config)));
  }
  process.stdout.write(out.join('---\n'));
  return Promise.resolve(0);
}

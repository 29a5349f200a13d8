// The flags every kubectl weft command shares, with kubectl's names and habits:
// --kubeconfig, --context, -n/--namespace, -A/--all-namespaces, -o.
import { parseArgs } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { PluginError, PluginExit } from './errors.js';

export type OutputFormat = 'table' | 'wide' | 'json' | 'yaml';

export interface GlobalOptions {
  readonly kc: KubeConfig;
  readonly server: string;
  /** undefined with -A. */
  readonly namespace: string | undefined;
  readonly output: OutputFormat;
  readonly color: boolean;
}

type Extra = Record<
  string,
  { type: 'string' | 'boolean'; short?: string; default?: string | boolean }
>;

export function parseOptions(
  args: readonly string[],
  extra: Extra,
  formats: readonly OutputFormat[],
): {
  global: GlobalOptions;
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
} {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      allowPositionals: true,
      strict: true,
      options: {
        kubeconfig: { type: 'string' },
        context: { type: 'string' },
        namespace: { type: 'string', short: 'n' },
        'all-namespaces': { type: 'boolean', short: 'A' },
        output: { type: 'string', short: 'o', default: formats[0] },
        ...extra,
      },
    });
  } catch (err) {
    throw new PluginError((err as Error).message, PluginExit.Usage);
  }
  const v = parsed.values as Record<string, string | boolean | undefined>;
  const output = v.output as OutputFormat;
  if (!formats.includes(output)) {
    throw new PluginError(`-o ${output}: choose one of ${formats.join(', ')}`, PluginExit.Usage);
  }
  const kc = new KubeConfig();
  try {
    if (typeof v.kubeconfig === 'string') kc.loadFromFile(v.kubeconfig);
    else kc.loadFromDefault();
  } catch (err) {
    throw new PluginError(`cannot load kubeconfig: ${(err as Error).message}`, PluginExit.Usage);
  }
  if (typeof v.context === 'string') {
    if (!kc.getContextObject(v.context)) {
      throw new PluginError(
        `context "${v.context}" not found in the kubeconfig`,
        PluginExit.NotFound,
      );
    }
    kc.setCurrentContext(v.context);
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new PluginError('no current context in the kubeconfig', PluginExit.Usage);
  const contextNs = kc.getContextObject(kc.getCurrentContext())?.namespace;
  const namespace = v['all-namespaces']
    ? undefined
    : ((v.namespace as string | undefined) ?? contextNs ?? 'default');
  const color = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
  return {
    global: { kc, server: cluster.server, namespace, output, color },
    values: v,
    positionals: parsed.positionals,
  };
}

/** Go-style durations for flags: 90s, 30m, 6h, 7d. */
export function parseDuration(text: string, flag: string): number {
  const m = /^(\d+)(s|m|h|d)$/.exec(text);
  if (!m)
    throw new PluginError(
      `${flag} ${text}: expected a duration like 30m, 6h or 7d`,
      PluginExit.Usage,
    );
  return Number(m[1]) * { s: 1e3, m: 6e4, h: 36e5, d: 864e5 }[m[2] as 's' | 'm' | 'h' | 'd'];
}

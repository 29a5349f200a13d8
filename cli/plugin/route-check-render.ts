// `kubectl weft route-check` as text: the request, the routes the caller gets,
// the match that decides, and what happens: forwarded (filters, target, Host,
// headers, each backend with its probability, mirrors, timeouts, retry),
// redirected, or answered by the sidecar itself (404, 500).
import { describeModifier, percent } from './route-describe.js';
import type { HeaderChanges, RouteCheckView } from './route-check-model.js';

const line = (label: string, text: string): string => `${`${label}:`.padEnd(10)} ${text}`;

function changes(c: HeaderChanges): string[] {
  return [
    ...Object.entries(c.set).map(([k, v]) => `${k}: ${v}`),
    ...c.removed.map((k) => `${k} removed`),
  ];
}

function backendLines(v: RouteCheckView): string[] {
  return (v.backends ?? []).map((b, i) => {
    const extra = [
      ...(b.headers ? changes(b.headers) : []),
      ...(b.responseHeaders ? [`response ${describeModifier(b.responseHeaders)}`] : []),
    ];
    const text = `${b.backend}  ${percent(b.probability)} (weight ${b.weight})${extra.length ? `  ${extra.join('; ')}` : ''}`;
    return i === 0 ? line('Backends', text) : `${' '.repeat(11)}${text}`;
  });
}

function limits(v: RouteCheckView): string[] {
  const t = v.timeouts ?? {};
  const timeouts = [
    ...(t.request ? [`request ${t.request}`] : []),
    ...(t.backendRequest ? [`backendRequest ${t.backendRequest}`] : []),
  ];
  const r = v.retry;
  const retry = r
    ? `${r.attempts ?? "weft's default"} attempts on ${r.codes.join(', ') || 'no codes'}${r.backoff ? `, backoff ${r.backoff}` : ''}`
    : 'none set';
  return [line('Timeouts', timeouts.join(', ') || 'none set'), line('Retry', retry)];
}

function forward(v: RouteCheckView): string[] {
  const h = v.headers ? changes(v.headers) : [];
  return [
    line('Target', v.target ?? ''),
    ...(v.host ? [line('Host', `${v.host} (rewritten)`)] : []),
    ...(h.length ? [line('Headers', h.join('; '))] : []),
    ...(v.responseHeaders?.length
      ? [line('Response', v.responseHeaders.map(describeModifier).join('; '))]
      : []),
    ...backendLines(v),
    ...(v.mirrors ?? []).map((m) =>
      line('Mirror', `${m.backend}  ${percent(m.probability)} of requests`),
    ),
    ...limits(v),
  ];
}

function answer(v: RouteCheckView): string[] {
  const svc = `${v.service.namespace}/${v.service.name}:${v.service.port}`;
  switch (v.outcome) {
    case 'no-route':
      return [
        line('Answer', `no route: the Service as it is (${svc}, balanced over its endpoints)`),
      ];
    case 'no-match':
      return [line('Answer', '404: routes attach to the Service but no rule matches')];
    case 'redirect':
      return [line('Answer', `${v.status ?? ''} redirect`), line('Location', v.location ?? '')];
    case 'error':
      return [line('Answer', `500: ${v.why ?? ''}`)];
    case 'forward':
      return [line('Answer', 'forwarded'), ...forward(v)];
  }
}

export function renderRouteCheck(v: RouteCheckView, notes: readonly string[]): string {
  const from = v.caller.pod
    ? `pod ${v.caller.namespace}/${v.caller.pod}`
    : `namespace ${v.caller.namespace}`;
  const out = [
    line('Request', `${v.request.method} ${v.request.url} (Host: ${v.request.host})`),
    line('From', from),
    ...notes.map((n) => line('Note', n)),
  ];
  const r = v.routes;
  out.push(
    line(
      'Routes',
      r ? `${r.scope} ${r.kind}s of ${r.namespace}: ${r.names.join(', ')}` : 'none attached',
    ),
  );
  if (v.match) {
    const m = v.match;
    out.push(
      line(
        'Matched',
        `${m.kind} ${m.route} rule ${m.rule}${m.ruleName ? ` (${m.ruleName})` : ''}, ${m.match < 0 ? 'no matches' : `match ${m.match}`}: ${m.matches}`,
      ),
    );
  }
  if (v.filters.length) out.push(line('Filters', v.filters.join(' + ')));
  return [...out, ...answer(v)].join('\n') + '\n';
}

// The request path as Istio's default (BASE) normalisation makes it, which the
// sidecar both authorizes and forwards: a DENY on /admin* must see the path the app
// routes on, whatever `/x/../admin` or `/%61dmin` a client sends. Per Istio's
// normalization reference: percent-encoded unreserved characters (ALPHA DIGIT - . _ ~)
// are decoded once (others, %2F included, stay encoded), a backslash becomes a
// slash, then RFC 3986 remove_dot_segments. Slashes are not merged (that is the
// MERGE_SLASHES option, not the default). %00 is refused, as Istio refuses it.

const UNRESERVED = /^[A-Za-z0-9\-._~]$/;
const NEEDS_WORK = /[%\\]|\/\.\.?(\/|$)/;

/** `/`-rooted path with `.` and `..` segments resolved (RFC 3986 §5.2.4). */
export function removeDotSegments(path: string): string {
  const segments = path.split('/').slice(1);
  const out: string[] = [];
  segments.forEach((s, i) => {
    const last = i === segments.length - 1;
    if (s === '..') out.pop();
    else if (s !== '.') return void out.push(s);
    // A trailing `.` or `..` leaves the directory it names: `/a/b/..` is `/a/`.
    if (last) out.push('');
  });
  return `/${out.join('/')}`;
}

/** The normalised path, or undefined for one that must be refused (not `/`-rooted, or %00). */
export function normalizePath(path: string): string | undefined {
  if (!path.startsWith('/')) return undefined;
  // The common path has nothing to normalise (no escape, backslash or dot segment):
  // returned as it is, without the decode, split and join below on every request.
  if (!NEEDS_WORK.test(path)) return path;
  if (/%00/.test(path)) return undefined;
  const decoded = path
    .replace(/%([0-9A-Fa-f]{2})/g, (m, hex: string) => {
      const c = String.fromCharCode(parseInt(hex, 16));
      return UNRESERVED.test(c) ? c : m;
    })
    .replaceAll('\\', '/');
  return removeDotSegments(decoded);
}

/**
 * A request target (path and query) with its path normalised; undefined if it is not
 * origin-form. The query is kept as sent. `*` is returned as is: only the caller
 * knows whether the method (OPTIONS) allows it.
 */
export function normalizeTarget(target: string): string | undefined {
  if (target === '*') return target;
  const q = target.indexOf('?');
  const path = normalizePath(q < 0 ? target : target.slice(0, q));
  if (path === undefined) return undefined;
  return q < 0 ? path : path + target.slice(q);
}

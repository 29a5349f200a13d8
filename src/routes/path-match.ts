// Path matching and prefix replacement, the Gateway API way: PathPrefix matches
// whole path elements (`/abc` matches `/abc`, `/abc/`, `/abc/def`, never `/abcd`)
// and ignores a trailing `/` in the prefix; ReplacePrefixMatch follows the table
// in HTTPPathModifier's documentation (httproute_types.go), row for row.

/** The path of a request target, without query string or fragment. */
export function pathOf(target: string): string {
  const q = target.search(/[?#]/);
  return q < 0 ? target : target.slice(0, q);
}

/** The query string of a request target, with its `?` (or ''). */
export function queryOf(target: string): string {
  const q = target.indexOf('?');
  if (q < 0) return '';
  const h = target.indexOf('#', q);
  return h < 0 ? target.slice(q) : target.slice(q, h);
}

/** The prefix without its trailing slashes ('' for "/"). */
function trimmed(prefix: string): string {
  return prefix.replace(/\/+$/, '');
}

export function prefixTest(prefix: string): (path: string) => boolean {
  const p = trimmed(prefix);
  if (p === '') return () => true;
  return (path) =>
    path.startsWith(p) && (path.length === p.length || path.charCodeAt(p.length) === 47);
}

/**
 * `path` (which matched `prefix`) with the prefix replaced by `replacement`:
 *   /foo/bar, /foo, /xyz  → /xyz/bar      /foo, /foo, /xyz  → /xyz
 *   /foo/, /foo, /xyz     → /xyz/         /foo/bar, /foo, '' → /bar
 *   /foo/, /foo, ''       → /             /foo, /foo, /     → /
 */
export function replacePrefix(path: string, prefix: string, replacement: string): string {
  const rest = path.slice(trimmed(prefix).length);
  const base = trimmed(replacement);
  if (rest === '' || rest === '/') return base === '' ? '/' : base + rest;
  return base + rest;
}

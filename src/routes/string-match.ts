// Exact and RegularExpression string matches (headers, query params, gRPC
// service and method), compiled once.
import { compileRegex } from './regex.js';
import type { StringTest } from './types.js';

export function stringTest(
  type: 'Exact' | 'RegularExpression' | undefined,
  value: string,
): StringTest | { error: string } {
  if (type === 'RegularExpression') {
    const r = compileRegex(value);
    if ('error' in r) return r;
    const re = r.regex;
    return (v) => re.test(v);
  }
  return (v) => v === value;
}

/** A header's value as one string: repeated fields joined with ',' (RFC 9110 5.3). */
export function headerValue(v: string | readonly string[] | undefined): string | undefined {
  if (v === undefined) return undefined;
  return typeof v === 'string' ? v : v.join(',');
}

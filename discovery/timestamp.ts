/** metadata.creationTimestamp as RFC 3339, whether the client gave a string or a Date. */
export function timestamp(v: unknown): string {
  if (typeof v === 'string') return v;
  return v instanceof Date ? v.toISOString() : '';
}

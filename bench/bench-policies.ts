// The authorization row's policies (issue 13), shared by bench:sidecar and
// bench:profile so both measure the same 100 rules.

/**
 * 100 rules the request is checked against, matching the last: a DENY policy of 50
 * rules on other paths (all checked, none matches), and an ALLOW policy whose 50th
 * rule is the first to let the client's GET /1k in.
 */
export function benchPolicies(namespace: string): unknown[] {
  const client = `cluster.local/ns/${namespace}/sa/client`;
  const other = (i: number): object => ({ to: [{ operation: { paths: [`/other-${i}/*`] } }] });
  return [
    {
      namespace,
      name: 'bench-deny',
      spec: { action: 'DENY', rules: Array.from({ length: 50 }, (_, i) => other(i)) },
    },
    {
      namespace,
      name: 'bench-allow',
      spec: {
        rules: [
          ...Array.from({ length: 49 }, (_, i) => ({
            from: [{ source: { principals: [client] } }],
            ...other(i),
          })),
          {
            from: [{ source: { principals: [client] } }],
            to: [{ operation: { methods: ['GET'], paths: ['/1k'] } }],
          },
        ],
      },
    },
  ];
}

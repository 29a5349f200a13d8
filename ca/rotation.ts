// Root rotation with overlap, as three steps on the CA Secret's data (pure apart
// from key generation):
//   add     a new root joins every trust bundle; issuing is unchanged;
//   switch  a new issuer under the new root signs from now on;
//   retire  once every leaf from the old root has expired, the old root leaves the bundles.
// Between steps every workload trusts both roots, so no connection fails.
import { ErrorCode, WeftError } from '../src/errors.js';
import {
  KeyType,
  importPrivateKeyPem,
  joinPem,
  parseCertificates,
  privateKeyToPem,
} from '../src/pki/index.js';
import type { Clock } from './authority.js';
import { systemClock } from './authority.js';
import type { SecretData } from './ca-material.js';
import {
  SecretKey,
  fromSecretData,
  generateMaterial,
  generateRoot,
  toSecretData,
} from './ca-material.js';

export const RotationStep = { Add: 'add', Switch: 'switch', Retire: 'retire' } as const;
export type RotationStep = (typeof RotationStep)[keyof typeof RotationStep];

/** Annotation on the CA Secret: when `retire` becomes safe. */
export const RETIRE_AFTER_ANNOTATION = 'weft.dev/retire-old-roots-after';

function refuse(message: string): WeftError {
  return new WeftError(ErrorCode.BadRequest, message);
}

export async function rotateAdd(
  data: SecretData,
  trustDomain: string,
  opts: { weftGenerated?: boolean; clock?: Clock } = {},
): Promise<SecretData> {
  const clock = opts.clock ?? systemClock;
  // A root weft generated may have its key offline; only a plugged-in one is refused.
  if (!data[SecretKey.RootKey] && !opts.weftGenerated) {
    throw refuse(
      `the CA Secret has no ${SecretKey.RootKey}: its root was plugged in by you, so rotate it by updating the Secret (see README)`,
    );
  }
  if (data[SecretKey.NextRoot]) throw refuse('a new root is already staged; run `switch` next');
  const root = await generateRoot({ trustDomain, clock });
  return {
    ...data,
    [SecretKey.Roots]: joinPem([
      ...parseCertificates(data[SecretKey.Roots] ?? ''),
      root.certificate,
    ]),
    [SecretKey.NextRoot]: joinPem([root.certificate]),
    [SecretKey.NextRootKey]: await privateKeyToPem(root.key),
  };
}

export async function rotateSwitch(
  data: SecretData,
  opts: { trustDomain: string; maxLifetimeSeconds: number; clock?: Clock },
): Promise<{ data: SecretData; retireAfter: Date }> {
  const nextPem = data[SecretKey.NextRoot];
  const nextKeyPem = data[SecretKey.NextRootKey];
  if (!nextPem || !nextKeyPem) throw refuse('no new root is staged; run `add` first');
  const [certificate] = parseCertificates(nextPem);
  const key = await importPrivateKeyPem(nextKeyPem, KeyType.EcdsaP256);
  const clock = opts.clock ?? systemClock;
  const fresh = await generateMaterial({
    trustDomain: opts.trustDomain,
    clock,
    root: { certificate: certificate!, key },
  });
  const current = await fromSecretData(data);
  const next = await toSecretData({
    authority: { ...fresh.authority, roots: current.authority.roots },
    rootKey: key,
  });
  // Leaves from the old issuer live at most this long from now (plus clock-skew backdate).
  const retireAfter = new Date(clock.now().getTime() + (opts.maxLifetimeSeconds + 300) * 1000);
  return { data: next, retireAfter };
}

export async function rotateRetire(
  data: SecretData,
  opts: { retireAfter: Date | undefined; force: boolean; clock?: Clock },
): Promise<SecretData> {
  if (data[SecretKey.NextRoot])
    throw refuse('a new root is staged but not switched to; run `switch` first');
  const now = (opts.clock ?? systemClock).now();
  if (!opts.force && opts.retireAfter && now < opts.retireAfter) {
    throw refuse(
      `old roots may still anchor live certificates until ${opts.retireAfter.toISOString()}; retire after that, or pass --force`,
    );
  }
  const material = await fromSecretData(data);
  const top =
    material.authority.chain[material.authority.chain.length - 1] ?? material.authority.issuer;
  const kept = material.authority.roots.filter((r) => r.equal(top));
  if (kept.length === material.authority.roots.length)
    throw refuse('there are no old roots to retire');
  return { ...data, [SecretKey.Roots]: joinPem(kept) };
}

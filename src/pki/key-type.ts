// The key types weft issues for, apart from keys.ts so that code that only names a
// type (the sidecar's certificate agent) does not load @peculiar/x509 with it.
export const KeyType = {
  EcdsaP256: 'ECDSA-P256',
  Rsa2048: 'RSA-2048',
} as const;
export type KeyType = (typeof KeyType)[keyof typeof KeyType];

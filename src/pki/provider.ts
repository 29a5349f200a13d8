// One place that binds @peculiar/x509 to a WebCrypto implementation. Node 20 ships
// WebCrypto natively (globalThis.crypto), so no polyfill is needed; callers that
// want determinism or another provider pass their own `Crypto` down explicitly.
// @peculiar/x509 2.x resolves its ASN.1 schemas through tsyringe, which needs this.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

export const defaultCrypto: Crypto = webcrypto as unknown as Crypto;
x509.cryptoProvider.set(defaultCrypto);

export { x509 };

export * from './keys.js';
export * from './certificate-builder.js';
export * from './serial.js';
export { x509, defaultCrypto } from './provider.js';
export * from './pem.js';
export * from './csr.js';
export * from './verify.js';
export * from './leaf-builder.js';
export * from './ephemeral-ca.js';

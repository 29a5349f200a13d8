import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  OID,
  attribute,
  basicConstraintsExtension,
  extension,
  extensions,
  handmadeCsr,
  sanExtension,
  uriNames,
} from '../../test/fixtures/pki/handmade-csr.js';
import { parseCsr } from './csr.js';

const mine = 'spiffe://cluster.local/ns/shop/sa/web';
const theirs = 'spiffe://cluster.local/ns/weft-system/sa/weft-control-plane';

const refusedAs = (code: string, pattern: RegExp) => (e: unknown) => {
  const err = e as { code?: string; message?: string };
  assert.equal(err.code, code, `code of ${String(e)}`);
  assert.match(err.message ?? '', pattern);
  return true;
};

describe('parseCsr reads what standard parsers read, and refuses what they would read differently', () => {
  it('reads the SAN of a plain extensionRequest', () => {
    const pem = handmadeCsr({
      attributes: [attribute(OID.extensionRequest, extensions(sanExtension(mine)))],
    });
    assert.deepEqual(parseCsr(pem).names.uris, [mine]);
  });

  it('accepts a challengePassword beside the extensionRequest', () => {
    const pem = handmadeCsr({
      attributes: [
        attribute(OID.challengePassword, Buffer.from([0x0c, 0x01, 0x78])),
        attribute(OID.extensionRequest, extensions(sanExtension(mine))),
      ],
    });
    assert.deepEqual(parseCsr(pem).names.uris, [mine]);
  });

  it('refuses two values in one extensionRequest (Go and OpenSSL read only the first)', () => {
    // What an approver sees (value 1: no SAN) is not what would be signed (value 2).
    const pem = handmadeCsr({
      commonName: mine,
      attributes: [
        attribute(
          OID.extensionRequest,
          extensions(basicConstraintsExtension()),
          extensions(sanExtension(theirs)),
        ),
      ],
    });
    assert.throws(() => parseCsr(pem), refusedAs('csr_malformed', /exactly one value/));
  });

  it('refuses two extensionRequest attributes', () => {
    const pem = handmadeCsr({
      attributes: [
        attribute(OID.extensionRequest, extensions()),
        attribute(OID.extensionRequest, extensions(sanExtension(mine))),
      ],
    });
    assert.throws(() => parseCsr(pem), refusedAs('csr_malformed', /more than once/));
  });

  it('refuses a duplicate extension', () => {
    const pem = handmadeCsr({
      attributes: [
        attribute(OID.extensionRequest, extensions(sanExtension(mine), sanExtension(theirs))),
      ],
    });
    assert.throws(() => parseCsr(pem), refusedAs('csr_malformed', /2\.5\.29\.17 appears twice/));
  });

  it('refuses a SAN in the Microsoft extension attribute (OpenSSL reads it, weft would not)', () => {
    const pem = handmadeCsr({
      attributes: [attribute(OID.msExtensionRequest, extensions(sanExtension(theirs)))],
    });
    assert.throws(() => parseCsr(pem), refusedAs('csr_malformed', /1\.3\.6\.1\.4\.1\.311/));
  });

  it('refuses an extension value with trailing bytes after the SAN', () => {
    // Go refuses trailing data inside extnValue; weft must not read past it either.
    const padded = extension(OID.subjectAltName, Buffer.concat([uriNames(mine), uriNames(theirs)]));
    const pem = handmadeCsr({
      attributes: [attribute(OID.extensionRequest, extensions(padded))],
    });
    assert.throws(() => parseCsr(pem), refusedAs('csr_malformed', /malformed/));
  });

  it('answers a request without a SubjectPublicKeyInfo as malformed (400), not a crash', () => {
    const pem = handmadeCsr({ omitPublicKey: true });
    assert.throws(() => parseCsr(pem), refusedAs('csr_malformed', /not a valid PKCS#10/));
  });
});

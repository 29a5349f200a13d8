import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSource, takeHeaders } from './authz-request.js';

describe('kubectl weft authz check: the request flags', () => {
  it('-H repeated with one name carries every value, as a request with the header twice', () => {
    const { rest, headers } = takeHeaders(['-H', 'X-A: 1', 'GET', '--header', 'x-a:2', '/']);
    assert.deepEqual(rest, ['GET', '/']);
    assert.deepEqual(headers, { 'x-a': ['1', '2'] });
  });

  it('--plaintext needs no --from; addresses and the SNI are taken as given', () => {
    assert.deepEqual(
      parseSource({
        plaintext: true,
        'source-ip': '::ffff:198.51.100.20',
        'remote-ip': '203.0.113.7',
        sni: 'a.b',
      }),
      { plaintext: true, ip: '::ffff:198.51.100.20', remoteIp: '203.0.113.7', sni: 'a.b' },
    );
  });

  it('refuses what cannot be a request: a bad address, two sources of source.ip, no --from', () => {
    assert.throws(() => parseSource({ from: 'foo/curl', 'remote-ip': '1.2.3' }), {
      message: '--remote-ip 1.2.3: expected an IPv4 or IPv6 address',
      exitCode: 2,
    });
    assert.throws(() => parseSource({ from: 'foo/curl/curl-1', 'source-ip': '198.51.100.1' }), {
      message: '--source-ip and a POD in --from both give source.ip: choose one',
    });
    assert.throws(() => parseSource({}), { message: '--from NS/SA is required (or --plaintext)' });
  });
});

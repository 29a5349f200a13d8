import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { APP_SOURCE_IPV4, appSource } from './app-source.js';
import { defaultCapture } from './capture-spec.js';
import { natRestoreInput } from './iptables-rules.js';

describe('the source address of the sidecar’s connections to its app', () => {
  it('is 127.0.0.6 for an IPv4 app address, none for IPv6 (weft captures IPv4 only)', () => {
    assert.equal(appSource('198.51.100.10'), '127.0.0.6');
    assert.equal(appSource('127.0.0.1'), '127.0.0.6');
    assert.equal(appSource('fd00::10'), undefined);
    assert.equal(appSource('::1'), undefined);
  });

  it('is the one address the capture lets through to the app', () => {
    assert.match(
      natRestoreInput(defaultCapture),
      new RegExp(`-A WEFT_OUTPUT -s ${APP_SOURCE_IPV4.replaceAll('.', '\\.')}/32 -o lo -j RETURN`),
    );
  });
});

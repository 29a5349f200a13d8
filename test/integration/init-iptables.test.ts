// `weft init-iptables` with real iptables inside a network namespace: idempotent,
// --dry-run touches nothing, and the rules really capture: inbound TCP lands on
// 15006, the app's outbound on 15001, while the proxy's UID, excluded ports and
// loopback pass untouched; the proxy's own dial to its pod's IP goes to 15006 unless
// it comes from 127.0.0.6 (its connections to the app).
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { WEFT_BIN } from '../support/weft-process.js';
import { PROBE, netnsPair } from '../support/netns.js';
import type { Pair } from '../support/netns.js';

describe('weft init-iptables in a network namespace', () => {
  let pair: Pair;
  let listener: ChildProcess;
  const seen: { port: number; from?: string }[] = [];
  const node = process.execPath;
  const natTable = (): string =>
    pair
      .exec(pair.server, ['iptables-save', '-t', 'nat'])
      .split('\n')
      .filter((l) => !l.startsWith('#'))
      .join('\n');

  before(async () => {
    pair = netnsPair();
    listener = pair.spawn(pair.server, [
      node,
      PROBE,
      'listen',
      '15000',
      '15001',
      '15006',
      '15020',
      '8080',
      '25',
    ]);
    let buffer = '';
    await new Promise<void>((resolve) => {
      listener.stdout!.on('data', (d: Buffer) => {
        buffer += d.toString();
        const lines = buffer.split('\n');
        buffer = lines.pop()!;
        for (const l of lines) {
          const msg = JSON.parse(l) as { port?: number; from?: string; listening?: number };
          if (msg.port !== undefined) seen.push({ port: msg.port, from: msg.from! });
          if (msg.listening === 25) resolve();
        }
      });
    });
  });
  after(() => {
    listener?.kill();
    pair?.remove();
  });

  const args = ['--exclude-inbound-ports=15020', '--exclude-outbound-ports=25'];

  it('--dry-run prints the rules and changes nothing', () => {
    const before = natTable();
    const out = pair.exec(pair.server, [node, WEFT_BIN, 'init-iptables', ...args, '--dry-run']);
    assert.match(out, /-A WEFT_IN_REDIRECT -p tcp -j REDIRECT --to-ports 15006/);
    assert.equal(natTable(), before);
  });

  it('programs the nat table, and a second run changes nothing', () => {
    pair.exec(pair.server, [node, WEFT_BIN, 'init-iptables', ...args]);
    const once = natTable();
    pair.exec(pair.server, [node, WEFT_BIN, 'init-iptables', ...args]);
    assert.equal(natTable(), once);
    assert.match(once, /-A PREROUTING -p tcp -j WEFT_INBOUND/);
    assert.equal(once.match(/-A OUTPUT -p tcp -j WEFT_OUTPUT/g)?.length, 1);
  });

  /** As `owner` (UID or UID:GID) if given, from the local address `from` if given. */
  const connect = (
    ns: string,
    host: string,
    port: number,
    as: { owner?: number | string | undefined; from?: string | undefined } = {},
  ): string =>
    pair
      .exec(ns, [
        node,
        PROBE,
        'connect',
        host,
        String(port),
        ...(as.owner || as.from ? [as.owner ? String(as.owner) : '-'] : []),
        ...(as.from ? [as.from] : []),
      ])
      .trim();
  // Connections are logged by the listener a moment after they are accepted.
  const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 300));

  it('captures inbound TCP to any port on 15006, but not the excluded health port', async () => {
    seen.length = 0;
    assert.equal(connect(pair.client, pair.serverIp, 8080), 'connected');
    await settle();
    assert.deepEqual(
      seen.map((s) => s.port),
      [15006],
    );
    seen.length = 0;
    assert.equal(connect(pair.client, pair.serverIp, 15020), 'connected');
    await settle();
    assert.deepEqual(
      seen.map((s) => s.port),
      [15020],
    );
  });

  it('captures the app’s outbound TCP on 15001', async () => {
    seen.length = 0;
    assert.equal(
      connect(pair.server, pair.clientIp, 80),
      'connected',
      'nothing listens on the client: only capture can answer',
    );
    await settle();
    assert.deepEqual(
      seen.map((s) => s.port),
      [15001],
    );
  });

  it('leaves the proxy’s own traffic (UID 1337), excluded ports and loopback alone', async () => {
    seen.length = 0;
    assert.equal(connect(pair.server, pair.clientIp, 80, { owner: 1337 }), 'ECONNREFUSED');
    assert.equal(connect(pair.server, pair.clientIp, 25), 'ECONNREFUSED');
    assert.equal(connect(pair.server, '127.0.0.1', 25), 'connected');
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(
      seen.map((s) => s.port),
      [25],
      'only the loopback call reached a listener, on its own port',
    );
  });

  it('sends the proxy’s own dial to its pod’s IP to 15006, its dials from 127.0.0.6 to the app', async () => {
    const landed = async (
      owner: number | string | undefined,
      host: string,
      from?: string,
    ): Promise<string[]> => {
      seen.length = 0;
      assert.equal(connect(pair.server, host, 8080, { owner, from }), 'connected');
      await settle();
      return seen.map((s) => `${s.port} from ${s.from}`);
    };
    // The outbound side balancing to its own pod: inbound terminates mTLS as for any peer.
    assert.deepEqual(await landed(1337, pair.serverIp), [`15006 from ${pair.serverIp}`]);
    assert.deepEqual(await landed('1000:1337', pair.serverIp), [`15006 from ${pair.serverIp}`]);
    // The inbound side forwarding to the app: not captured again.
    assert.deepEqual(await landed(1337, pair.serverIp, '127.0.0.6'), ['8080 from 127.0.0.6']);
    // Unchanged: the proxy's own loopback calls, and the app calling itself by pod IP.
    assert.deepEqual(await landed(1337, '127.0.0.1'), ['8080 from 127.0.0.1']);
    assert.deepEqual(await landed(undefined, pair.serverIp), [`8080 from ${pair.serverIp}`]);
  });

  it('lets the health port through even when the arguments do not exclude it; admin stays captured', async () => {
    pair.exec(pair.server, [node, WEFT_BIN, 'init-iptables', '--exclude-outbound-ports=25']);
    seen.length = 0;
    assert.equal(connect(pair.client, pair.serverIp, 15020), 'connected');
    await settle();
    assert.deepEqual(
      seen.map((s) => s.port),
      [15020],
    );
    seen.length = 0;
    // A peer dialling the admin port lands on the inbound listener, which refuses it.
    assert.equal(connect(pair.client, pair.serverIp, 15000), 'connected');
    await settle();
    assert.deepEqual(
      seen.map((s) => s.port),
      [15006],
    );
  });
});

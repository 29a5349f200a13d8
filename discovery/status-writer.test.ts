import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiException } from '@kubernetes/client-node';
import type { CustomObjectsApi } from '@kubernetes/client-node';
import { createLogger } from '../src/log.js';
import type { NextStatus, StatusKind } from './status-writer.js';
import { StatusWriter } from './status-writer.js';

interface Obj {
  readonly name: string;
  readonly rv: string | undefined;
  readonly says: string;
}

interface Put {
  readonly name: string;
  readonly body: { metadata: Record<string, unknown>; status: Record<string, unknown> };
}

const reject = (code: number) => Promise.reject(new ApiException(code, 'no', '{}', {}));

/** An API server whose PUTs answer from `answers` in turn (200 once they run out). */
function fakeApi(answers: number[], stored: Obj[] = []) {
  const puts: Put[] = [];
  let reads = 0;
  const api = {
    replaceNamespacedCustomObjectStatus: (req: Put) => {
      puts.push(req);
      const code = answers.shift() ?? 200;
      return code === 200 ? Promise.resolve(req.body) : reject(code);
    },
    getNamespacedCustomObjectStatus: () => {
      const o = stored[reads++];
      return o ? Promise.resolve(o) : reject(500);
    },
  } as unknown as CustomObjectsApi;
  return { api, puts, reads: () => reads };
}

function capture() {
  const lines: { level: string; msg: string }[] = [];
  const log = createLogger({}, 'debug', (l) => lines.push(JSON.parse(l) as (typeof lines)[0]));
  return { log, lines };
}

const kind = (extra: Partial<StatusKind<Obj>> = {}): StatusKind<Obj> => ({
  noun: 'Thing',
  field: 'thing',
  key: (o) => o.name,
  target: (o) => ({
    group: 'weft.dev',
    version: 'v1',
    plural: 'things',
    kind: 'Thing',
    namespace: 'ns',
    name: o.name,
    resourceVersion: o.rv,
  }),
  ...extra,
});

/** Wants `ok`: changed while the object says anything else. */
const wantOk = (o: Obj): NextStatus => ({
  changed: o.says !== 'ok',
  status: { says: 'ok' },
  warning: { msg: 'thing not in force', fields: { thing: o.name } },
});

const obj = (rv: string | undefined, says = 'old'): Obj => ({ name: 't', rv, says });

describe('status writer', () => {
  it('writes nothing when the stored status already says it', async () => {
    const { api, puts } = fakeApi([]);
    const { log, lines } = capture();
    const out = await new StatusWriter(api, kind(), log).write(obj('1', 'ok'), wantOk);
    assert.equal(out, 'unchanged');
    assert.equal(puts.length, 0);
    assert.equal(lines.length, 0);
  });

  it('writes a compare-and-swap on the stored version, then the warning', async () => {
    const { api, puts } = fakeApi([]);
    const { log, lines } = capture();
    const out = await new StatusWriter(api, kind(), log).write(obj('7'), wantOk);
    assert.deepEqual(out, { written: '7' });
    assert.deepEqual(puts[0]!.body, {
      apiVersion: 'weft.dev/v1',
      kind: 'Thing',
      metadata: { namespace: 'ns', name: 't', resourceVersion: '7' },
      status: { says: 'ok' },
    });
    assert.deepEqual(
      lines.map((l) => `${l.level} ${l.msg}`),
      ['warn thing not in force'],
    );
  });

  it('sends no resourceVersion when the object has none', async () => {
    const { api, puts } = fakeApi([]);
    await new StatusWriter(api, kind(), capture().log).write(obj(undefined), wantOk);
    assert.equal('resourceVersion' in puts[0]!.body.metadata, false);
  });

  it('says nothing of a deleted object, nor of a conflict it leaves to the next event', async () => {
    const { log, lines } = capture();
    const gone = fakeApi([404]);
    assert.equal(await new StatusWriter(gone.api, kind(), log).write(obj('1'), wantOk), 'gone');
    const conflict = fakeApi([409]);
    const w = new StatusWriter(conflict.api, kind(), log);
    assert.equal(await w.write(obj('1'), wantOk), 'conflict');
    assert.equal(conflict.reads(), 0, 'no reread unless the kind asks for one');
    assert.equal(lines.length, 0);
  });

  it('warns of any other failure, and the caller may try again', async () => {
    const { api } = fakeApi([500]);
    const { log, lines } = capture();
    assert.equal(await new StatusWriter(api, kind(), log).write(obj('1'), wantOk), 'failed');
    assert.deepEqual(
      lines.map((l) => `${l.level} ${l.msg}`),
      ['warn Thing status not written'],
    );
  });

  it('a quiet kind says every failure at debug, conflicts too', async () => {
    const { log, lines } = capture();
    for (const code of [404, 409, 500]) {
      await new StatusWriter(fakeApi([code]).api, kind({ quiet: true }), log).write(
        obj('1'),
        wantOk,
      );
    }
    assert.deepEqual(
      lines.map((l) => l.level),
      ['debug', 'debug', 'debug'],
    );
  });

  it('on a conflict re-reads and decides again from what is stored now', async () => {
    const reread = (stored: unknown): Obj => stored as Obj;
    // Someone else already wrote what we want: the re-read object says ok.
    const same = fakeApi([409], [obj('8', 'ok')]);
    const w = new StatusWriter(same.api, kind({ reread }), capture().log);
    assert.equal(await w.write(obj('7'), wantOk), 'unchanged');
    assert.deepEqual([same.puts.length, same.reads()], [1, 1]);
    // Someone wrote something else: written again on the version read.
    const other = fakeApi([409], [obj('9', 'theirs')]);
    const out = await new StatusWriter(other.api, kind({ reread }), capture().log).write(
      obj('7'),
      wantOk,
    );
    assert.deepEqual(out, { written: '9' });
    assert.deepEqual(
      other.puts.map((p) => p.body.metadata.resourceVersion),
      ['7', '9'],
    );
  });

  it('gives up after three conflicts, or when the re-read fails', async () => {
    const reread = (stored: unknown): Obj => stored as Obj;
    const busy = fakeApi([409, 409, 409], [obj('2'), obj('3'), obj('4')]);
    const w = new StatusWriter(busy.api, kind({ reread }), capture().log);
    assert.equal(await w.write(obj('1'), wantOk), 'failed');
    assert.deepEqual([busy.puts.length, busy.reads()], [3, 3]);
    const unreadable = fakeApi([409], []);
    const u = new StatusWriter(unreadable.api, kind({ reread }), capture().log);
    assert.equal(await u.write(obj('1'), wantOk), 'failed');
  });
});

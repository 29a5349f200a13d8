import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CpuProfile } from './profile-stages.js';
import { perRequest, samplesByStage, stageOfFrame, topFunctions } from './profile-stages.js';

const DIST = 'file:///work/weft/dist';
const frame = (functionName: string, url = '') => ({ functionName, url, lineNumber: 0 });

/** root → a chain per entry; each chain's last node is sampled `hits` times. */
function profile(chains: { frames: ReturnType<typeof frame>[]; hits: number }[]): CpuProfile {
  const nodes: { id: number; callFrame: ReturnType<typeof frame>; children: number[] }[] = [
    { id: 1, callFrame: frame('(root)'), children: [] },
  ];
  const samples: number[] = [];
  for (const c of chains) {
    let parent = nodes[0]!;
    for (const f of c.frames) {
      const node = { id: nodes.length + 1, callFrame: f, children: [] };
      parent.children.push(node.id);
      nodes.push(node);
      parent = node;
    }
    for (let i = 0; i < c.hits; i++) samples.push(parent.id);
  }
  return {
    nodes,
    startTime: 1000,
    endTime: 1000 + samples.length * 100,
    samples,
    timeDeltas: samples.map(() => 100),
  };
}

describe('bench:profile stage attribution', () => {
  it('maps weft files, packages and node modules to stages, and the rest to none', () => {
    assert.equal(stageOfFrame(frame('f', `${DIST}/sidecar/layers/telemetry.js`)), 'telemetry');
    assert.equal(stageOfFrame(frame('f', `${DIST}/sidecar/forward-pooled.js`)), 'forward');
    assert.equal(stageOfFrame(frame('f', `${DIST}/src/authz/evaluate.js`)), 'authorize');
    assert.equal(stageOfFrame(frame('f', `${DIST}/sidecar/istio-metrics.js`)), 'metrics');
    assert.equal(
      stageOfFrame(frame('f', 'file:///w/node_modules/prom-client/lib/h.js')),
      'metrics',
    );
    assert.equal(stageOfFrame(frame('f', 'file:///w/node_modules/undici/lib/x.js')), 'upstream');
    assert.equal(stageOfFrame(frame('f', `${DIST}/sidecar/exchange.js`)), 'sidecar');
    assert.equal(stageOfFrame(frame('f', 'node:_tls_wrap')), 'tls');
    assert.equal(stageOfFrame(frame('f', 'node:_http_server')), 'http');
    assert.equal(stageOfFrame(frame('f', 'node:internal/http2/compat')), 'http2');
    assert.equal(stageOfFrame(frame('f', 'node:internal/stream_base_commons')), 'io');
    assert.equal(stageOfFrame(frame('(garbage collector)')), 'gc');
    assert.equal(stageOfFrame(frame('(program)')), 'native');
    assert.equal(stageOfFrame(frame('(idle)')), 'idle');
    // Transparent: they pass the sample to their caller.
    assert.equal(stageOfFrame(frame('emit', 'node:events')), undefined);
    assert.equal(stageOfFrame(frame('writev')), undefined);
    assert.equal(stageOfFrame(frame('byHost', `${DIST}/src/mesh/mesh-index.js`)), undefined);
  });

  it('gives a sample to its innermost frame that maps, else the nearest caller that does', () => {
    const ticks = frame('processTicksAndRejections', 'node:internal/process/task_queues');
    const p = profile([
      // A native write under forward: forward's.
      {
        frames: [
          ticks,
          frame('h', `${DIST}/sidecar/layers/telemetry.js`),
          frame('forwardPooled', `${DIST}/sidecar/forward-pooled.js`),
          frame('emit', 'node:events'),
          frame('writev'),
        ],
        hits: 3,
      },
      // The parser calling back into weft's layers: the innermost mapped frame wins.
      {
        frames: [
          frame('socketOnData', 'node:_http_server'),
          frame('execute'),
          frame('parserOnIncoming', 'node:_http_server'),
          frame('h', `${DIST}/sidecar/layers/authorize.js`),
          frame('evaluate', `${DIST}/src/authz/evaluate.js`),
        ],
        hits: 4,
      },
      { frames: [frame('execute')], hits: 1 }, // nothing maps: other
      { frames: [ticks], hits: 1 },
      { frames: [frame('(garbage collector)')], hits: 2 },
      { frames: [frame('(program)')], hits: 5 },
      { frames: [frame('(idle)')], hits: 7 },
    ]);
    const s = samplesByStage(p, 0, Infinity);
    assert.equal(s.forward, 3);
    assert.equal(s.authorize, 4);
    assert.equal(s.other, 2);
    assert.equal(s.gc, 2);
    assert.equal(s.native, 5);
    assert.equal(s.idle, 7);
    assert.equal(s.telemetry, 0);
    assert.equal(topFunctions(p, 0, Infinity, 1)[0]?.frame, '(program) ');
  });

  it('counts only the samples inside the window', () => {
    const p = profile([{ frames: [frame('(program)')], hits: 10 }]);
    // Samples at 1100, 1200, ... 2000.
    assert.equal(samplesByStage(p, 1250, 1650).native, 4);
  });

  it('splits the main thread CPU by busy samples, other threads on their own row', () => {
    const samples = samplesByStage(
      profile([
        { frames: [frame('(program)')], hits: 3 },
        { frames: [frame('(garbage collector)')], hits: 1 },
        { frames: [frame('(idle)')], hits: 96 },
      ]),
      0,
      Infinity,
    );
    const r = perRequest({
      samples,
      mainCpuUs: 400_000,
      otherThreadsCpuUs: 50_000,
      requests: 1000,
    });
    assert.equal(r.native, 300);
    assert.equal(r.gc, 100);
    assert.equal(r.threads, 50);
    assert.equal(r.forward, 0);
  });
});

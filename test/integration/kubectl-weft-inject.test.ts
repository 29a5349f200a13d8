// `kubectl weft inject -f` through the real kubectl, on a multi-document file:
// every pod template is injected exactly as the webhook's goldens say; other
// objects pass through unchanged.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { VERSION } from '../../src/version.js';
import { kubectl } from '../support/kubectl.js';
import { pluginEnv } from '../support/plugin.js';

const golden = (name: string, file: string): unknown =>
  parse(
    readFileSync(
      path.resolve(import.meta.dirname, `../../../test/golden/webhook/${name}/${file}`),
      'utf8',
    )
      .split('<version>')
      .join(VERSION),
  );

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- parsed YAML, asserted field by field
type Doc = Record<string, any>;

describe('kubectl weft inject -f', () => {
  const env = pluginEnv();
  const none = path.join(os.tmpdir(), 'no-kubeconfig');

  it('is found by kubectl as a plugin', async () => {
    const r = await kubectl(none, ['weft', 'version'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^kubectl weft \d+\.\d+\.\d+/);
  });

  it('injects every workload in a multi-document file', async () => {
    const service = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'orders' },
      spec: { ports: [{ port: 80 }] },
    };
    const cron = {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'nightly' },
      spec: {
        schedule: '0 2 * * *',
        jobTemplate: {
          spec: {
            template: {
              spec: { restartPolicy: 'Never', containers: [{ name: 'job', image: 'x:1' }] },
            },
          },
        },
      },
    };
    const list = { apiVersion: 'v1', kind: 'List', items: [golden('plain-pod', 'input.yaml')] };
    const file = path.join(os.tmpdir(), `weft-inject-${process.pid}.yaml`);
    writeFileSync(
      file,
      [golden('deployment', 'input.yaml'), service, cron, list]
        .map((d) => stringify(d))
        .join('---\n'),
    );
    const r = await kubectl(none, ['weft', 'inject', '-f', file], env);
    assert.equal(r.code, 0, r.stderr);
    const [deployment, svc, cronOut, listOut] = parseAllDocuments(r.stdout).map(
      (d) => d.toJS() as Doc,
    );
    assert.deepEqual(deployment, golden('deployment', 'injected.yaml'));
    assert.deepEqual(svc, service);
    const jobPod = cronOut!.spec.jobTemplate.spec.template.spec as {
      initContainers: { name: string }[];
    };
    assert.deepEqual(
      jobPod.initContainers.map((c) => c.name),
      ['weft-init', 'weft-proxy'],
    );
    assert.deepEqual(listOut!.items[0], golden('plain-pod', 'injected.yaml'));
  });

  it('reads stdin with -f -, and is idempotent', async () => {
    const input = readFileSync(
      path.resolve(import.meta.dirname, '../../../test/golden/webhook/job/input.yaml'),
      'utf8',
    );
    const once = await kubectl(none, ['weft', 'inject', '-f', '-'], env, input);
    const twice = await kubectl(none, ['weft', 'inject', '-f', '-'], env, once.stdout);
    assert.equal(once.code, 0, once.stderr);
    assert.equal(twice.stdout, once.stdout);
  });

  it('says what is wrong in one line, with a usage exit code for bad flags', async () => {
    const missing = await kubectl(none, ['weft', 'inject'], env);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--filename: is required/);
    const broken = await kubectl(none, ['weft', 'inject', '-f', '-'], env, 'kind: [unclosed');
    assert.equal(broken.code, 1);
    assert.match(broken.stderr, /^kubectl weft: -: document 1: /m);
    assert.doesNotMatch(broken.stderr, /\n\s+at /, 'no stack trace');
  });
});

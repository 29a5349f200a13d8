// The publishing Dockerfile and the test cluster's image build (images/build.sh,
// configured by images/weft/image.json) must declare the same image: same
// entrypoint, user, working directory and environment, and the Dockerfile must
// copy what the entrypoint and the sidecar load (dist/, node_modules, the addon).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseDockerfile } from './dockerfile.js';
import { readImageConfig } from './image-config.js';
import { VERSION } from '../../src/version.js';
import { DEFAULT_IMAGE } from '../../webhook/injection-config.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const docker = parseDockerfile(readFileSync(path.join(repo, 'Dockerfile'), 'utf8'));
const built = readImageConfig(path.join(repo, 'images/weft/image.json'));

describe('Dockerfile and images/build.sh agree on weft image', () => {
  it('has the same entrypoint, user, working directory and environment', () => {
    assert.deepEqual(docker.entrypoint, built.entrypoint);
    assert.equal(docker.user, built.user);
    assert.equal(docker.workingDir, built.workingDir);
    assert.deepEqual(docker.env, built.env);
  });

  it('copies the runtime, dist/, production node_modules and the native addon to the same paths', () => {
    for (const p of [
      '/usr/bin/node',
      '/app/package.json',
      '/app/dist',
      '/app/node_modules',
      '/app/native/build/Release/original_dst.node',
    ]) {
      assert.ok(docker.copies.includes(p), `Dockerfile copies nothing to ${p}`);
    }
    assert.equal(built.entrypoint[0], '/usr/bin/node');
  });

  it('is tagged with the name and version the injector and manifests use', () => {
    assert.equal(built.repoTag, `ghcr.io/weft-mesh/weft:${VERSION}`);
    assert.equal(built.repoTag, DEFAULT_IMAGE);
    const manifest = readFileSync(path.join(repo, 'manifests/20-control-plane.yaml'), 'utf8');
    assert.match(manifest, new RegExp(`image: ${built.repoTag.replaceAll('.', '\\.')}\\n`));
  });
});

describe('parseDockerfile', () => {
  it('reads only the final stage, joins continued lines and skips comments', () => {
    const parsed = parseDockerfile(
      [
        'FROM a AS build',
        'USER 1:1',
        'FROM b',
        '# comment',
        'ENV A=1',
        'COPY --from=build /x \\',
        '  /y',
        'USER 2:2',
        'ENTRYPOINT ["/bin/x", "y"]',
      ].join('\n'),
    );
    assert.deepEqual(parsed, {
      entrypoint: ['/bin/x', 'y'],
      user: '2:2',
      workingDir: '/',
      env: ['A=1'],
      copies: ['/y'],
    });
  });
});

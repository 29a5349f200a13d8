// Puts weft's images into the node's containerd without a registry: builds them
// with images/build.sh (cached by content) and imports each one whose content key
// differs from what this containerd root last imported (its root persists in the
// cache, so a warm start imports nothing).
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { clusterSourceDir } from './host.js';

const run = promisify(execFile);

export interface BuiltImage {
  readonly tag: string;
  readonly tar: string;
  readonly key: string;
}

export async function buildImages(outDir: string): Promise<BuiltImage[]> {
  const script = path.resolve(clusterSourceDir, '../../images/build.sh');
  const { stdout } = await run(script, [outDir], { maxBuffer: 1 << 20 });
  return stdout
    .trim()
    .split('\n')
    .map((line) => {
      const [tag = '', tar = '', key = ''] = line.split(' ');
      return { tag, tar, key };
    });
}

export async function importImages(
  socket: string,
  containerdRoot: string,
  images: readonly BuiltImage[],
): Promise<string[]> {
  const stamps = path.join(containerdRoot, 'weft-imported');
  mkdirSync(stamps, { recursive: true });
  const ctr = ['--address', socket, '-n', 'k8s.io'];
  const present = new Set((await run('ctr', [...ctr, 'images', 'ls', '-q'])).stdout.split('\n'));
  const imported: string[] = [];
  for (const image of images) {
    const stamp = path.join(stamps, `${path.basename(image.tar, '.tar')}.key`);
    const same = existsSync(stamp) && readFileSync(stamp, 'utf8') === image.key;
    if (same && present.has(image.tag)) continue;
    await run('ctr', [...ctr, 'images', 'import', image.tar], {
      maxBuffer: 1 << 20,
    });
    writeFileSync(stamp, image.key);
    imported.push(image.tag);
  }
  return imported;
}

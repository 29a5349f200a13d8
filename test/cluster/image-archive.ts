// Wraps one layer tar into a docker-archive (manifest.json + config + layer) that
// `ctr images import` loads. Called by images/build.sh:
//   node image-archive.js <image.json> <layer.tar> <out.tar>
//   node image-archive.js --tag <image.json>        (prints the image's tag)
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, linkSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { imageConfigJson, readImageConfig } from './image-config.js';

async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function writeArchive(configFile: string, layer: string, out: string): Promise<void> {
  const config = readImageConfig(configFile);
  const layerHex = await sha256(layer);
  const configJson = imageConfigJson(config, `sha256:${layerHex}`);
  const configName = `${createHash('sha256').update(configJson).digest('hex')}.json`;
  const dir = mkdtempSync(path.join(path.dirname(layer), '.archive-'));
  try {
    writeFileSync(path.join(dir, configName), configJson);
    writeFileSync(
      path.join(dir, 'manifest.json'),
      JSON.stringify([
        { Config: configName, RepoTags: [config.repoTag], Layers: [`${layerHex}.tar`] },
      ]),
    );
    linkSync(layer, path.join(dir, `${layerHex}.tar`));
    execFileSync('tar', ['-C', dir, '-cf', out, 'manifest.json', configName, `${layerHex}.tar`]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const [first, second, third] = process.argv.slice(2);
if (first === '--tag' && second) {
  process.stdout.write(`${readImageConfig(second).repoTag}\n`);
} else if (first && second && third) {
  await writeArchive(first, second, third);
} else {
  process.stderr.write(
    'usage: image-archive.js <image.json> <layer.tar> <out.tar> | --tag <image.json>\n',
  );
  process.exit(2);
}

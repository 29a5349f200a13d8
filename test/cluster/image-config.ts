// What an image declares (entrypoint, user, working directory, environment, tag),
// read from images/<name>/image.json: the one place the image build script and the
// publishing Dockerfile's agreement test both take it from.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { VERSION } from '../../src/version.js';

const ImageConfigSchema = z
  .object({
    repoTag: z.string().min(1),
    entrypoint: z.array(z.string().min(1)).min(1),
    user: z.string().regex(/^\d+:\d+$/, 'user must be numeric uid:gid'),
    workingDir: z.string().startsWith('/'),
    env: z.array(z.string().regex(/^[A-Z_][A-Z0-9_]*=/, 'env entries are NAME=value')),
  })
  .strict();

export type ImageConfig = z.infer<typeof ImageConfigSchema>;

/** Reads and validates an image.json; `${VERSION}` in the tag is package.json's version. */
export function readImageConfig(file: string): ImageConfig {
  const raw: unknown = JSON.parse(readFileSync(file, 'utf8'));
  const parsed = ImageConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${file}: ${issue?.path.join('.') ?? ''} ${issue?.message ?? 'invalid'}`);
  }
  return { ...parsed.data, repoTag: parsed.data.repoTag.replaceAll('${VERSION}', VERSION) };
}

/** The OCI/docker image config JSON for one uncompressed layer with the given digest. */
export function imageConfigJson(config: ImageConfig, layerDiffId: string): string {
  return JSON.stringify({
    architecture: 'amd64',
    os: 'linux',
    created: '1970-01-01T00:00:00Z',
    config: {
      Entrypoint: config.entrypoint,
      User: config.user,
      WorkingDir: config.workingDir,
      Env: config.env,
    },
    rootfs: { type: 'layers', diff_ids: [layerDiffId] },
    history: [{ created: '1970-01-01T00:00:00Z', created_by: 'weft images/build.sh' }],
  });
}

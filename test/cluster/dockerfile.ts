// Reads what the publishing Dockerfile's final stage declares (ENTRYPOINT, USER,
// WORKDIR, ENV, COPY destinations), so a test can hold it against the image the
// test cluster builds (images/weft/image.json). Only the instructions weft's
// Dockerfile uses are understood; anything else in the final stage is ignored.
export interface DockerfileDeclarations {
  readonly entrypoint: readonly string[];
  readonly user: string;
  readonly workingDir: string;
  readonly env: readonly string[];
  readonly copies: readonly string[];
}

/** Joins backslash-continued lines and drops comments. */
function instructions(text: string): string[] {
  const joined = text.replace(/\\\r?\n/g, ' ');
  return joined
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

function finalStage(lines: string[]): string[] {
  const from = lines.map((l) => /^FROM\s/i.test(l)).lastIndexOf(true);
  if (from < 0) throw new Error('Dockerfile has no FROM');
  return lines.slice(from + 1);
}

export function parseDockerfile(text: string): DockerfileDeclarations {
  let entrypoint: string[] = [];
  let user = '';
  let workingDir = '/';
  const env: string[] = [];
  const copies: string[] = [];
  for (const line of finalStage(instructions(text))) {
    const [, keyword = '', rest = ''] = /^(\w+)\s+(.*)$/.exec(line) ?? [];
    switch (keyword.toUpperCase()) {
      case 'ENTRYPOINT':
        entrypoint = JSON.parse(rest) as string[];
        break;
      case 'USER':
        user = rest;
        break;
      case 'WORKDIR':
        workingDir = rest;
        break;
      case 'ENV':
        env.push(rest);
        break;
      case 'COPY':
        copies.push(rest.split(/\s+/).at(-1) ?? '');
        break;
    }
  }
  return { entrypoint, user, workingDir, env, copies };
}

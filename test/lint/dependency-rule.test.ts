// The one-way dependency rule is a lint rule; this proves it fires (and stays quiet
// where imports are allowed), so nobody can loosen it unnoticed.
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ESLint } from 'eslint';

const root = path.resolve(import.meta.dirname, '../../..');
// Only the import rule runs, so the snippets need no type information (and no files).
const eslint = new ESLint({
  cwd: root,
  ruleFilter: ({ ruleId }) => ruleId === 'no-restricted-imports',
  overrideConfig: { languageOptions: { parserOptions: { projectService: false } } },
});

async function importErrors(file: string, from: string): Promise<string[]> {
  const [result] = await eslint.lintText(`import { x } from '${from}';\nexport const y = x;\n`, {
    filePath: path.join(root, file),
  });
  return (result?.messages ?? [])
    .filter((m) => m.ruleId === 'no-restricted-imports')
    .map((m) => m.message);
}

describe('dependency rule', () => {
  const cases: [string, string, boolean][] = [
    ['webhook/server.ts', '../ca/issuer.js', false],
    ['webhook/server.ts', '../sidecar/proxy.js', false],
    ['ca/server.ts', '../webhook/inject.js', false],
    ['sidecar/proxy.ts', '../ca/issuer.js', false],
    ['src/pki/keys.ts', '../../sidecar/proxy.js', false],
    ['webhook/server.ts', '../src/pki/index.js', true],
    ['ca/server.ts', '../src/pki/index.js', true],
    ['cli/weft.ts', '../webhook/server.js', true],
    ['src/pki/keys.ts', '../../cli/weft.js', false],
    ['ca/server.ts', '../cli/weft.js', false],
  ];
  for (const [file, from, allowed] of cases) {
    it(`${file} importing ${from} is ${allowed ? 'allowed' : 'refused'}`, async () => {
      const errors = await importErrors(file, from);
      if (allowed) assert.deepEqual(errors, []);
      else assert.match(errors.join('\n'), /one-way dependency rule|shared kernel/);
    });
  }
});

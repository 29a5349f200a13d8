// Lint rules that carry weft's habits: type-aware checks (no floating promises),
// the one-way dependency rule between components, and banned APIs with reasons.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const components = ['webhook', 'ca', 'sidecar', 'discovery'];

/** Imports that a file in `folder` may not make: the other components (and, for src/, all of them). */
function forbiddenFrom(folder) {
  // cli/ is the composition root: it imports the components, never the reverse.
  const others = [...components, 'cli'].filter((c) => c !== folder);
  return others.map((c) => ({
    group: [`**/${c}/*`, `**/${c}`],
    message: `${folder}/ may import from src/ only, never from ${c}/ (one-way dependency rule).`,
  }));
}

const bannedSyntax = [
  {
    selector: "Property[key.name='rejectUnauthorized'][value.value=false]",
    message: 'Never switch off certificate verification; pass the right CA instead.',
  },
  {
    selector: "MemberExpression[object.name='Math'][property.name='random']",
    message:
      'Math.random is not a CSPRNG; use crypto.randomInt/randomBytes (jitter may opt out with a comment).',
  },
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'eslint.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/explicit-module-boundary-types': 'error',
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          // node:test registers these synchronously; their promises are the runner's.
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite'] },
          ],
        },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // ESLint counts every ?. and ?? as a branch, so this sits above pepr's 10.
      complexity: ['error', 15],
      'max-depth': ['error', 3],
      'max-params': ['error', 4],
      'no-restricted-syntax': ['error', ...bannedSyntax],
    },
  },
  ...components.map((c) => ({
    files: [`${c}/**/*.ts`],
    rules: { 'no-restricted-imports': ['error', { patterns: forbiddenFrom(c) }] },
  })),
  {
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [...components, 'cli'].map((c) => ({
            group: [`**/${c}/*`, `**/${c}`],
            message: 'src/ is the shared kernel: it never imports from a component or the CLI.',
          })),
        },
      ],
    },
  },
  {
    // Tests may assert loosely-typed JSON from the API server.
    files: ['test/**/*.ts', '**/*.test.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
);

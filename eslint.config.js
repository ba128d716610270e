// Lint: typescript-eslint's recommended type-aware rules, plus the few habits the project
// relies on (no floating promises on the request path, no process.env outside src/config).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'data/**', '.tmp/**', '.stryker-tmp*/**', 'reports/**', 'src/db/migrations/**', 'portal/dist/**', 'deploy/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['eslint.config.js', 'scripts/*.mjs', 'stryker.config.mjs'] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/restrict-template-expressions': 'off',
      'no-restricted-properties': 'off',
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/config/**'],
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: "MemberExpression[object.name='process'][property.name='env']", message: 'Read configuration through src/config (the only reader of process.env).' },
      ],
    },
  },
  {
    // The HTTP boundary (ADR 0024): services see plain values and throw domain errors; only route
    // files (routes.ts or routes/*.ts beside their module) may import fastify or src/http.
    files: ['src/modules/**/*.ts'],
    ignores: ['src/modules/**/routes.ts', 'src/modules/**/routes/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['fastify', '@fastify/*', 'fastify-*'], message: 'Only route files (routes.ts) import fastify; services take plain inputs (ADR 0024).' },
            { group: ['**/http/*', '**/http'], message: 'Only route files import src/http; throw domain errors (src/lib/errors.ts) instead (ADR 0024).' },
          ],
        },
      ],
    },
  },
  {
    // node:test's describe/test return promises the runner tracks itself (*.chaos.ts: npm run test:chaos).
    files: ['**/*.test.ts', 'test/chaos/*.chaos.ts'],
    rules: { '@typescript-eslint/no-floating-promises': 'off' },
  },
  {
    // The portal (browser code, its own tsconfig): process.env is Vite's, in its config only.
    files: ['portal/**/*.{ts,tsx}'],
    rules: { '@typescript-eslint/no-floating-promises': 'error' },
  },
  { files: ['eslint.config.js', 'scripts/*.mjs'], ...tseslint.configs.disableTypeChecked },
);

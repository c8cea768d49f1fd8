// Shared lint rules for every workspace; each package's `lint` script runs eslint from its own folder.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/gen/**',
      '**/node_modules/**',
      '**/coverage/**',
      '**/data/**',
      'bench/results/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': ['error', { allow: ['error'] }],
      eqeqeq: ['error', 'smart'],
    },
  },
  {
    files: ['**/*.test.ts', '**/test/**', 'bench/**', '**/scripts/**'],
    rules: { 'no-console': 'off' },
  },
  // Promises must be awaited, handled, or explicitly let go (`void`, with the reason in a comment): an
  // unhandled rejection stops the whole process. Type-aware, so only for code a package's tsconfig includes.
  {
    files: ['**/src/**/*.ts', '**/src/**/*.tsx'],
    ignores: ['**/gen/**'],
    languageOptions: { parserOptions: { projectService: true } },
    rules: {
      '@typescript-eslint/no-floating-promises': ['error', { ignoreVoid: true }],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { attributes: false } }],
    },
  },
  // Services use another service's client entry, never its internals.
  {
    files: ['**/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [{ group: ['@origo/*/src/*', '@origo/*/dist/*'], message: 'Import the package entry.' }],
        },
      ],
    },
  },
  // Other services trust auth through its client entry; the whole package (database, hashing, routes) is the
  // auth role's own.
  {
    files: ['platform/{control,gateway,notification,chat,recording}/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: '@origo/auth', message: 'Import @origo/auth/client: the auth server is not yours.' },
          ],
          patterns: [{ group: ['@origo/*/src/*', '@origo/*/dist/*'], message: 'Import the package entry.' }],
        },
      ],
    },
  },
  // Layering: the media core knows no worker or service; the kit knows no service; the browser client knows
  // no server package and no Node built-in.
  {
    files: ['sfu/src/media/**/*.ts', '**/sfu/src/media/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/worker/*', '@origo/*'], message: 'The media core depends on nothing above it.' },
          ],
        },
      ],
    },
  },
  {
    files: ['platform/kit/src/**/*.ts', '**/kit/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^@origo/(?!proto(/|$))',
              message: 'The kit is below every service: it may use @origo/proto only.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['client/src/**/*.ts', 'client/src/**/*.tsx', '**/client/src/**/*.ts', '**/client/src/**/*.tsx'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(node:|@origo/(?!proto/(signal|json)$))',
              message: 'The browser client knows no server: only @origo/proto/signal and @origo/proto/json.',
            },
          ],
        },
      ],
    },
  },
);

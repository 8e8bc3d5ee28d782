// The JupyterLab extension template's ESLint configuration, over the whole repository.
// The template's `I`-prefix rule for interfaces is a JupyterLab idiom: it applies to the lab
// extension only; the service, the schema package and the tests follow Node's plain names.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';
import prettierRecommended from 'eslint-plugin-prettier/recommended';
import globals from 'globals';
import jupyterPlugin from '@jupyter/eslint-plugin';

export default defineConfig([
  {
    ignores: [
      '**/node_modules',
      '**/dist',
      '**/lib',
      '**/coverage',
      '**/*.js',
      '**/*.d.ts',
      '.venv',
      'var',
      'envhub/labextension',
      'envhub/bundle',
      'schema/src/generated',
      'ui-tests/test-results',
      'ui-tests/playwright-report'
    ]
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx', '**/*.mjs'],
    languageOptions: {
      globals: { ...globals.browser, ...globals.es2015, ...globals.node },
      parserOptions: { sourceType: 'module' }
    },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'warn',
        {
          args: 'none',
          varsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_'
        }
      ],
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-namespace': 'off',
      '@typescript-eslint/no-use-before-define': 'off',
      curly: ['error', 'all'],
      eqeqeq: 'error',
      'prefer-arrow-callback': 'error'
    }
  },
  // JupyterLab's own rules, for the lab extension (its sources and its settings schema).
  ...jupyterPlugin.configs.recommended.map(config => ({
    ...config,
    files: config.files
      ? config.files.map(glob => `lab-extension/${glob}`)
      : ['lab-extension/**']
  })),
  {
    files: ['lab-extension/src/**/*.ts', 'lab-extension/src/**/*.tsx'],
    rules: {
      '@typescript-eslint/naming-convention': [
        'error',
        {
          selector: 'interface',
          format: ['PascalCase'],
          custom: { regex: '^I[A-Z]', match: true }
        }
      ]
    }
  },
  prettierRecommended
]);

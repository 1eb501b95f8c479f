// ESLint enforces the import rules of design.md ("Import rules") and strict typing (no `any`).
import tseslint from 'typescript-eslint';

const nodeBuiltins = { group: ['node:*'], message: 'shared/ and renderer/ are runtime-neutral: no node:* imports.' };
const noElectron = { name: 'electron', message: 'Only electron/main and electron/preload import electron.' };
const noRenderer = { group: ['**/renderer/**'], message: 'Node-side code never imports renderer/.' };
const noElectronDir = { group: ['**/electron/**'], message: 'shared/ and renderer/ import only shared/.' };

export default tseslint.config(
  { ignores: ['node_modules/**', 'out/**', 'dist/**', '.farside-test/**', 'bin/**', 'build/scripts/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-syntax': [
        'error',
        { selector: 'CallExpression[callee.property.name="only"]', message: 'No focused tests (.only).' },
      ],
    },
  },
  {
    files: ['shared/**/*.ts'],
    ignores: ['shared/**/*.test.ts', 'shared/test-support/**'],
    rules: {
      'no-restricted-imports': ['error', { paths: [noElectron, { name: 'buffer', message: 'No Buffer in shared/.' }], patterns: [nodeBuiltins, noElectronDir, noRenderer] }],
      'no-restricted-globals': ['error', { name: 'Buffer', message: 'shared/ uses Uint8Array, not Buffer.' }, { name: 'process', message: 'shared/ is runtime-neutral.' }],
    },
  },
  {
    files: ['renderer/**/*.ts', 'renderer/**/*.tsx'],
    rules: {
      'no-restricted-imports': ['error', { paths: [noElectron], patterns: [nodeBuiltins, noElectronDir] }],
    },
  },
  {
    files: ['electron/services/**/*.ts', 'electron/bpa/**/*.ts', 'electron/gateway/**/*.ts', 'electron/web/**/*.ts', 'electron/cli/**/*.ts', 'bench/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [noElectron], patterns: [noRenderer, { group: ['**/electron/main/**', '**/electron/preload/**'], message: 'Services never import the Electron shell.' }] }],
    },
  },
  {
    files: ['electron/preload/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['../*', '!../../shared/api/**'], message: 'preload imports only shared/api.' }] }],
    },
  },
);

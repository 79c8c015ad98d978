// Lint: TypeScript rules plus the layering between core/, workers/, electron/ and renderer/.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const nodeBuiltins = ['node:*', 'fs', 'path', 'os', 'child_process', 'worker_threads', 'crypto', 'zlib', 'stream', 'http', 'net', 'url', 'util'];

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'renderer/dist/**', 'out/**', 'test-results/**', 'playwright-report/**', 'models/**/fixtures/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' }],
      '@typescript-eslint/ban-ts-comment': 'error',
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    // The engine and the workers are plain Node: never the desktop shell, never the UI.
    files: ['core/**/*.ts', 'workers/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ['electron', 'electron/*'], message: 'core/ and workers/ are plain Node: never import electron.' },
        { group: ['**/renderer/**', 'react', 'react-dom', 'plotly.js*'], message: 'core/ and workers/ never import the renderer or UI libraries.' },
        { group: ['**/electron/**'], message: 'core/ and workers/ never import the desktop shell.' },
      ] }],
    },
  },
  {
    // The renderer reaches the engine only through the typed API contract.
    files: ['renderer/**/*.ts', 'renderer/**/*.tsx'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: nodeBuiltins, message: 'The renderer runs in a browser: no Node built-ins.' },
        { group: ['electron', 'electron/*', '**/electron/**'], message: 'The renderer talks to the shell only through the preload bridge.' },
        { regex: '(^|/)core/(?!api/(contract|client)(\\.js)?$)', message: 'The renderer may import only core/api/contract (types) and core/api/client.' },
        { group: ['**/workers/**', 'better-sqlite3', 'onnxruntime-node', '@rdkit/rdkit'], message: 'The renderer never loads engine modules.' },
      ] }],
    },
  },
  {
    // The shell forwards to the core; it never imports renderer source.
    files: ['electron/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ['**/renderer/**'], message: 'electron/ never imports renderer source; it loads the built renderer.' },
      ] }],
    },
  },
);

// Lint: TypeScript rules plus the layering between core/, workers/, electron/ and renderer/.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

// What core/ and workers/, and electron/, never import (the store block at the end adds to both).
const CORE_IMPORTS = [
  { group: ['electron', 'electron/*'], message: 'core/ and workers/ are plain Node: never import electron.' },
  { group: ['**/renderer/**', 'react', 'react-dom', 'plotly.js*'], message: 'core/ and workers/ never import the renderer or UI libraries.' },
  { group: ['**/electron/**'], message: 'core/ and workers/ never import the desktop shell.' },
];
const ELECTRON_IMPORTS = [
  { group: ['**/renderer/**'], message: 'electron/ never imports renderer source; it loads the built renderer.' },
];
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
      'no-restricted-imports': ['error', { patterns: CORE_IMPORTS }],
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
        { group: ['**/workers/**', 'better-sqlite3', 'better-sqlite3-multiple-ciphers', 'onnxruntime-node', '@rdkit/rdkit'], message: 'The renderer never loads engine modules.' },
      ] }],
    },
  },
  {
    // The shell forwards to the core; it never imports renderer source.
    files: ['electron/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ELECTRON_IMPORTS }],
    },
  },
  // All SQL of the project file lives in core/store/, as named functions: the rest of the engine and the
  // shell import no SQLite driver and no migration, and prepare or run no statement themselves. (DuckDB's
  // queries of Parquet files in core/shard/ are not the project store.) Last, as it extends the import
  // rules above (a later block replaces a rule, it does not add to it).
  ...[[['core/**/*.ts', 'workers/**/*.ts'], CORE_IMPORTS], [['electron/**/*.ts'], ELECTRON_IMPORTS]].map(([files, imports]) => ({
    files,
    ignores: ['core/store/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        ...imports,
        { group: ['better-sqlite3', 'better-sqlite3-multiple-ciphers'], message: 'Only core/store/ opens SQLite: use the store\'s named functions.' },
        { group: ['**/store/migrations/*'], message: 'Business code imports no migration: schema facts come from core/store/schema.' },
      ] }],
      'no-restricted-syntax': ['error',
        { selector: 'CallExpression[callee.property.name=/^(prepare|pragma|transaction)$/]', message: 'SQL lives in core/store/: add a named function there.' },
        { selector: "CallExpression[callee.property.name='exec'][arguments.0.type=/^(Literal|TemplateLiteral)$/]", message: 'SQL lives in core/store/: add a named function there.' },
      ],
    },
  })),
);

// Lint rules, including the import boundaries that keep the layers honest:
// core/ is pure (no file system, no Electron, no SQLite); renderer/ is browser code (no Node modules).
import tseslint from 'typescript-eslint';

const nodeBuiltins = [
  'assert', 'buffer', 'child_process', 'cluster', 'crypto', 'dgram', 'dns', 'events', 'fs', 'fs/promises', 'http', 'http2',
  'https', 'module', 'net', 'os', 'path', 'perf_hooks', 'process', 'readline', 'stream', 'stream/promises', 'tls', 'url',
  'util', 'v8', 'vm', 'worker_threads', 'zlib',
];

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'out/**', 'renderer/dist/**', 'bench/out/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-syntax': [
        'error',
        { selector: 'Property[key.name="rejectUnauthorized"][value.value=false]', message: 'Never disable certificate checks: trust the CA explicitly.' },
      ],
    },
  },
  {
    files: ['core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [
          ...['fs', 'fs/promises', 'child_process', 'net', 'http', 'https', 'tls'].flatMap((m) => [
            { name: m, message: 'core/ is pure: do I/O at the edges (db/, acquire/, cli/).' },
            { name: `node:${m}`, message: 'core/ is pure: do I/O at the edges (db/, acquire/, cli/).' },
          ]),
          { name: 'electron', message: 'core/ must not depend on Electron.' },
          { name: 'better-sqlite3', message: 'core/ must not touch the database: db/ does.' },
          { name: 'undici', message: 'core/ does no network I/O: acquire/ does.' },
        ],
        patterns: [{ group: ['../db/*', '../acquire/*', '../cli/*', '../electron/*', '../sim/*', '../../db/*', '../../acquire/*', '../../cli/*', '../../sim/*'], message: 'core/ depends on nothing outside core/.' }],
      }],
    },
  },
  {
    files: ['renderer/**/*.ts', 'renderer/**/*.tsx'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [
          ...nodeBuiltins.flatMap((m) => [
            { name: m, message: 'renderer/ runs in a sandboxed browser context: no Node modules.' },
            { name: `node:${m}`, message: 'renderer/ runs in a sandboxed browser context: no Node modules.' },
          ]),
          { name: 'electron', message: 'renderer/ talks to the main process only through the typed bridge.' },
          { name: 'better-sqlite3', message: 'renderer/ never touches the database.' },
        ],
        patterns: [{ group: ['node:*', '../db/*', '../acquire/*', '../cli/*', '../electron/*', '../../db/*', '../../acquire/*', '../../electron/*'], message: 'renderer/ imports only core/ contracts and browser code.' }],
      }],
    },
  },
);

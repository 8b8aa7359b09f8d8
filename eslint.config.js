// ESLint flat config: typescript-eslint's type-checked recommended set on src, test and bench, plus the
// pipeline's import rule on src: sources (I/O) -> engine (pure model) -> poller (the clock) -> metrics and
// report -> http and cli (rendering) -> main.ts (wiring), written down as `mayImport` below.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import boundaries from 'eslint-plugin-boundaries';
import tseslint from 'typescript-eslint';

// The import rule is eslint-plugin-boundaries rather than dependency-cruiser: it runs inside this one
// ESLint pass (one tool and one parse less, and editors show a violation at the import line), its
// allowlist per layer ("from X allow Y", default disallow) is the rule written down as stated, and its
// current major runs on Node 20 (dependency-cruiser 18 wants Node 22). The price is a resolver
// (eslint-import-resolver-typescript) so that `./x.js` in an import finds `./x.ts`.
const layers = [
  { type: 'engine', pattern: 'src/engine' },
  { type: 'sources', pattern: 'src/sources' },
  { type: 'poller', pattern: 'src/poller' },
  { type: 'metrics', pattern: 'src/metrics' },
  { type: 'report', pattern: 'src/report' },
  { type: 'http', pattern: 'src/http' },
  { type: 'cli', pattern: 'src/cli' },
  { type: 'config', pattern: 'src/config' },
  { type: 'log', pattern: 'src/log' },
  { type: 'helper', pattern: ['src/one-line.ts', 'src/version.ts'], mode: 'file' },
  // The wiring: main.ts, the composition root (exporter.ts) and `check`'s look in its child process.
  { type: 'main', pattern: ['src/main.ts', 'src/exporter.ts', 'src/check-look.ts', 'src/check-child.ts'], mode: 'file' },
];

// Who may import whom (each layer may always import its own files). Anything not listed is an error.
const mayImport = {
  engine: [], // the pure model: nothing else of src, not even the shared helpers
  sources: ['engine', 'config', 'log', 'helper'], // all I/O; returns model types
  poller: ['engine', 'sources', 'config', 'log', 'helper'], // the clock
  metrics: ['engine', 'report', 'config', 'log', 'helper'],
  report: ['engine', 'config', 'log', 'helper'], // the view model for the status page and check
  http: ['engine', 'report', 'metrics', 'config', 'log', 'helper'], // rendering only
  cli: ['engine', 'report', 'metrics', 'config', 'log', 'helper'], // rendering only
  config: ['log', 'helper'], // config and log are leaves; config takes the log level and format types from log
  log: ['helper'],
  helper: [],
  main: ['engine', 'sources', 'poller', 'metrics', 'report', 'http', 'cli', 'config', 'log', 'helper'],
};

const importRule = {
  files: ['src/**/*.ts'],
  plugins: { boundaries },
  settings: {
    'boundaries/elements': layers,
    'boundaries/include': ['src/**/*.ts'],
    // A file element still needs mode 'file' in v7 (file descriptors classify files into categories,
    // not into the elements that policies are written for); that mode's deprecation notice is muted.
    'boundaries/legacy-warnings': false,
    'import/resolver': { typescript: { project: `${import.meta.dirname}/tsconfig.json` } },
  },
  rules: {
    // Every file of src belongs to a layer, and every import of src resolves to one: a new folder
    // has to be placed in the pipeline before it can be used.
    'boundaries/no-unknown-files': 'error',
    'boundaries/no-unknown-dependencies': 'error',
    'boundaries/dependencies': [
      'error',
      {
        default: 'disallow',
        message: '{{from.type}} may not import {{to.type}} ({{dependency.source}})',
        policies: Object.entries(mayImport).map(([from, to]) => ({
          from: { element: { type: from } },
          allow: { to: { element: { types: { anyOf: [from, ...to] } } } },
        })),
      },
    ],
  },
};

export default defineConfig(
  { ignores: ['dist/', 'build/', 'node_modules/', 'test/fixtures/', 'test/engine/fixtures/'] },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    rules: {
      // The code strips control characters from untrusted text on purpose (one-line errors, logfmt).
      'no-control-regex': 'off',
      // Test patterns copy the two-space columns of `check` output verbatim; ` {2}` would hide them.
      'no-regex-spaces': 'off',
      // A leading underscore marks a parameter a callback signature requires but the body ignores.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      // node:test's describe/it/test return promises that the runner itself awaits and reports.
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite'] }] },
      ],
    },
    languageOptions: {
      // tsconfig.test.json holds src, test and bench under the same compiler options as tsconfig.json:
      // one program for all three is what `npm run typecheck` checks, and faster than two.
      parserOptions: { project: './tsconfig.test.json', tsconfigRootDir: import.meta.dirname },
    },
  },
  {
    // Plain JavaScript (this file, scripts/*.mjs) is outside both tsconfigs: lint it without types.
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: { process: 'readonly', console: 'readonly' },
    },
  },
  importRule,
  {
    // Nothing imports main.ts: tests and benches run dist/main.js as a process instead.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '/src/main\\.js$', message: 'run dist/main.js as a process' }] }],
    },
  },
);

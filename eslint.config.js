// @ts-check
// The few rules this codebase needs on top of the recommended sets: type-aware checks for promises (a
// floating promise in a build hook would let a build end before its manifest is written), consistent type
// imports (the entries must not load what they only name), and no unused code.
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.test-tmp/', 'fixtures/', 'coverage/'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.mjs', '**/*.js'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      // Bundler and framework hooks take async functions where their types say void: that is their API.
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      'no-nested-ternary': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      eqeqeq: ['error', 'always'],
      'no-console': 'off',
    },
    // A disable comment must still be needed; each one says why after `--`.
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },
  // The folders' layers (CONTRIBUTING.md, The layout): entries > features > vercel > shared > core. Each
  // folder may import only the folders below it (and the public types); an arrow pointing up is an error.
  ...layerRules({
    core: [],
    shared: ['core'],
    vercel: ['core', 'shared'],
    'next-image-cache': ['core', 'shared', 'vercel'],
    plugin: ['core', 'shared', 'next-image-cache'],
    apply: ['core', 'shared', 'vercel'],
    remote: ['core', 'shared', 'vercel'],
    setup: ['core', 'shared', 'vercel', 'apply'],
    // `image-invalidate demo` runs both phases, as the CLI does: an entry in a folder of its own.
    demo: ['core', 'shared', 'plugin', 'apply'],
  }),
  {
    // Tests poke at parsed JSON documents, where `any` is the honest type.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // tsc checks every file, the JavaScript ones too (checkJs), and knows Node's globals: no-undef would only
    // repeat it without the types.
    files: ['**/*.mjs', '**/*.js'],
    rules: { 'no-undef': 'off' },
  },
)

/**
 * One rule per folder of src/: a relative import that leaves the folder must go to a folder it may use, or to
 * `types.ts`, which any folder may import. `import()` is not checked by ESLint; the layering holds for it too.
 * A file in a subfolder (src/remote/providers/) leaves its folder with one `../` more per level, so each
 * depth gets its own rule.
 * @param {Record<string, string[]>} layers
 * @returns {import('eslint').Linter.Config[]}
 */
function layerRules(layers) {
  return Object.entries(layers).flatMap(([folder, below]) => {
    const allowed = [...below.map((name) => `${name}/`), 'types\\.js$']
    return [0, 1, 2, 3].map((depth) => ({
      files: [`src/${folder}/${'*/'.repeat(depth)}*.ts`],
      rules: {
        'no-restricted-imports': [
          'error',
          {
            patterns: [
              {
                regex: `^(\\.\\./){${depth + 1}}(?!${allowed.join('|')})`,
                message: below.length
                  ? `src/${folder}/ may import only from ${below.map((name) => `${name}/`).join(', ')} and types.ts (CONTRIBUTING.md, The layout)`
                  : 'src/core/ is pure: it imports nothing outside itself',
              },
            ],
          },
        ],
      },
    }))
  })
}

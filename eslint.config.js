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

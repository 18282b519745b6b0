import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/setup/global.ts'],
    setupFiles: ['test/setup/each.ts'],
    // Integration tests spawn real bundler builds; two cores are shared between them. The slowest test
    // (one `next build --webpack`) takes about 35 s under the full suite: 120 s leaves more than 3x.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
  },
})

import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/setup/global.ts'],
    setupFiles: ['test/setup/each.ts'],
    // Integration tests spawn real bundler builds; two cores are shared between them. 120 s is at least 2x
    // every test's slowest time under the full suite, on each Node, except the two slowest Next.js builds,
    // which set 300 s themselves (test/next.test.ts).
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // `floor`: what also runs on the machine's Node (the `engines` floor) when `npm test` runs the whole
    // suite on the Nodes of .ci/nodes (scripts/test.mjs): unit tests, one Vite and one Next.js build.
    tags: [{ name: 'floor', description: 'also run on the engines floor Node: unit tests, one Vite and one Next.js build' }],
    pool: 'forks',
    maxWorkers: 2,
  },
})

import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/setup/global.ts'],
    setupFiles: ['test/setup/each.ts'],
    // Integration tests spawn real bundler builds; two cores are shared between them. 120 s is at least 2x
    // every test's slowest time under the full suite, on each Node, but for the tests tagged `long-build`.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // `floor`: what also runs on the machine's Node (the `engines` floor) when `npm test` runs the whole
    // suite on the Nodes of .ci/nodes (scripts/test.mjs): unit tests, one Vite and one Next.js build.
    tags: [
      { name: 'floor', description: 'also run on the engines floor Node: unit tests, one Vite and one Next.js build' },
      // The slowest: 113 s (next build --webpack), 103 s (Turbopack, two builds and next start), 61 s (two
      // Nuxt builds), 52 s (Next.js through vercel build), on Node 26 with the machine shared by other suites.
      { name: 'long-build', description: 'the slowest framework builds: 300 s, at least 2x their slowest time', timeout: 300_000 },
    ],
    pool: 'forks',
    maxWorkers: 2,
  },
})

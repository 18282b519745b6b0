import { defineConfig } from 'vitest/config'
import { LongBuildsFirst } from './test/setup/sequencer.js'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/setup/global.ts'],
    setupFiles: ['test/setup/each.ts'],
    // Integration tests spawn real bundler builds; two cores are shared between them, and in CI with other
    // suites too. Measured in fresh-clone runs of .ci/run with the machine's load average at 7 to 12: 240 s
    // is at least 2x every test's slowest time (npm pack and its install 81 s, a `next build` with
    // output: 'export' 65 s, Astro's server build twice 54 s), but for the tests tagged `long-build`.
    testTimeout: 240_000,
    hookTimeout: 240_000,
    // `floor`: what also runs on the machine's Node (the `engines` floor) when `npm test` runs the whole
    // suite on the Nodes of .ci/nodes (scripts/test.mjs): unit tests, one Vite and one Next.js build.
    tags: [
      { name: 'floor', description: 'also run on the engines floor Node: unit tests, one Vite and one Next.js build' },
      // `once`: what runs on one Node only when the suite runs on several: tsc's check of the published types
      // and the check of the lint's layer rules, whose answers do not depend on the Node that runs them.
      { name: 'once', description: 'run in the first whole run only: what does not test the package on that Node' },
      // The slowest, in the same runs: next build --webpack 242 s (killed by the 240 s its build then had),
      // Turbopack (then with two builds and next start) 183 s, Next.js through vercel build 87 s, two Nuxt
      // builds 80 s.
      { name: 'long-build', description: 'the slowest framework builds: 600 s, at least 2x their slowest time', timeout: 600_000 },
    ],
    pool: 'forks',
    // Two test files at a time on CI's two cores: a whole run keeps both busy (its CPU time is about twice
    // its wall time), and a third worker made the run on Node 24 no shorter (222 s against 210).
    maxWorkers: 2,
    sequence: { sequencer: LongBuildsFirst },
  },
})

import { defineConfig } from 'tsdown'

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    vite: 'src/vite.ts',
    webpack: 'src/webpack.ts',
    rspack: 'src/rspack.ts',
    rollup: 'src/rollup.ts',
    esbuild: 'src/esbuild.ts',
    next: 'src/next.ts',
    astro: 'src/astro.ts',
    nuxt: 'src/nuxt.ts',
    // The route handlers without the bundler code the root re-exports (src/routes.ts).
    routes: 'src/routes.ts',
    cli: 'src/cli.ts',
    // The hashing thread's script, next to the chunk that starts it (src/core/hash.ts).
    'hash-thread': 'src/core/hash-thread-main.ts',
  },
  // The GitHub workflow `image-invalidate init --way github` writes, beside the chunks that read it.
  copy: [{ from: 'examples/github-workflow.yml', to: 'dist' }],
  format: 'esm',
  platform: 'node',
  target: 'node20.19',
  dts: true,
  clean: true,
  // .js and .d.ts, as the exports map and the bin name them (the package is "type": "module").
  fixedExtension: false,
  // What every config load imports (the options and the small helpers they use) in one chunk instead of
  // nine: each file is a module Node resolves and links when vite.config or next.config loads.
  outputOptions: {
    codeSplitting: {
      groups: [
        {
          name: 'config-load',
          test: /src[\\/](shared[\\/](format|environment|package|option-types)|core[\\/](url|json|manifest)|plugin[\\/](options|url-prefix))\.ts$/,
        },
      ],
    },
  },
})

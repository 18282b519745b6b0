import { defineConfig } from 'tsdown'

export default defineConfig({
  entry: ['src/index.ts', 'src/vite.ts', 'src/webpack.ts', 'src/rspack.ts', 'src/rollup.ts', 'src/esbuild.ts', 'src/next.ts', 'src/astro.ts', 'src/nuxt.ts', 'src/cli.ts'],
  format: 'esm',
  platform: 'node',
  target: 'node20.19',
  dts: true,
  clean: true,
  // .js and .d.ts, as the exports map and the bin name them (the package is "type": "module").
  fixedExtension: false,
})

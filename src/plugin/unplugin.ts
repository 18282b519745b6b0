import { createUnplugin, type UnpluginFactory } from 'unplugin'
import type { Options } from '../types.js'
import { createBuildRun } from './build-run.js'
import { esbuildHooks, rollupHooks, viteHooks, webpackHooks } from './bundler-hooks.js'
import { PACKAGE_NAME } from '../shared/package.js'

// Every config that lists the plugin loads this module, in `vite dev` too, where the plugin does nothing:
// the hashing, the HTTP client and phase 2 are loaded only when a production build ends.

/** The plugin for every bundler unplugin supports: one plan per build, whatever the bundler's hooks. */
export const unpluginFactory: UnpluginFactory<Options | undefined> = (options = {}) => {
  const build = createBuildRun(options)
  return {
    name: PACKAGE_NAME,
    enforce: 'post',
    vite: viteHooks(build),
    webpack: webpackHooks(build),
    rspack: webpackHooks(build),
    rollup: rollupHooks(build, options),
    esbuild: esbuildHooks(build, options),
  }
}

export const unplugin = /* #__PURE__ */ createUnplugin(unpluginFactory)

import path from 'node:path'
import { createUnplugin, type UnpluginFactory } from 'unplugin'
import { planBuild, type Logger } from './build-plan.js'
import { resolveBuildOptions } from './options.js'
import type { Options } from './types.js'

export type { Options } from './types.js'
export type { Manifest, InvalidationPlan } from './core/manifest.js'
export { MANIFEST_FILE_NAME, parseManifest, serializeManifest } from './core/manifest.js'
export { planBuild, type BuildPlanResult, type Logger } from './build-plan.js'
export { resolveBuildOptions, DEFAULT_PLAN_FILE } from './options.js'
export { loadManifest, type ManifestLoad } from './manifest-source.js'
export { apply, type ApplyReport } from './apply.js'
export type { ApplyOptions } from './types.js'

const PLUGIN_NAME = 'unplugin-image-invalidate'

export const unpluginFactory: UnpluginFactory<Options | undefined> = (options = {}) => {
  let root = process.cwd()
  let publicDir: string | false | undefined
  let basePath: string | undefined
  let logger: Logger = console
  let watching = false
  let failed = false

  return {
    name: PLUGIN_NAME,
    enforce: 'post',
    vite: {
      // Never in the dev server or preview: only `vite build`.
      apply: 'build',
      configResolved(config) {
        root = config.root
        // Vite resolves `publicDir: false` to ''.
        publicDir = config.publicDir || false
        basePath = basePathFromViteBase(config.base)
        logger = config.logger
        watching = Boolean(config.build.watch)
      },
      buildEnd(error) {
        if (error) failed = true
      },
      closeBundle: {
        order: 'post',
        sequential: true,
        async handler() {
          // Vite 6+ calls this once per environment; the client one is where the public files are served.
          const environment = (this as { environment?: { name: string; config: { consumer?: string; build: { outDir: string; ssr?: unknown; write?: boolean } } } }).environment
          const build = environment?.config.build
          const isClient = environment ? environment.config.consumer === 'client' : true
          if (failed || watching || !isClient || build?.ssr || build?.write === false) return
          const outDir = path.resolve(root, build?.outDir ?? 'dist')
          const resolved = resolveBuildOptions(options, { root, publicDir, basePath })
          await planBuild(resolved, [outDir], logger)
        },
      },
    },
  }
}

/** Vite's `base` ('/', '/app/', './', or a full URL) as a source-image prefix ('' or '/app'). */
function basePathFromViteBase(base: string): string {
  if (!base.startsWith('/')) return ''
  return base.replace(/\/+$/, '')
}

export const unplugin = /* #__PURE__ */ createUnplugin(unpluginFactory)

export default unplugin
